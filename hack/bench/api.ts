// `npm run bench -- api`: the resource API of a real 3-node jobd cluster on
// loopback (DiskStorage, fsync on) in a temp dir, through GrpcClient.
//  - api.apply   32 concurrent clients applying new Jobs to the leader for a
//                fixed time: creates/s, p50/p99.
//  - api.get     32 concurrent clients doing linearizable gets (ReadIndex) on
//                the leader: gets/s, p50/p99.
//  - api.watch   10 watchers (spread over the nodes) while Jobs are applied:
//                events/s delivered in total, and the lag of the last one.
//  - cli.get     wall time of a whole `node dist/cmd/jobctl.cjs get jobs`
//                process (20 Jobs in its namespace), median of 20 runs.
//  - api.list    after seeding 100,000 Jobs (concurrent applies, spread over
//                the nodes): p50/p99 of one page of 500 (linearizable),
//                paging through everything.
//  - store.memory RSS, V8 heap and external memory of every node, with the
//                objects stored: once seeded, after the listing, and once
//                every Job has run (its Run and Events stored too).
//                BENCH_SEED_SUSPENDED=1 seeds suspended Jobs instead (Jobs
//                alone); BENCH_SETTLE_MS (600000) bounds the wait to finish.
// Knobs (env): BENCH_DURATION_MS (10000), BENCH_JOBS (100000),
// BENCH_SEED_CONCURRENCY (256), BENCH_KEEP=1 keeps the data dir,
// BENCH_PROGRESS_MS (0) emits, that often while waiting for every Job to
// finish, the leader's Runs by phase, its Event count and each node's RSS
// (store.drain: how fast a backlog drains, and how far an unsettled run got),
// BENCH_REST_MS (0) then leaves the finished cluster alone that long and
// reports each node's CPU, RSS and heap over it (store.rest),
// BENCH_JOBD_ARGS='--resync-ms 30000' adds jobd flags on every node,
// BENCH_HANDOFFS=N (0), once every Job has run, hands leadership to another
// node N times and watches BENCH_HANDOFF_WATCH_MS (20000) after each
// (store.handoff: whether the new leader keeps its term, and the longest
// "event loop stalled" each node logged meanwhile),
// BENCH_PROFILE=DIR writes a --cpu-prof of every node,
// BENCH_HEAP_SNAPSHOT=DIR writes a heap snapshot of every node into DIR once
// seeded and after the listing (`--heapsnapshot-signal`),
// BENCH_TLS=1 (or `npm run bench -- api --tls`) runs the cluster and every
// client with mutual TLS (certificates from `jobd certs`), BENCH_ONLY=apply,get
// runs only those phases (apply, get, watch, cli, list), BENCH_PROFILE=DIR
// writes a --cpu-prof of every node.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { generateCerts } from '../../pkg/tls/certs.js';
import type { ClientSecurity } from '../../pkg/transport/security.js';
import { API_VERSION, type ResourceInput } from '../../pkg/store/index.js';
import { clusterAtRest, clusterMemory, waitForSettled } from './node-memory.js';
import { percentile, retry, round } from './stats.js';
import { envNumber } from './inputs.js';

const job = (name: string, namespace = 'default', suspend = false): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name, namespace, labels: { bench: 'api' } },
  spec: { image: 'busybox:latest', command: ['echo', name], ...(suspend ? { suspend } : {}) },
});

const since = (t0: number): number => performance.now() - t0;

/** Connection security of every client (set when the cluster runs with TLS). */
let security: ClientSecurity | undefined;

/** A GrpcClient with the run's connection security. */
const grpcClient = (servers: string, timeoutMs?: number): GrpcClient =>
  new GrpcClient({ servers, security, ...(timeoutMs ? { timeoutMs } : {}) });

/** The CLI flags of the run's connection security. */
const securityFlags = (): string[] =>
  security ? ['--ca', security.ca, '--cert', security.cert, '--key', security.key].map(String) : [];

