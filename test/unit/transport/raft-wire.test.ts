// The hand-written MessageBatch codec (raft-wire.ts) must produce and accept
// exactly what proto/raft.proto describes: checked both ways against the
// protobufjs codec that @grpc/proto-loader builds from the .proto file.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import type { Message } from '../../../pkg/raft/types.js';
import { loadProto, lookupService } from '../../../pkg/transport/proto.js';
import {
  messageFromWire,
  messageToWire,
  type WireMessage,
} from '../../../pkg/transport/raft-codec.js';
import { decodeBatch, encodeBatch } from '../../../pkg/transport/raft-wire.js';
import { sampleMessages } from './contract.js';

function protobufjsSend(): grpc.MethodDefinition<
  { messages: WireMessage[] },
  { messages: WireMessage[] }
> {
  const svc = lookupService(loadProto('raft.proto'), 'jobctl.raft.v1.Raft').service;
  const m = svc.Send ?? svc.send;
  assert.ok(m);
  return m as grpc.MethodDefinition<{ messages: WireMessage[] }, { messages: WireMessage[] }>;
}

function bigValues(): Message[] {
  const big = 2 ** 40 + 12345;
  return [
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
}

describe('raft wire codec', () => {
  const method = protobufjsSend();
  const all = [...sampleMessages(1, 2), ...bigValues()];

  it('is decoded by protobufjs into the same messages', () => {
    const bytes = encodeBatch(all);
    const decoded = method.requestDeserialize(bytes);
    const back = decoded.messages.map((w) => messageFromWire(w));
    assert.deepStrictEqual(back, all);
  });

  it('decodes what protobufjs encodes', () => {
    const bytes = method.requestSerialize({ messages: all.map(messageToWire) });
    assert.deepStrictEqual(decodeBatch(bytes), all);
  });

  it('round-trips on its own and skips unknown message types', () => {
    assert.deepStrictEqual(decodeBatch(encodeBatch(all)), all);
    // A batch with a message of an unknown type (99) followed by a known one.
    const unknown = Buffer.from([0x0a, 0x02, 0x08, 99]);
    const known = encodeBatch([{ type: 'timeoutNow', from: 1, to: 2, term: 5 }]);
    assert.deepStrictEqual(decodeBatch(Buffer.concat([unknown, known])), [
      { type: 'timeoutNow', from: 1, to: 2, term: 5 },
    ]);
  });

  it('rejects truncated input', () => {
    const bytes = encodeBatch(all);
    assert.throws(() => decodeBatch(bytes.subarray(0, bytes.length - 3)), RangeError);
  });
});
