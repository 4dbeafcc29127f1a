// raft.proto on the wire: the generated MessageBatch codec (gen/raft.ts) with
// the Message conversion of raft-message.ts, as grpc-raft.ts uses them.
//  - Old and new nodes talk: every message kind encodes to the bytes the
//    hand-written codec that preceded the generated one wrote (golden hex
//    below, taken from it), and those bytes decode to the same messages.
//  - Round trips are exact for arbitrary messages of every kind (fast-check).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Entry, Message, MessageType } from '../../../pkg/raft/types.js';
import { RaftService } from '../../../pkg/transport/gen/raft.js';
import { batchToWire, messagesFromBatch } from '../../../pkg/transport/raft-message.js';
import { sampleMessages } from './contract.js';

const encode = (msgs: readonly Message[]): Buffer =>
  RaftService.send.requestSerialize(batchToWire(msgs));
const decode = (bytes: Buffer): Message[] =>
  messagesFromBatch(RaftService.send.requestDeserialize(bytes));

/** sampleMessages(1, 2), each alone in a batch, as the pre-generated codec encoded them. */
const golden: readonly [MessageType, string][] = [
  ['vote', '0a0e0801100118022007680b70067801'],
  ['preVote', '0a0c0802100118022007680c7005'],
  ['voteResp', '0a0a08031001180220074801'],
  ['preVoteResp', '0a080804100118022007'],
  [
    'app',
    '0a2c0805100118022007280a30063809420a0807100b2204010203fa420a0807100c180122027b7d42040807100d',
  ],
  ['app', '0a080805100118022007'],
  ['appResp', '0a100806100118022007280d480150085804'],
  ['heartbeat', '0a110807100118022007380d62056374782d31'],
  ['heartbeatResp', '0a0f080810011802200762056374782d31'],
  ['snap', '0a27080910011802200782010e086410061a080a0301020312010488018004920104010203fa980101'],
  ['snapResp', '0a0f080a10011802200788018008a00164'],
  ['timeoutNow', '0a08080b100118022007'],
  ['prop', '0a0e080c1001180242062204010203fa'],
  ['readIndex', '0a0d080d1001180220076203722d39'],
  ['readIndexResp', '0a0f080e100118022007282a6203722d39'],
  ['transferLeader', '0a0b080f100118022007a80103'],
];

// uint64 fields travel as numbers: anything up to 2^53 - 1 must survive.
const u64 = fc.maxSafeNat();
const nodeId = fc.nat({ max: 2 ** 32 - 1 });
const bytes = fc.uint8Array({ maxLength: 40 });
const text = fc.string({ unit: 'grapheme', maxLength: 12 });
const entry: fc.Arbitrary<Entry> = fc.record({
  term: u64,
  index: u64,
  type: fc.constantFrom('normal' as const, 'confChange' as const),
  data: bytes,
});
const entries = fc.array(entry, { maxLength: 4 });

/** The fields of the message kind K besides type, from, to and term. */
type Fields<K extends MessageType> = Message extends infer M
  ? M extends { type: infer T }
    ? K extends T
      ? Omit<M, 'type' | 'from' | 'to' | 'term'>
      : never
    : never
  : never;

/** One arbitrary per message kind: a new kind or field is a compile error here. */
const kinds: { [K in MessageType]: fc.Arbitrary<Fields<K>> } = {
  vote: fc.record({ lastLogIndex: u64, lastLogTerm: u64, transfer: fc.boolean() }),
  preVote: fc.record({ lastLogIndex: u64, lastLogTerm: u64, transfer: fc.boolean() }),
  voteResp: fc.record({ reject: fc.boolean() }),
  preVoteResp: fc.record({ reject: fc.boolean() }),
  app: fc.record({ index: u64, logTerm: u64, commit: u64, entries }),
  appResp: fc.record({ index: u64, reject: fc.boolean(), rejectHint: u64, logTermHint: u64 }),
  heartbeat: fc.record({ commit: u64, context: text }),
  heartbeatResp: fc.record({ context: text }),
  snap: fc.record({
    metadata: fc.record({
      index: u64,
      term: u64,
      confState: fc.record({
        voters: fc.array(nodeId, { maxLength: 5 }),
        learners: fc.array(nodeId, { maxLength: 3 }),
      }),
    }),
    offset: u64,
    data: bytes,
    done: fc.boolean(),
  }),
  snapResp: fc.record({ snapIndex: u64, offset: u64, reject: fc.boolean() }),
  timeoutNow: fc.record({}),
  prop: fc.record({ entries }),
  readIndex: fc.record({ context: text }),
  readIndexResp: fc.record({ context: text, index: u64 }),
  transferLeader: fc.record({ transferee: nodeId }),
};