/** Runs `worker` on `n` concurrent clients for `ms`; latencies of the successful calls. */
async function closedLoop(
  n: number,
  ms: number,
  op: (client: number, i: number) => Promise<unknown>,
): Promise<{ latencies: number[]; errors: number; elapsedS: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let stop = false;
  const t0 = performance.now();
  const timer = setTimeout(() => (stop = true), ms);
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        const start = performance.now();
        try {
          await op(c, i);
          latencies.push(since(start));
        } catch {
          errors++;
        }
      }
    }),
  );
  clearTimeout(timer);
  latencies.sort((a, b) => a - b);
  return { latencies, errors, elapsedS: since(t0) / 1000 };
}

function figures(r: { latencies: number[]; errors: number; elapsedS: number }) {
  return {
    ops: r.latencies.length,
    errors: r.errors,
    duration_s: round(r.elapsedS),
    ops_per_s: Math.round(r.latencies.length / r.elapsedS),
    p50_ms: round(percentile(r.latencies, 50)),
    p99_ms: round(percentile(r.latencies, 99)),
  };
}

/** Names of the Jobs api.apply created, for api.get to read. */
const created: string[] = [];

async function applyBench(leader: string, ms: number): Promise<object> {
  const clients = Array.from({ length: 32 }, () => grpcClient(leader));
  // Warm-up (connections, first elections): retried, a loaded machine may time out once.
  await Promise.all(clients.map((c, i) => retry(() => c.apply(job(`warm-${i}`)))));
  const r = await closedLoop(32, ms, async (c, i) => {
    await (clients[c] as GrpcClient).apply(job(`apply-${c}-${i}`));
    created.push(`apply-${c}-${i}`);
  });
  for (const c of clients) c.close();
  return { name: 'api.apply', clients: 32, target: 'leader', ...figures(r) };
}

async function getBench(leader: string, ms: number): Promise<object> {
  const clients = Array.from({ length: 32 }, () => grpcClient(leader));
  const r = await closedLoop(32, ms, (c, i) =>
    (clients[c] as GrpcClient).get(
      'job',
      'default',
      created[(c * 7919 + i * 104729) % created.length] as string,
    ),
  );
  for (const c of clients) c.close();
  return { name: 'api.get', clients: 32, consistency: 'linearizable', ...figures(r) };
}

async function watchBench(cluster: LocalCluster, leader: string, events: number): Promise<object> {
  const start = await grpcClient(leader).list('jobs', { limit: 1 });
  const watchers = Array.from({ length: 10 }, (_, i) =>
    grpcClient((cluster.members[i % 3] as { address: string }).address),
  );
  const ac = new AbortController();
  const counts = new Array<number>(10).fill(0);
  let lastAt = 0;
  const done = watchers.map(async (w, i) => {
    for await (const e of w.watch('jobs', {
      namespace: 'watch',
      resourceVersion: start.resourceVersion,
      signal: ac.signal,
    })) {
      void e;
      counts[i] = (counts[i] as number) + 1;
      if (counts.every((n) => n >= events)) {
        lastAt = performance.now();
        ac.abort();
      }
    }
  });
  const writers = Array.from({ length: 32 }, () => grpcClient(leader));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    writers.map(async (w) => {
      while (next < events) {
        const n = next++;
        await w.apply(job(`watch-${n}`, 'watch'));
      }
    }),
  );
  const writtenAt = performance.now();
  const deadline = setTimeout(() => ac.abort(), 60_000);
  await Promise.all(done);
  clearTimeout(deadline);
  for (const c of [...watchers, ...writers]) c.close();
  const total = counts.reduce((a, b) => a + b, 0);
  const elapsed = ((lastAt || performance.now()) - t0) / 1000;
  return {
    name: 'api.watch',
    watchers: 10,
    events_per_watcher: events,
    delivered: total,
    missing: 10 * events - total,
    duration_s: round(elapsed),
    events_per_s: Math.round(total / elapsed),
    lag_after_last_write_ms: round((lastAt || performance.now()) - writtenAt),
  };
}

function runCli(args: string[], server: string): Promise<number> {
  const jobctl = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cmd', 'jobctl.cjs');
  const t0 = performance.now();
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      [jobctl, ...securityFlags(), ...args],
      { env: { ...process.env, JOBCTL_SERVER: server, NO_COLOR: '1' } },
      (err) => (err ? reject(err) : resolve(since(t0))),
    ),
  );
}

