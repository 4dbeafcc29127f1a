// `npm run bench -- raft-wire`: CPU cost of raft.proto's MessageBatch codec
// (the generated gen/raft.ts through raft-message.ts, as grpc-raft.ts calls
// it), in process (no network), on the batches a busy leader and its
// followers exchange. Each figure is the best of BENCH_ROUNDS (5) rounds of
// ~BENCH_ROUND_MS (300) ms. Commit 91d03f4 has this bench with the
// hand-written codec beside it (docs/benchmarks.md has both).
import type { Message } from '../../pkg/raft/types.js';
import { RaftService } from '../../pkg/transport/gen/raft.js';
import { batchToWire, messagesFromBatch } from '../../pkg/transport/raft-message.js';
import { round } from './stats.js';
import { envNumber } from './inputs.js';

const encode = (msgs: readonly Message[]): Buffer =>
  RaftService.send.requestSerialize(batchToWire(msgs));
const decode = (buf: Buffer): Message[] =>
  messagesFromBatch(RaftService.send.requestDeserialize(buf));

/** The batches measured: what one flush to one peer carries. */
function workloads(): Record<string, Message[]> {
  const term = 12;
  const base = 1_000_000;
  const entry = (i: number) => ({
    term,
    index: base + i,
    type: 'normal' as const,
    data: new Uint8Array(300).fill(i & 0xff),
  });
  return {
    // The leader's MsgApp under write load: 64 entries of ~300 bytes (a small Job apply).
    app64: [
      {
        type: 'app',
        from: 1,
        to: 2,
        term,
        index: base,
        logTerm: term,
        commit: base - 5,
        entries: Array.from({ length: 64 }, (_, i) => entry(i + 1)),
      },
    ],
    // A follower's answers: appResp and heartbeatResp.
    responses: [
      {
        type: 'appResp',
        from: 2,
        to: 1,
        term,
        index: base + 64,
        reject: false,
        rejectHint: 0,
        logTermHint: 0,
      },
      { type: 'heartbeatResp', from: 2, to: 1, term, context: '' },
    ],
    // An idle leader's tick: heartbeat with a ReadIndex context.
    heartbeat: [{ type: 'heartbeat', from: 1, to: 2, term, commit: base, context: '1:42' }],
  };
}

/** Calls per second of fn over about `ms` milliseconds. */
function rate(fn: () => void, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

export async function benchRaftWire(): Promise<object[]> {
  const rounds = envNumber('BENCH_ROUNDS', 5);
  const roundMs = envNumber('BENCH_ROUND_MS', 300);
  const results: object[] = [];
  for (const [workload, msgs] of Object.entries(workloads())) {
    const bytes = encode(msgs);
    rate(() => decode(encode(msgs)), roundMs); // warm-up (JIT)
    let enc = 0;
    let dec = 0;
    for (let r = 0; r < rounds; r++) {
      enc = Math.max(
        enc,
        rate(() => encode(msgs), roundMs),
      );
      dec = Math.max(
        dec,
        rate(() => decode(bytes), roundMs),
      );
    }
    // A batch is encoded once and decoded once: the round trip is the cost that counts.
    results.push({
      bench: `raft_wire.${workload}`,
      batch_bytes: bytes.length,
      encode_per_s: Math.round(enc),
      decode_per_s: Math.round(dec),
      round_trip_us: round(1e6 / enc + 1e6 / dec),
    });
  }
  return results;
}