const message: fc.Arbitrary<Message> = fc.oneof(
  ...Object.entries(kinds).map(([type, fields]) =>
    fc
      .tuple(nodeId, nodeId, u64, fields as fc.Arbitrary<object>)
      .map(([from, to, term, rest]) => ({ type, from, to, term, ...rest }) as Message),
  ),
);

describe('raft wire (generated codec)', () => {
  it('writes and reads the bytes of the earlier hand-written codec, for every message kind', () => {
    const samples = sampleMessages(1, 2);
    assert.deepEqual(
      samples.map((m) => m.type),
      golden.map(([type]) => type),
    );
    assert.equal(new Set(golden.map(([type]) => type)).size, Object.keys(kinds).length);
    samples.forEach((m, i) => {
      const hex = golden[i]?.[1] as string;
      assert.equal(encode([m]).toString('hex'), hex, m.type);
      assert.deepStrictEqual(decode(Buffer.from(hex, 'hex')), [m], m.type);
    });
  });

  it('round-trips arbitrary batches of every message kind exactly', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 6 }), (generated) => {
        // Plain objects, as the decoder builds (fast-check's may have no prototype).
        const msgs = structuredClone(generated);
        assert.deepStrictEqual(decode(encode(msgs)), msgs);
      }),
      { numRuns: 2000 },
    );
  });

  it('carries large values and big payloads', () => {
    const big = 2 ** 40 + 12345;
    const msgs: Message[] = [
      {
        type: 'app',
        from: 3,
        to: 1,
        term: big,
        index: big + 1,
        logTerm: big - 1,
        commit: 2 ** 31 + 7,
        entries: Array.from({ length: 50 }, (_, i) => ({
          term: big,
          index: big + 2 + i,
          type: 'normal' as const,
          data: new Uint8Array(i * 7).fill(i),
        })),
      },
      {
        type: 'snap',
        from: 1,
        to: 2,
        term: 3,
        metadata: { index: 300, term: 3, confState: { voters: [1, 2, 300], learners: [] } },
        offset: 0,
        data: new Uint8Array(70_000).fill(9),
        done: false,
      },
    ];
    assert.deepStrictEqual(decode(encode(msgs)), msgs);
  });

  it('skips messages of unknown types (a newer peer) and keeps the rest', () => {
    // A batch with a message of an unknown type (99) followed by a known one.
    const unknown = Buffer.from([0x0a, 0x02, 0x08, 99]);
    const known = encode([{ type: 'timeoutNow', from: 1, to: 2, term: 5 }]);
    assert.deepStrictEqual(decode(Buffer.concat([unknown, known])), [
      { type: 'timeoutNow', from: 1, to: 2, term: 5 },
    ]);
  });

  it('rejects truncated input', () => {
    const bytes = encode(sampleMessages(1, 2));
    assert.throws(() => decode(bytes.subarray(0, bytes.length - 3)));
  });

  it('hands out plain copies of received bytes, not views into the batch', () => {
    const [m] = decode(encode([sampleMessages(1, 2)[4] as Message]));
    assert.equal(m?.type, 'app');
    const data = (m as { entries: readonly Entry[] }).entries[0]?.data;
    assert.equal(data?.constructor, Uint8Array);
    assert.equal(data?.byteOffset, 0);
  });
});
