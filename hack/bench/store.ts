// `npm run bench -- store`: the resource store alone, in process (no Raft, no
// gRPC), with STORE_BENCH_OBJECTS Jobs (default 100,000).
//  - store.apply         apply commands (encoded as Raft entries) creating the Jobs
//  - store.update_status status writes to existing Jobs
//  - store.get           point reads
//  - store.list          pages of 500 walking all Jobs (p50/p99 per page)
//  - store.list_selector the same with a label selector matching half
//  - store.watch         events delivered to 10 watchers while statuses change
//  - store.snapshot      snapshot and restore of the whole store; capture + the
//                        slowest 1000-object piece of an incremental snapshot
//  - store.memory        RSS and heap with every Job stored
import { encodeCommand, ResourceStore, type Command, type JobSpec } from '../../pkg/store/index.js';
import { percentile, round, rssMb } from './stats.js';
import { envNumber, benchJobSpec } from './inputs.js';

function spec(i: number): JobSpec {
  return benchJobSpec({
    command: ['sh', '-c', `echo job ${i}`],
    env: [
      { name: 'GREETING', value: 'hi' },
      { name: 'INDEX', value: String(i) },
    ],
    resources: { cpu: '500m', memory: '256Mi' },
  });
}

function applyJob(i: number): Command {
  return {
    op: 'apply',
    now: '2025-01-01T00:00:00.000Z',
    uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    object: {
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      metadata: {
        name: `job-${String(i).padStart(6, '0')}`,
        namespace: `team-${i % 10}`,
        labels: { app: `app-${i % 100}`, parity: i % 2 === 0 ? 'even' : 'odd' },
      },
      spec: spec(i),
    },
  };
}

function heapMb(): number {
  return round(process.memoryUsage().heapUsed / 1024 / 1024, 1);
}

function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function listPages(store: ResourceStore, labelSelector?: string): number[] {
  const times: number[] = [];
  let token: string | undefined;
  do {
    const t0 = performance.now();
    const page = store.list('Job', { limit: 500, continue: token, labelSelector });
    times.push(performance.now() - t0);
    token = page.continue;
  } while (token);
  return times;
}

export async function benchStore(): Promise<object[]> {
  const n = envNumber('STORE_BENCH_OBJECTS', 100_000);
  const out: object[] = [];
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  const store = new ResourceStore();
  let index = 0;

  // Encoding is part of what a proposer pays, but not the store: encode first.
  const entries = Array.from({ length: n }, (_, i) => encodeCommand(applyJob(i)));
  let t0 = performance.now();
  for (const data of entries) store.apply(++index, data);
  let secs = (performance.now() - t0) / 1000;
  entries.length = 0;
  out.push({ name: 'store.apply', ops_per_s: Math.round(n / secs), objects: n });

  collect();
  const heapAfter = process.memoryUsage().heapUsed;
  out.push({
    name: 'store.memory',
    rss_mb: rssMb(process.pid),
    heap_mb: heapMb(),
    objects: store.counts().Job,
    bytes_per_object: Math.round((heapAfter - heapBefore) / n),
  });

  const pages: number[] = [];
  for (let round_ = 0; round_ < 3; round_++) pages.push(...listPages(store));
  pages.sort((a, b) => a - b);
  out.push({
    name: 'store.list',
    page: 500,
    objects: n,
    pages: pages.length,
    p50_ms: round(percentile(pages, 50), 3),
    p99_ms: round(percentile(pages, 99), 3),
  });

  const selPages: number[] = [];
  for (let round_ = 0; round_ < 3; round_++) selPages.push(...listPages(store, 'parity=even'));
  selPages.sort((a, b) => a - b);
  out.push({
    name: 'store.list_selector',
    page: 500,
    selector: 'parity=even',
    p50_ms: round(percentile(selPages, 50), 3),
    p99_ms: round(percentile(selPages, 99), 3),
  });

  const gets = Math.min(n, 200_000);
  t0 = performance.now();
  for (let i = 0; i < gets; i++) {
    const j = (i * 7919) % n;
    store.get('Job', `team-${j % 10}`, `job-${String(j).padStart(6, '0')}`);
  }
  secs = (performance.now() - t0) / 1000;
  out.push({ name: 'store.get', ops_per_s: Math.round(gets / secs) });

  // Status writes with 10 watchers on the kind (each sees every change).
  let delivered = 0;
  const handles = Array.from({ length: 10 }, () =>
    store.watch('Job', { resourceVersion: String(store.revision) }, () => {
      delivered++;
    }),
  );
  const writes = Math.min(n, 50_000);
  const statusEntries = Array.from({ length: writes }, (_, i) =>
    encodeCommand({
      op: 'updateStatus',
      object: {
        apiVersion: 'jobctl.dev/v1',
        kind: 'Job',
        metadata: { name: `job-${String(i).padStart(6, '0')}`, namespace: `team-${i % 10}` },
        status: { phase: 'Running', active: 1, startTime: '2025-01-01T00:00:01.000Z' },
      },
    }),
  );
  t0 = performance.now();
  for (const data of statusEntries) store.apply(++index, data);
  secs = (performance.now() - t0) / 1000;
  for (const h of handles) h.cancel();
  out.push({ name: 'store.update_status', ops_per_s: Math.round(writes / secs), watchers: 10 });
  out.push({ name: 'store.watch', events_per_s: Math.round(delivered / secs), watchers: 10 });

  t0 = performance.now();
  const bytes = store.snapshot();
  const snapMs = performance.now() - t0;
  t0 = performance.now();
  const restored = new ResourceStore();
  restored.restore(store.revision, bytes);
  const restoreMs = performance.now() - t0;
  // The incremental path: capture (pointer copy), then pieces of 1000 objects.
  t0 = performance.now();
  const capture = store.captureSnapshot();
  const captureMs = performance.now() - t0;
  let maxPieceMs = 0;
  let t1 = performance.now();
  for (const piece of capture.pieces()) {
    void piece;
    const t2 = performance.now();
    maxPieceMs = Math.max(maxPieceMs, t2 - t1);
    t1 = t2;
  }
  out.push({
    name: 'store.snapshot',
    capture_ms: round(captureMs, 2),
    max_piece_ms: round(maxPieceMs, 2),
    objects: restored.counts().Job,
    bytes_mb: round(bytes.length / 1024 / 1024, 1),
    snapshot_ms: Math.round(snapMs),
    restore_ms: Math.round(restoreMs),
  });
  return out;
}
