// `npm run bench -- wal`: the write-ahead log alone. 64 concurrent appenders,
// each saving one entry (plus hard state) and waiting for it to be durable
// before the next, for ~3 s against a temp dir on the real disk (fsync on).
// Reports throughput, fsyncs/s (how well group commit batches) and latency.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskStorage } from '../../pkg/raft/storage/disk-storage.js';
import { EntryType } from '../../pkg/raft/types.js';
import { percentile, round } from './stats.js';

export interface WalBenchOptions {
  readonly appenders?: number;
  readonly durationMs?: number;
  readonly entryBytes?: number;
}

export async function benchWal(opts: WalBenchOptions = {}): Promise<object[]> {
  const appenders = opts.appenders ?? 64;
  const durationMs = opts.durationMs ?? 3000;
  const entryBytes = opts.entryBytes ?? 256;
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-wal-'));
  const store = await DiskStorage.open({
    dir,
    logger: { warn: (m) => process.stderr.write(`${m}\n`) },
  });
  try {
    const data = new Uint8Array(entryBytes).fill(0x61);
    const latencies: number[] = [];
    let stop = false;
    const appender = async (): Promise<void> => {
      while (!stop) {
        // Indexes are taken at call time: save() updates the in-memory log
        // synchronously, so concurrent appenders never collide.
        const index = store.lastIndex() + 1;
        const start = performance.now();
        await store.save({
          entries: [{ index, term: 1, type: EntryType.Normal, data }],
          hardState: { term: 1, vote: 1, commit: index },
        });
        latencies.push(performance.now() - start);
      }
    };
    const before = store.stats();
    const t0 = performance.now();
    const timer = setTimeout(() => (stop = true), durationMs);
    await Promise.all(Array.from({ length: appenders }, appender));
    clearTimeout(timer);
    const elapsed = (performance.now() - t0) / 1000;
    const after = store.stats();
    latencies.sort((a, b) => a - b);
    const fsyncs = after.fsyncs - before.fsyncs;
    return [
      {
        name: 'wal.append',
        appenders,
        entry_bytes: entryBytes,
        duration_s: round(elapsed),
        ops: latencies.length,
        ops_per_s: Math.round(latencies.length / elapsed),
        fsyncs,
        fsyncs_per_s: Math.round(fsyncs / elapsed),
        saves_per_fsync: round(latencies.length / Math.max(1, fsyncs)),
        mb_per_s: round((after.bytesWritten - before.bytesWritten) / elapsed / 1e6),
        p50_ms: round(percentile(latencies, 50)),
        p99_ms: round(percentile(latencies, 99)),
        max_ms: round(percentile(latencies, 100)),
      },
    ];
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
