// `npm run bench -- raft-wire`: CPU cost of raft.proto's MessageBatch codec,
// in process (no network): the hand-written codec (pkg/transport/raft-wire.ts)
// against the generated one (gen/raft.ts through raft-message.ts), on the
// batches a busy leader and its followers exchange. Each figure is the best
// of BENCH_ROUNDS (5) rounds of ~BENCH_ROUND_MS (300) ms, the two codecs
// interleaved, so a machine busy with other work slows both alike.
import type { Message } from '../../pkg/raft/types.js';
import { RaftService } from '../../pkg/transport/gen/raft.js';
import { batchToWire, messagesFromBatch } from '../../pkg/transport/raft-message.js';
import { decodeBatch, encodeBatch } from '../../pkg/transport/raft-wire.js';
import { round } from './stats.js';

interface Codec {
  readonly name: string;
  encode(msgs: readonly Message[]): Uint8Array;
  decode(buf: Uint8Array): Message[];
}

const handWritten: Codec = { name: 'hand', encode: encodeBatch, decode: decodeBatch };

const generated: Codec = {
  name: 'generated',
  // The service definition's serializers: what grpc-js calls (they include its Buffer copy).
  encode: (msgs) => RaftService.send.requestSerialize(batchToWire(msgs)),
  decode: (buf) => messagesFromBatch(RaftService.send.requestDeserialize(buf as Buffer)),
};

function env(name: string, dflt: number): number {
  const v = process.env[name];
  return v ? Number(v) : dflt;
}

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
  const rounds = env('BENCH_ROUNDS', 5);
  const roundMs = env('BENCH_ROUND_MS', 300);
  const results: object[] = [];
  for (const [workload, msgs] of Object.entries(workloads())) {
    const bytes = handWritten.encode(msgs);
    const best = new Map<string, number>();
    const keep = (key: string, v: number) => best.set(key, Math.max(best.get(key) ?? 0, v));
    // Warm-up (JIT) before any round counts.
    for (const c of [handWritten, generated]) {
      rate(() => c.decode(c.encode(msgs)), roundMs);
    }
    for (let r = 0; r < rounds; r++) {
      for (const c of [handWritten, generated]) {
        keep(
          `${c.name}.encode`,
          rate(() => c.encode(msgs), roundMs),
        );
        keep(
          `${c.name}.decode`,
          rate(() => c.decode(bytes), roundMs),
        );
      }
    }
    const get = (key: string): number => best.get(key) ?? NaN;
    // A batch is encoded once and decoded once: the round trip is the cost that counts.
    const roundTrip = (c: string): number => 1e6 / get(`${c}.encode`) + 1e6 / get(`${c}.decode`);
    results.push({
      bench: `raft_wire.${workload}`,
      batch_bytes: bytes.length,
      hand_encode_per_s: Math.round(get('hand.encode')),
      generated_encode_per_s: Math.round(get('generated.encode')),
      hand_decode_per_s: Math.round(get('hand.decode')),
      generated_decode_per_s: Math.round(get('generated.decode')),
      hand_round_trip_us: round(roundTrip('hand')),
      generated_round_trip_us: round(roundTrip('generated')),
      hand_speedup: round(roundTrip('generated') / roundTrip('hand')),
    });
  }
  return results;
}