async function cliGetBench(servers: string): Promise<object> {
  const c = grpcClient(servers);
  await Promise.all(Array.from({ length: 20 }, (_, i) => c.apply(job(`cli-${i}`, 'cli'))));
  c.close();
  await runCli(['get', 'jobs', '-n', 'cli'], servers);
  const times: number[] = [];
  for (let i = 0; i < 20; i++) times.push(await runCli(['get', 'jobs', '-n', 'cli'], servers));
  const node = await (async () => {
    const t0 = performance.now();
    await new Promise<void>((resolve) => execFile(process.execPath, ['-e', '0'], () => resolve()));
    return since(t0);
  })();
  times.sort((a, b) => a - b);
  return {
    name: 'cli.get',
    runs: 20,
    objects: 20,
    median_ms: round(percentile(times, 50)),
    p90_ms: round(percentile(times, 90)),
    bare_node_ms: round(node),
  };
}

/** Seeds `total` Jobs (namespace "seed") with concurrent applies spread over the nodes. */
async function seed(
  servers: string[],
  total: number,
  concurrency: number,
  suspend: boolean,
): Promise<object> {
  const clients = servers.map((s) => grpcClient(s, 30_000));
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const c = clients[w % clients.length] as GrpcClient;
      while (next < total) {
        const n = next++;
        for (let attempt = 0; ; attempt++) {
          try {
            await c.apply(job(`seed-${String(n).padStart(6, '0')}`, 'seed', suspend));
            break;
          } catch (err) {
            errors++;
            if (attempt > 20) throw err;
          }
        }
      }
    }),
  );
  for (const c of clients) c.close();
  const s = since(t0) / 1000;
  return {
    name: 'api.seed',
    jobs: total,
    suspended: suspend,
    concurrency,
    retries: errors,
    duration_s: round(s),
    ops_per_s: Math.round(total / s),
  };
}

/** Has every node write a heap snapshot into dir (SIGUSR2) and waits until all are written. */
async function heapSnapshots(cluster: LocalCluster, dir: string): Promise<void> {
  const count = (): number => readdirSync(dir).filter((n) => n.endsWith('.heapsnapshot')).length;
  const want = count() + cluster.members.length;
  for (const m of cluster.members) m.proc?.kill('SIGUSR2');
  const deadline = performance.now() + 600_000;
  while (count() < want && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  // A snapshot file appears as it starts being written: wait for sizes to settle.
  let sizes = '';
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const now = readdirSync(dir)
      .map((n) => statSync(join(dir, n)).size)
      .join(',');
    if (now === sizes) return;
    sizes = now;
  }
}

async function listBench(leader: string, total: number): Promise<object> {
  const c = grpcClient(leader, 30_000);
  const latencies: number[] = [];
  let items = 0;
  let pages = 0;
  let cont: string | undefined;
  const t0 = performance.now();
  do {
    const start = performance.now();
    // A leader busy with 100,000 freshly created Jobs can miss a read index's
    // deadline: the page is asked again (its time counts, retries included).
    const page = await retry(() =>
      c.list('jobs', { namespace: 'seed', limit: 500, continue: cont }),
    );
    latencies.push(since(start));
    items += page.items.length;
    pages++;
    cont = page.continue;
  } while (cont);
  const elapsed = since(t0) / 1000;
  c.close();
  latencies.sort((a, b) => a - b);
  return {
    name: 'api.list',
    stored: total,
    page_size: 500,
    pages,
    items,
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(percentile(latencies, 100)),
    full_listing_s: round(elapsed),
  };
}

/** The longest `event loop stalled` each node logged after `since` (ms since the epoch). */
function stallsSince(
  cluster: LocalCluster,
  since: number,
): { node: number; count: number; max_ms: number }[] {
  return cluster.members.map((m) => {
    let count = 0;
    let max = 0;
    let text = '';
    try {
      text = readFileSync(m.logFile, 'utf8');
    } catch {
      // Not written yet.
    }
    for (const line of text.split('\n')) {
      if (!line.includes('event loop stalled')) continue;
      try {
        const rec = JSON.parse(line) as { time?: string; ts?: string; lateMs?: number };
        const at = Date.parse(rec.time ?? rec.ts ?? '');
        if (!(at >= since)) continue;
        count++;
        max = Math.max(max, rec.lateMs ?? 0);
      } catch {
        continue;
      }
    }
    return { node: m.id, count, max_ms: max };
  });
}

