// The Transport contract suite (pkg/transport/transport.ts), run against every
// implementation: memory.test.ts and grpc.test.ts.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Message, NodeId } from '../../../pkg/raft/types.js';
import type { Transport } from '../../../pkg/transport/transport.js';
import { eventuallyTrue as eventually } from '../../support/eventually.js';

/** Waits until `cond()` holds, polling on (almost) every macrotask turn. */
export { eventually };

export interface TransportHarness {
  /** Transports for nodes 1..n, all able to reach each other. */
  readonly transports: ReadonlyMap<NodeId, Transport>;
  /** Makes node `id` unreachable (process gone); returns a restart function that brings it back. */
  crash(id: NodeId): Promise<() => Promise<Transport>>;
  close(): Promise<void>;
}

export type HarnessFactory = (n: number) => Promise<TransportHarness>;

/** One message of every type, with non-default values in every field. */
export function sampleMessages(from: NodeId, to: NodeId): Message[] {
  const data = new Uint8Array([1, 2, 3, 250]);
  const base = { from, to, term: 7 };
  return [
    { ...base, type: 'vote', lastLogIndex: 11, lastLogTerm: 6, transfer: true },
    { ...base, type: 'preVote', lastLogIndex: 12, lastLogTerm: 5, transfer: false },
    { ...base, type: 'voteResp', reject: true },
    { ...base, type: 'preVoteResp', reject: false },
    {
      ...base,
      type: 'app',
      index: 10,
      logTerm: 6,
      commit: 9,
      entries: [
        { term: 7, index: 11, type: 'normal', data },
        { term: 7, index: 12, type: 'confChange', data: new Uint8Array([123, 125]) },
        { term: 7, index: 13, type: 'normal', data: new Uint8Array(0) },
      ],
    },
    { ...base, type: 'app', index: 0, logTerm: 0, commit: 0, entries: [] },
    { ...base, type: 'appResp', index: 13, reject: true, rejectHint: 8, logTermHint: 4 },
    { ...base, type: 'heartbeat', commit: 13, context: 'ctx-1' },
    { ...base, type: 'heartbeatResp', context: 'ctx-1' },
    {
      ...base,
      type: 'snap',
      metadata: { index: 100, term: 6, confState: { voters: [1, 2, 3], learners: [4] } },
      offset: 512,
      data,
      done: true,
    },
    { ...base, type: 'snapResp', snapIndex: 100, offset: 1024, reject: false },
    { ...base, type: 'timeoutNow' },
    { ...base, term: 0, type: 'prop', entries: [{ term: 0, index: 0, type: 'normal', data }] },
    { ...base, type: 'readIndex', context: 'r-9' },
    { ...base, type: 'readIndexResp', context: 'r-9', index: 42 },
    { ...base, type: 'transferLeader', transferee: 3 },
  ];
}

function heartbeat(from: NodeId, to: NodeId, commit: number): Message {
  return { type: 'heartbeat', from, to, term: 1, commit, context: '' };
}

export function runTransportContract(name: string, factory: HarnessFactory): void {
  describe(`Transport contract: ${name}`, () => {
    const harnesses: TransportHarness[] = [];
    const make = async (n: number): Promise<TransportHarness> => {
      const h = await factory(n);
      harnesses.push(h);
      return h;
    };
    after(async () => {
      for (const h of harnesses) await h.close();
    });

    it('delivers every message type with every field intact', async () => {
      const h = await make(2);
      const got: Message[] = [];
      h.transports.get(2)?.onMessage((m) => got.push(m));
      const sent = sampleMessages(1, 2);
      h.transports.get(1)?.send(sent);
      await eventually(() => got.length === sent.length, 10_000, 'all sample messages');
      assert.deepStrictEqual(got, sent);
    });

    it('keeps per-peer order across many sends and batches', async () => {
      const h = await make(3);
      const got = new Map<NodeId, number[]>([
        [2, []],
        [3, []],
      ]);
      for (const id of [2, 3])
        h.transports.get(id)?.onMessage((m) => got.get(id)?.push((m as { commit: number }).commit));
      const t1 = h.transports.get(1) as Transport;
      for (let i = 0; i < 2000; i++) {
        t1.send([heartbeat(1, 2, i), heartbeat(1, 3, i)]);
        if (i % 100 === 0) await new Promise((r) => setImmediate(r));
      }
      await eventually(
        () => got.get(2)?.length === 2000 && got.get(3)?.length === 2000,
        20_000,
        '2000 messages',
      );
      const expected = Array.from({ length: 2000 }, (_, i) => i);
      assert.deepStrictEqual(got.get(2), expected);
      assert.deepStrictEqual(got.get(3), expected);
    });

    it('never calls the handler from inside send()', async () => {
      const h = await make(2);
      let inSend = false;
      let calledDuringSend = false;
      let received = 0;
      h.transports.get(2)?.onMessage(() => {
        received++;
        if (inSend) calledDuringSend = true;
      });
      inSend = true;
      h.transports.get(1)?.send([heartbeat(1, 2, 1)]);
      inSend = false;
      await eventually(() => received === 1);
      assert.equal(calledDuringSend, false);
    });

    it('reports an unknown or crashed peer as unreachable, then recovers after a restart', async () => {
      const h = await make(2);
      const t1 = h.transports.get(1) as Transport;
      const unreachable: NodeId[] = [];
      t1.onUnreachable((id) => unreachable.push(id));
      t1.send([heartbeat(1, 9, 1)]);
      await eventually(() => unreachable.includes(9), 10_000, 'unknown peer reported');

      const restart = await h.crash(2);
      unreachable.length = 0;
      // Keep sending until the failure is noticed (a stream break is asynchronous).
      await eventually(
        () => {
          t1.send([heartbeat(1, 2, 2)]);
          return unreachable.includes(2);
        },
        10_000,
        'crashed peer reported',
      );

      const t2 = await restart();
      let got = 0;
      t2.onMessage(() => got++);
      await eventually(
        () => {
          t1.send([heartbeat(1, 2, 3)]);
          return got > 0;
        },
        15_000,
        'delivery after restart',
      );
    });

    it('delivers nothing after close()', async () => {
      const h = await make(2);
      let got = 0;
      const t2 = h.transports.get(2) as Transport;
      t2.onMessage(() => got++);
      h.transports.get(1)?.send([heartbeat(1, 2, 1)]);
      await eventually(() => got === 1);
      await t2.close();
      h.transports.get(1)?.send([heartbeat(1, 2, 2)]);
      // Give an in-flight delivery a chance to (wrongly) happen.
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 0));
      assert.equal(got, 1);
    });
  });
}
