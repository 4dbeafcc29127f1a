// `STORE_REPLAY_DIR=DIR npm run bench -- store-replay`: the store's apply in
// process, over the entries a real cluster wrote. DIR is one node's data dir,
// e.g. kept by `BENCH_KEEP=1 EXEC_BENCH_ONLY=throughput EXEC_BENCH_JOBS=1000 npm
// run bench -- exec` (its stderr says where); the bench opens its WAL as jobd
// would (taking the dir's lock, cutting a torn tail: use a stopped node's dir or
// a copy), then applies every
// normal entry in order to a fresh ResourceStore with one watcher per kind (the
// watch dispatch is part of an apply), STORE_REPLAY_ROUNDS times (default 20).
// Prints CPU µs per store change (process.cpuUsage, so other processes on a
// shared machine disturb it less than wall time): the median and the lowest of
// the rounds after the first two (JIT warm-up), and the rounds themselves.
//
// An instrument for before/after pairs of the apply path: build both trees, and
// replay the same DIR with each, alternating (`node A/dist/hack/bench/main.js
// store-replay`, then B's, ...). The figures are tight-loop costs: in a running
// node the same apply costs ~3× more (cold caches between unrelated work;
// docs/benchmarks.md).
import { DiskStorage } from '../../pkg/raft/index.js';
import { decodeEnvelope } from '../../pkg/raft/node.js';
import { EntryType } from '../../pkg/raft/types.js';
import { ResourceStore } from '../../pkg/store/index.js';
import { JobctlError, Reason } from '../../pkg/util/errors.js';
import { percentile, round } from './stats.js';

interface Payload {
  readonly index: number;
  readonly data: Uint8Array;
}

/** The normal entries' store payloads (the proposer's envelope taken off), in order. */
async function readEntries(dir: string): Promise<Payload[]> {
  const storage = await DiskStorage.open({ dir, logger: { warn: () => undefined } });
  try {
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    if (last < first) return [];
    return storage
      .entries(first, last + 1, Number.MAX_SAFE_INTEGER)
      .filter((e) => e.type === EntryType.Normal)
      .map((e) => ({ index: e.index, data: decodeEnvelope(e.data)?.payload ?? e.data }));
  } finally {
    await storage.close();
  }
}

/** One replay into a fresh store: CPU µs per change, and the changes made. */
function replay(entries: readonly Payload[]): { usPerChange: number; changes: number } {
  const store = new ResourceStore();
  for (const info of store.kinds.kinds()) {
    store.watch(info.kind, { resourceVersion: '0' }, () => undefined);
  }
  // Fresh bytes each round: the store may keep what it decodes, never the input.
  const datas = entries.map((e) => e.data.slice());
  const before = process.cpuUsage();
  for (let i = 0; i < entries.length; i++) {
    store.apply((entries[i] as Payload).index, datas[i] as Uint8Array);
  }
  const used = process.cpuUsage(before);
  const changes = store.revision;
  return { usPerChange: changes > 0 ? (used.user + used.system) / changes : NaN, changes };
}

export async function benchStoreReplay(): Promise<object[]> {
  const dir = process.env.STORE_REPLAY_DIR;
  if (!dir) {
    throw new JobctlError(
      Reason.Invalid,
      'set STORE_REPLAY_DIR to a jobd data dir (e.g. one kept by BENCH_KEEP=1 ... npm run bench -- exec)',
    );
  }
  const rounds = Math.max(3, Number(process.env.STORE_REPLAY_ROUNDS ?? 20));
  const entries = await readEntries(dir);
  const samples: number[] = [];
  let changes = 0;
  for (let r = 0; r < rounds; r++) {
    const one = replay(entries);
    samples.push(one.usPerChange);
    changes = one.changes;
  }
  const warm = samples.slice(2).sort((a, b) => a - b);
  return [
    {
      name: 'store.replay',
      entries: entries.length,
      changes,
      rounds,
      us_per_change_p50: round(percentile(warm, 50), 2),
      us_per_change_min: round(warm[0] ?? NaN, 2),
      us_per_change: samples.map((s) => round(s, 1)),
    },
  ];
}