/**
 * Hands leadership to another node `times` times, watching `watchMs` after
 * each: a new leader starts its controllers over everything stored, and one
 * that holds its event loop past the followers' election timeout loses its
 * term (the 100,000-Job run of session 6). Emits store.handoff per handoff.
 */
async function handoffs(
  cluster: LocalCluster,
  times: number,
  watchMs: number,
  emit: (o: object) => void,
): Promise<void> {
  for (let i = 0; i < times; i++) {
    const from = await cluster.waitForLeader({ timeoutMs: 60_000 });
    const to = cluster.members.map((m) => m.id).find((id) => id !== from.id) as number;
    const url = cluster.dashboardUrl(from.id);
    const since = Date.now();
    let error: string | undefined;
    try {
      const res = await fetch(`${url}api/cluster/transfer-leader?to=${to}`, {
        method: 'POST',
        signal: AbortSignal.timeout(30_000),
      });
      if (!res.ok) error = `transfer: HTTP ${res.status} ${await res.text()}`;
    } catch (err) {
      error = `transfer: ${String(err)}`;
    }
    const took = await cluster.waitForLeader({ timeoutMs: 60_000 });
    const terms = new Set<number>([took.term]);
    const leaders = new Set<number>([took.id]);
    const end = Date.now() + watchMs;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500));
      for (const st of await cluster.statuses(2000)) {
        if (st.role === 'leader') {
          terms.add(st.term);
          leaders.add(st.id);
        }
      }
    }
    emit({
      name: 'store.handoff',
      handoff: i + 1,
      loadavg_1m: round(loadavg()[0] ?? NaN),
      from: from.id,
      to,
      new_leader: took.id,
      term_at_handoff: took.term,
      terms_seen: [...terms].sort((a, b) => a - b),
      leaders_seen: [...leaders].sort(),
      term_held: terms.size === 1,
      stalls: stallsSince(cluster, since),
      ...(error ? { error } : {}),
    });
  }
}

/** The leader's Runs by phase (as its /metrics counts them), or undefined. */
async function runPhases(cluster: LocalCluster): Promise<Record<string, number> | undefined> {
  for (const m of cluster.members) {
    const url = cluster.dashboardUrl(m.id);
    if (!url?.startsWith('http:')) continue;
    try {
      const res = await fetch(`${url}metrics`, { signal: AbortSignal.timeout(10_000) });
      const text = await res.text();
      if (!/^jobctl_raft_role\{role="leader"\} 1$/m.test(text)) continue;
      return Object.fromEntries(
        [...text.matchAll(/^jobctl_runs\{phase="(\w+)"\} (\d+)$/gm)].map((x) => [
          x[1] as string,
          Number(x[2]),
        ]),
      );
    } catch {
      continue;
    }
  }
  return undefined;
}

/**
 * Every `everyMs` (0: never) emits store.drain: the Runs by phase, the
 * Events and each node's RSS. Returns the function that stops it.
 */
function drainProgress(
  cluster: LocalCluster,
  everyMs: number,
  emit: (o: object) => void,
): () => void {
  if (everyMs <= 0) return () => {};
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void Promise.all([runPhases(cluster), clusterMemory(cluster)])
      .then(([phases, mem]) =>
        emit({
          name: 'store.drain',
          loadavg_1m: round(loadavg()[0] ?? NaN),
          runs: phases,
          events: mem.objects.Event ?? 0,
          rss_mb: mem.nodes.map((n) => n.rss_mb),
        }),
      )
      .finally(() => (busy = false));
  }, everyMs);
  return () => clearInterval(timer);
}

export async function benchApi(): Promise<object[]> {
  created.length = 0;
  const durationMs = envNumber('BENCH_DURATION_MS', 10_000);
  const total = envNumber('BENCH_JOBS', 100_000);
  const tls = process.env.BENCH_TLS === '1' || process.argv.includes('--tls');
  const only = new Set((process.env.BENCH_ONLY ?? 'apply,get,watch,cli,list').split(','));
  const heapDir = process.env.BENCH_HEAP_SNAPSHOT;
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-api-'));
  const certs = join(dir, 'certs');
  if (tls) {
    await generateCerts({
      out: certs,
      nodes: 3,
      users: [{ name: 'admin', groups: ['system:masters'] }],
    });
  }
  const cluster = await LocalCluster.start({
    nodes: 3,
    baseDir: dir,
    // The control plane is measured: Jobs run instantly on the fake runtime.
    // Capacity is measured, not the per-client limiter (--rate-limit 0).
    extraArgs: [
      '--runtime',
      'fake',
      '--rate-limit',
      '0',
      ...(process.env.BENCH_JOBD_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
    nodeArgs: [
      ...(process.env.BENCH_PROFILE
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
        : []),
      ...(heapDir ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${heapDir}`] : []),
    ],
    ...(tls ? { tls: { dir: certs } } : {}),
    // /metrics tells what the memory is made of (store.memory).
    ...(only.has('list') ? { httpBasePort: 0 } : {}),
  });
  security = cluster.clientSecurity();
  const out: object[] = [];
  const began = performance.now();
  const emit = (o: object): void => {
    out.push(o);
    // When, for reading a run as it goes (not in the results).
    process.stderr.write(
      `${JSON.stringify({ ...o, at_s: round((performance.now() - began) / 1000) })}\n`,
    );
  };
  try {
    const lead = await cluster.waitForLeader({ timeoutMs: 30_000 });
    // The machine's state, for comparing runs: benchmarks on a busy machine mean little.
    emit({
      name: 'api.env',
      loadavg_1m: round(loadavg()[0] ?? NaN),
      cpus: availableParallelism(),
      tls,
    });
    const leader = cluster.member(lead.id).address;
    if (only.has('apply')) emit({ ...(await applyBench(leader, durationMs)), tls });
    if (only.has('get')) emit({ ...(await getBench(leader, Math.min(durationMs, 5000))), tls });
    if (only.has('watch')) emit(await watchBench(cluster, leader, 2000));
    if (only.has('cli')) emit(await cliGetBench(cluster.servers()));
    if (!only.has('list')) return out;
    const suspended = process.env.BENCH_SEED_SUSPENDED === '1';
    emit(
      await seed(
        cluster.members.map((m) => m.address),
        total,
        envNumber('BENCH_SEED_CONCURRENCY', 256),
        suspended,
      ),
    );
    // Memory once seeded, again after the listing (so a listing that fails
    // still leaves a figure) and, for runnable Jobs, once every Job has run:
    // then the store holds each one's Run and Events too, the figure the
    // issue's target is about. `objects` says what was stored at that moment.
    const memory = async (when: string): Promise<void> => {
      if (heapDir) await heapSnapshots(cluster, heapDir);
      const { nodes, objects } = await clusterMemory(cluster);
      const rss = nodes.map((n) => n.rss_mb);
      emit({
        name: 'store.memory',
        when,
        // Plus the Jobs of the earlier phases (api.apply's creates, api.watch's).
        jobs_seeded: total,
        jobs: suspended ? 'suspended' : 'runnable',
        objects,
        rss_mb: rss,
        rss_mb_max: Math.max(...rss),
        nodes,
      });
    };
    await memory('seeded');
    emit(await listBench(leader, total));
    await memory('listed');
    if (!suspended) {
      const settleMs = envNumber('BENCH_SETTLE_MS', 600_000);
      const progress = drainProgress(cluster, envNumber('BENCH_PROGRESS_MS', 0), emit);
      const settled = await waitForSettled(cluster, total, settleMs).finally(progress);
      if (settled) {
        await memory('finished');
        const handoffCount = envNumber('BENCH_HANDOFFS', 0);
        if (handoffCount > 0) {
          await handoffs(cluster, handoffCount, envNumber('BENCH_HANDOFF_WATCH_MS', 20_000), emit);
        }
        const restMs = envNumber('BENCH_REST_MS', 0);
        if (restMs > 0) {
          emit({
            name: 'store.rest',
            rest_ms: restMs,
            loadavg_1m: round(loadavg()[0] ?? NaN),
            nodes: await clusterAtRest(cluster, restMs),
          });
        }
      } else {
        emit({ name: 'store.memory', when: 'finished', error: `not settled in ${settleMs} ms` });
      }
    }
  } finally {
    // A node writes its --cpu-prof as it exits: give it time to (a loaded machine is slow).
    await cluster.stop(process.env.BENCH_PROFILE ? 60_000 : undefined);
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
