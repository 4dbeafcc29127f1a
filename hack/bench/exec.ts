// `npm run bench -- exec`: Jobs executed end to end on a real 3-node jobd cluster
// (child processes on loopback, temp data dirs, fsync on), through GrpcClient.
//  - exec.throughput  --runtime fake: EXEC_BENCH_JOBS (2,000) Jobs applied concurrently
//                     (EXEC_BENCH_CONCURRENCY, 64 clients spread over the nodes); a watch on
//                     Jobs from before the first apply counts them Succeeded. jobs_per_s =
//                     jobs / (last Succeeded - first apply); per-Job apply -> Succeeded p50/p99.
//  - exec.failover    same fake cluster: kill -9 of the leader, then a new Job is applied
//                     (retried until a surviving node accepts it); the figure is the time from
//                     the kill until that Job's Run has spec.nodeName. EXEC_BENCH_FAILOVERS
//                     (3) rounds; the killed node is restarted (and Ready) between rounds.
//                     placed_on_killed says how often the scheduler still picked the dead node
//                     (it stays Ready for one --node-grace-ms, 5 s by default).
//  - exec.node_loss   same fake cluster: kill -9 of a node running 20 Runs (a follower, then
//                     the leader), time until all are Running elsewhere (./node-loss.ts).
//  - exec.drain       same fake cluster: EXEC_BENCH_DRAIN_JOBS (10,000) Jobs applied at once
//                     (EXEC_BENCH_DRAIN_CONCURRENCY, 256 clients); seconds from the first apply
//                     until every one is Succeeded (target 15 s).
//   Both waves also say what a Job cost: store revisions (changes: the Job, its Run,
//   status writes, Events; not Node heartbeats) per Job, counted once the writes
//   have settled (no change but heartbeats for a second), and CPU ms
//   per Job of the three nodes together and of this bench process (the clients and
//   the watch), from /proc: less sensitive than jobs_per_s to a machine shared with
//   other work. The *_until_done figures stop at the last Succeeded (the rest is
//   work after it: Events, log copies, settling): the nodes', the leader's, and
//   machine_cores_busy_until_done, every process on the machine (other sessions' too)
//   in cores, which says whether the wave was bound by CPU (2 on this machine).
//   reconciles_per_job: by controller (job, scheduler, the agents ...), from the nodes' /metrics;
//   retries_per_job: those of them that ended in a retry ("job error": back-off after a
//   failure such as a Conflict; "job requeue": asked for), by controller and result.
//   raft_entries_per_job: Raft entries applied per Job (group commit packs many writes in one).
// EXEC_BENCH_ONLY=throughput,drain,failover,node_loss,overhead runs only those figures;
// EXEC_BENCH_THROUGHPUT_ROUNDS=N runs the throughput wave N times (later ones on warm nodes);
// EXEC_BENCH_SLEEP=S makes every fake container run S seconds (default 0: it ends at once).
//  - exec.overhead    --runtime docker (default flags): EXEC_BENCH_N (10) Jobs of `true`, one at
//                     a time, apply -> Succeeded seen on a watch, interleaved with a bare
//                     dockerode create+start+wait+remove of the same container (create options
//                     and sandbox as DockerRuntime, image jobctl/busybox:latest); ratio_p50 =
//                     median(job) / median(bare). Skipped when Docker is not reachable.
// Nodes are named `bench<hex>-<id>`: the Docker runtime scopes containers by node name, so a
// dev cluster (node-1..3) sharing the engine never sweeps the bench's containers, or vice
// versa. Containers left over are removed at the end. BENCH_KEEP=1 keeps the data dirs;
// BENCH_PROFILE=DIR writes a --cpu-prof of every node (summarise: hack/bench/profile.ts).
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { eventually } from '../../test/support/eventually.js';
import { createOptions, DEFAULT_SANDBOX } from '../../pkg/runtime/docker/create-options.js';
import type { RunContainerSpec } from '../../pkg/runtime/index.js';
import {
  API_VERSION,
  type Job,
  type Node,
  type ResourceInput,
  type Run,
} from '../../pkg/store/index.js';
import { Reason, isReason } from '../../pkg/util/errors.js';
import { nodeLoss } from './node-loss.js';
import { cpuMs, machineCpuMs, percentile, round } from './stats.js';
import { nodeDefaults } from '../../pkg/node/config.js';
import { envNumber } from './inputs.js';

const IMAGE = process.env.EXEC_BENCH_IMAGE ?? 'jobctl/busybox:latest';
const TRANSIENT = [Reason.TooManyRequests, Reason.Unavailable, Reason.Timeout];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const now = (): number => performance.now();

interface Bench {
  cluster: LocalCluster;
  prefix: string;
  dir: string;
  names: string[];
}

async function startCluster(runtime: 'fake' | 'docker', extra: string[] = []): Promise<Bench> {
  const prefix = `bench${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), `jobctl-bench-exec-${runtime}-`));
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  const cluster = await LocalCluster.start({
    nodes: 3,
    baseDir: dir,
    nodeArgs: profile,
    extraArgs: ['--runtime', runtime, '--rate-limit', '0', ...extra],
    // For /metrics (reconciles per Job); an idle HTTP server costs nothing.
    httpBasePort: 0,
    nodeExtraArgs: (id) => ['--name', `${prefix}-${id}`],
  });
  const b = { cluster, prefix, dir, names: [1, 2, 3].map((id) => `${prefix}-${id}`) };
  await cluster.waitForLeader({ timeoutMs: 60_000 });
  await nodesReady(b, b.names);
  return b;
}

async function stopCluster(b: Bench, docker?: Docker): Promise<void> {
  // A node writes its --cpu-prof file only when it exits on its own; writing a long
  // profile can take longer than the usual grace before SIGKILL.
  await b.cluster.stop(process.env.BENCH_PROFILE ? 60_000 : undefined);
  if (docker) {
    for (const name of b.names) {
      const left = await docker
        .listContainers({ all: true, filters: { label: [`jobctl.scope=${name}`] } })
        .catch(() => []);
      for (const c of left)
        await docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined);
    }
  }
  if (process.env.BENCH_KEEP === '1') process.stderr.write(`exec bench data kept in ${b.dir}\n`);
  else rmSync(b.dir, { recursive: true, force: true });
}

async function nodesReady(b: Bench, names: string[]): Promise<void> {
  const client = b.cluster.resourceClient();
  try {
    await eventually(
      `Nodes ${names.join(', ')} Ready`,
      async () => {
        const nodes = (await client.list('nodes')).items as unknown as Node[];
        const ok = names.every((n) =>
          nodes
            .find((x) => x.metadata.name === n)
            ?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        );
        return ok ? true : undefined;
      },
      60_000,
      100,
    );
  } finally {
    client.close();
  }
}

const SLEEP_S = envNumber('EXEC_BENCH_SLEEP', 0);

const job = (name: string, labels: Record<string, string>, fake: boolean): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name, labels },
  spec: {
    image: IMAGE,
    // EXEC_BENCH_SLEEP: how long each fake container runs (its Running is then seen
    // before it ends, as a real Job's is); the default 0 ends it at once.
    command: fake && SLEEP_S > 0 ? ['sleep', String(SLEEP_S)] : ['true'],
    // Tiny requests for the fake runtime, so cpu/memory never limit placement (6Mi is
    // the smallest memory the API accepts: Docker refuses less).
    resources: fake ? { cpu: '1m', memory: '6Mi' } : { cpu: '500m', memory: '64Mi' },
    backoffLimit: 0,
  },
});

/** How often a wave's watch of Jobs was too old and relisted (see watchSucceeded). */
let watchRelists = 0;

/**
 * Only Succeeded Jobs, selected by the serving node: a Job's other changes (its creation,
 * its first status) would cost that node an encode and this process a decode each, two
 * thirds of a wave's Job events, and measure nothing.
 */
const SUCCEEDED = 'status.phase=Succeeded';

/**
 * Watches Jobs with `selector` from `rv` and calls onSucceeded(name, t) once per Job.
 * A watch that falls out of the store's history (Gone: the server dropped a consumer that
 * fell too far behind, and its resume is older than the window) relists, as an informer
 * does: the Jobs the list shows Succeeded are reported at the list's time, then the watch
 * goes on from the list's revision.
 */
function watchSucceeded(
  client: GrpcClient,
  selector: string,
  rv: string,
  signal: AbortSignal,
  onSucceeded: (name: string, t: number) => void,
): Promise<void> {
  const seen = new Set<string>();
  const succeeded = (j: Job, t: number): void => {
    if (j.status?.phase === 'Succeeded' && !seen.has(j.metadata.name)) {
      seen.add(j.metadata.name);
      onSucceeded(j.metadata.name, t);
    }
  };
  return (async () => {
    let from = rv;
    for (;;) {
      try {
        for await (const ev of client.watch('jobs', {
          labelSelector: selector,
          fieldSelector: SUCCEEDED,
          resourceVersion: from,
          signal,
        })) {
          succeeded(ev.object as unknown as Job, now());
        }
        return;
      } catch (err) {
        if (signal.aborted || !isReason(err, Reason.Gone)) throw err;
        watchRelists++;
        let cont: string | undefined;
        from = '';
        do {
          const page = await client.list('jobs', {
            labelSelector: selector,
            fieldSelector: SUCCEEDED,
            limit: 1_000,
            continue: cont,
          });
          if (from === '') from = page.resourceVersion;
          const t = now();
          for (const j of page.items) succeeded(j as unknown as Job, t);
          cont = page.continue;
        } while (cont);
      }
    }
  })().catch((err: unknown) => {
    if (!signal.aborted) throw err;
  });
}

/** What one wave of Jobs applied concurrently and run to Succeeded measured. */
interface Wave {
  readonly succeeded: number;
  readonly errors: number;
  readonly apply_s: number;
  readonly duration_s: number;
  readonly latencies: readonly number[];
  /** Store revisions (changes) from before the first apply until the writes settled, Node heartbeats left out. */
  readonly revisions: number;
  /** CPU ms of the nodes (together) and of this process over the same span. */
  readonly nodeCpuMs: number;
  readonly benchCpuMs: number;
  /** Of nodeCpuMs: until the last Job was seen Succeeded (the rest came after, while settling). */
  readonly nodeCpuUntilDoneMs: number;
  /** Of nodeCpuUntilDoneMs: the node that led when the wave ended. */
  readonly leaderCpuUntilDoneMs: number;
  /** Machine CPU ms (all processes, from /proc/stat) until the last Succeeded, and the wall ms. */
  readonly machineCpuUntilDoneMs: number;
  readonly untilDoneMs: number;
  /** Reconciles per Job by controller (all nodes), until the writes settled. */
  readonly reconcilesPerJob: Readonly<Record<string, number>>;
  /** Of those, the reconciles that ended in a retry, by "controller result" (error, requeue). */
  readonly retriesPerJob: Readonly<Record<string, number>>;
  /** Raft entries applied over the same span (the Jobs' writes, Node heartbeats, no-ops). */
  readonly raftEntries: number;
  /** How often the wave's watch of Jobs fell out of the store's history and relisted. */
  readonly watchRelists: number;
}

/** The store's current revision, as a list answers it (retried: a loaded node may time out). */
async function revision(client: GrpcClient, label: string): Promise<number> {
  return eventually(
    'the store revision',
    async () =>
      Number(
        (await client.list('jobs', { labelSelector: `bench=${label}`, limit: 1 })).resourceVersion,
      ),
    60_000,
    200,
  );
}

/**
 * The revisions of Node changes (heartbeats: every node writes its status about
 * twice a second) from `rv` on, as a watch sees them: they move the store
 * revision whether or not any Job is running, so they are counted apart.
 */
function watchNodeChanges(
  client: GrpcClient,
  rv: string,
  signal: AbortSignal,
): { revisions: number[]; done: Promise<void> } {
  const revisions: number[] = [];
  const done = (async () => {
    for await (const ev of client.watch('nodes', { resourceVersion: rv, signal })) {
      revisions.push(Number(ev.object.metadata.resourceVersion));
    }
  })().catch((err: unknown) => {
    if (!signal.aborted) throw err;
  });
  return { revisions, done };
}

/**
 * Waits until the wave's writes have settled: the revision, Node heartbeats left
 * out, has not moved for `quietMs` (the last Events and status writes have
 * landed; a bench, not a test: a settle poll is what it needs). Returns the
 * revision reached. The heartbeats never stop, so a settle on the bare
 * revision ran until its 60 polls were spent, a minute of idle nodes counted in
 * the wave's CPU per Job.
 */
async function settledRevision(
  client: GrpcClient,
  label: string,
  nodeRevisions: readonly number[],
  quietMs = 1000,
): Promise<number> {
  const jobWrites = (rev: number): number => rev - nodeRevisions.filter((r) => r <= rev).length;
  let last = await revision(client, label);
  for (let i = 0; i < 60; i++) {
    await sleep(quietMs);
    const now2 = await revision(client, label);
    if (jobWrites(now2) === jobWrites(last)) break;
    last = now2;
  }
  return last;
}

/** What the wave figures read off the nodes' /metrics. */
interface Scraped {
  /** Reconciles so far by controller, and "controller result" for those that ended in a retry. */
  readonly reconciles: Map<string, number>;
  /** The highest Raft index applied on any node (entries: Jobs' writes, heartbeats, no-ops). */
  readonly appliedIndex: number;
}

/**
 * Reconciles so far by controller, summed over the nodes (the leader's
 * controllers and every node's agent), from each node's /metrics
 * (jobctl_controller_reconcile_total, every result), and the Raft index applied.
 * A node that does not answer counts nothing: a figure, not a check.
 */
async function scrape(b: Bench): Promise<Scraped> {
  const out = new Map<string, number>();
  let appliedIndex = 0;
  await Promise.all(
    b.cluster.members.map(async (m) => {
      if (!m.http) return;
      const text = await fetch(`http://${m.http}/metrics`, { signal: AbortSignal.timeout(10_000) })
        .then((r) => r.text())
        .catch(() => '');
      for (const line of text.split('\n')) {
        const applied = /^jobctl_raft_applied_index (\S+)$/.exec(line);
        if (applied) appliedIndex = Math.max(appliedIndex, Number(applied[1]));
        const hit = /^jobctl_controller_reconcile_total\{(.*)\} (\S+)$/.exec(line);
        const controller = hit && /controller="([^"]*)"/.exec(hit[1] as string)?.[1];
        if (!hit || !controller) continue;
        out.set(controller, (out.get(controller) ?? 0) + Number(hit[2]));
        // Those that ended in a retry too (error: back-off; requeue: asked for), by result.
        const result = /result="([^"]*)"/.exec(hit[1] as string)?.[1];
        if (result === 'error' || result === 'requeue') {
          const key = `${controller} ${result}`;
          out.set(key, (out.get(key) ?? 0) + Number(hit[2]));
        }
      }
    }),
  );
  return { reconciles: out, appliedIndex };
}

function nodesCpuMs(b: Bench): number {
  return b.cluster.members.reduce((a, m) => a + cpuMs(m.proc?.pid), 0);
}

/**
 * Applies `total` Jobs (`prefix`-N) labelled bench=`label` from `concurrency` clients spread over
 * the nodes, and waits (at most EXEC_BENCH_TIMEOUT_MS) until a watch has seen every one
 * Succeeded. duration_s runs from the first apply to the last Succeeded.
 */
async function wave(
  b: Bench,
  label: string,
  prefix: string,
  total: number,
  concurrency: number,
): Promise<Wave> {
  const watcher = b.cluster.resourceClient(undefined, { timeoutMs: 30_000 });
  watchRelists = 0;
  const clients = [1, 2, 3].map((id) => b.cluster.resourceClient([id], { timeoutMs: 30_000 }));
  const start = await watcher.list('jobs', { labelSelector: `bench=${label}`, limit: 1 });
  const applied = new Map<string, number>();
  const latencies: number[] = [];
  let done = 0;
  let lastAt = 0;
  let allDone: () => void = () => {};
  const finished = new Promise<void>((r) => (allDone = r));
  const ac = new AbortController();
  const watching = watchSucceeded(
    watcher,
    `bench=${label}`,
    start.resourceVersion,
    ac.signal,
    (name, t) => {
      const a = applied.get(name);
      if (a !== undefined) latencies.push(t - a);
      lastAt = t;
      if (++done === total) {
        cpuAtDone = {
          nodes: nodesCpuMs(b),
          perNode: b.cluster.members.map((m) => cpuMs(m.proc?.pid)),
          machine: machineCpuMs(),
          at: t,
        };
        allDone();
      }
    },
  );
  const nodeChanges = watchNodeChanges(watcher, start.resourceVersion, ac.signal);
  const scraped0 = await scrape(b);
  const cpu0 = nodesCpuMs(b);
  const perNode0 = b.cluster.members.map((m) => cpuMs(m.proc?.pid));
  const machine0 = machineCpuMs();
  let cpuAtDone: { nodes: number; perNode: number[]; machine: number; at: number } | undefined;
  const benchCpu0 = process.cpuUsage();
  const t0 = now();
  let next = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      const c = clients[w % clients.length] as GrpcClient;
      while (next < total) {
        const name = `${prefix}-${next++}`;
        applied.set(name, now());
        // apply is idempotent: a retry after backpressure or a timeout is harmless.
        for (;;) {
          try {
            await c.apply(job(name, { bench: label }, true));
            break;
          } catch (err) {
            if (!TRANSIENT.some((r) => isReason(err, r))) throw err;
            errors++;
            await sleep(50);
          }
        }
      }
    }),
  );
  const appliedAt = now();
  const timeout = envNumber('EXEC_BENCH_TIMEOUT_MS', 300_000);
  const timer = setTimeout(allDone, timeout);
  await finished;
  clearTimeout(timer);
  const endAt = done === total ? lastAt : now();
  const leader = await b.cluster.waitForLeader({ timeoutMs: 60_000 }).catch(() => undefined);
  const rev = await settledRevision(watcher, label, nodeChanges.revisions);
  const benchCpu = process.cpuUsage(benchCpu0);
  const nodeCpuMs = nodesCpuMs(b) - cpu0;
  const heartbeats = nodeChanges.revisions.filter((r) => r <= rev).length;
  ac.abort();
  await Promise.all([watching, nodeChanges.done]);
  const scraped1 = await scrape(b);
  const reconcilesPerJob: Record<string, number> = {};
  const retriesPerJob: Record<string, number> = {};
  for (const [key, n] of [...scraped1.reconciles].sort((x, y) => x[0].localeCompare(y[0]))) {
    const perJob = round((n - (scraped0.reconciles.get(key) ?? 0)) / total, 2);
    // "controller result" keys count the retries among that controller's reconciles.
    if (key.includes(' ')) retriesPerJob[key] = perJob;
    else reconcilesPerJob[key] = perJob;
  }
  for (const c of [watcher, ...clients]) c.close();
  latencies.sort((a, b2) => a - b2);
  return {
    succeeded: done,
    errors,
    apply_s: round((appliedAt - t0) / 1000),
    duration_s: round((endAt - t0) / 1000),
    latencies,
    revisions: rev - Number(start.resourceVersion) - heartbeats,
    nodeCpuMs,
    benchCpuMs: (benchCpu.user + benchCpu.system) / 1000,
    nodeCpuUntilDoneMs: cpuAtDone ? cpuAtDone.nodes - cpu0 : NaN,
    leaderCpuUntilDoneMs: (() => {
      const i = b.cluster.members.findIndex((m) => m.id === leader?.id);
      return cpuAtDone && i >= 0 ? (cpuAtDone.perNode[i] as number) - (perNode0[i] as number) : NaN;
    })(),
    machineCpuUntilDoneMs: cpuAtDone ? cpuAtDone.machine - machine0 : NaN,
    untilDoneMs: cpuAtDone ? cpuAtDone.at - t0 : NaN,
    reconcilesPerJob,
    retriesPerJob,
    raftEntries: scraped1.appliedIndex - scraped0.appliedIndex,
    watchRelists,
  };
}

/** The fields exec.throughput and exec.drain share. */
function waveFigures(w: Wave, total: number, concurrency: number): Record<string, unknown> {
  return {
    runtime: 'fake',
    nodes: 3,
    jobs: total,
    succeeded: w.succeeded,
    apply_errors: w.errors,
    apply_concurrency: concurrency,
    apply_s: w.apply_s,
    revisions_per_job: round(w.revisions / total, 2),
    // Entries carry many changes each (group commit, batches): fewer when writes come
    // in larger batches, as in the drain.
    raft_entries_per_job: round(w.raftEntries / total, 3),
    node_cpu_ms_per_job: round(w.nodeCpuMs / total, 2),
    bench_cpu_ms_per_job: round(w.benchCpuMs / total, 2),
    // Until the last Succeeded: the nodes' CPU per Job, the leader's part, and how
    // busy the whole machine (every process, other sessions' too) was meanwhile,
    // in cores: near 2 on this machine means the wave was CPU-bound.
    node_cpu_ms_per_job_until_done: round(w.nodeCpuUntilDoneMs / total, 2),
    leader_cpu_ms_per_job_until_done: round(w.leaderCpuUntilDoneMs / total, 2),
    machine_cores_busy_until_done: round(w.machineCpuUntilDoneMs / w.untilDoneMs, 2),
    reconciles_per_job: w.reconcilesPerJob,
    retries_per_job: w.retriesPerJob,
    watch_relists: w.watchRelists,
  };
}

/**
 * exec.throughput, EXEC_BENCH_THROUGHPUT_ROUNDS (1) waves one after another on the same
 * nodes: the first on nodes started moments before (V8 still compiling), later ones on
 * warm nodes, which tells the cost of a cold node apart from that of the wave's shape.
 */
async function throughput(b: Bench): Promise<object[]> {
  const total = envNumber('EXEC_BENCH_JOBS', 2000);
  const concurrency = envNumber('EXEC_BENCH_CONCURRENCY', 64);
  const rounds = envNumber('EXEC_BENCH_THROUGHPUT_ROUNDS', 1);
  const out: object[] = [];
  for (let r = 0; r < rounds; r++) {
    const w = await wave(b, `throughput${r || ''}`, `tp${r || ''}`, total, concurrency);
    out.push({
      name: 'exec.throughput',
      ...(rounds > 1 ? { round: r + 1 } : {}),
      ...waveFigures(w, total, concurrency),
      duration_s: w.duration_s,
      jobs_per_s: round(w.succeeded / w.duration_s, 1),
      p50_ms: round(percentile(w.latencies, 50)),
      p99_ms: round(percentile(w.latencies, 99)),
    });
  }
  return out;
}

/**
 * exec.drain: EXEC_BENCH_DRAIN_JOBS (10,000) Jobs applied at once (as fast as
 * EXEC_BENCH_DRAIN_CONCURRENCY, 256 clients, can), then every one run to Succeeded;
 * the figure is the seconds from the first apply to the last Succeeded (target: 15).
 */
async function drain(b: Bench): Promise<object> {
  const total = envNumber('EXEC_BENCH_DRAIN_JOBS', 10_000);
  const concurrency = envNumber('EXEC_BENCH_DRAIN_CONCURRENCY', 256);
  const w = await wave(b, 'drain', 'dr', total, concurrency);
  return {
    name: 'exec.drain',
    ...waveFigures(w, total, concurrency),
    seconds: w.duration_s,
    jobs_per_s: round(w.succeeded / w.duration_s, 1),
    p99_ms: round(percentile(w.latencies, 99)),
    within_15s: w.succeeded === total && w.duration_s <= 15,
  };
}

async function failover(b: Bench): Promise<object> {
  const rounds = envNumber('EXEC_BENCH_FAILOVERS', 3);
  const samples: number[] = [];
  let onKilled = 0;
  for (let i = 0; i < rounds; i++) {
    await nodesReady(b, b.names);
    const leader = (await b.cluster.waitForLeader({ timeoutMs: 60_000 })).id;
    const survivors = [1, 2, 3].filter((id) => id !== leader);
    const client = b.cluster.resourceClient(survivors, { timeoutMs: 2000 });
    const name = `failover-${i}`;
    const t0 = now();
    await b.cluster.kill(leader, 'SIGKILL');
    await eventually(`Job ${name} accepted`, () => client.apply(job(name, {}, true)), 60_000, 20);
    const run = await eventually(
      `the Run of ${name} placed`,
      async () => {
        const runs = (await client.list('runs', { labelSelector: `jobctl.dev/job-name=${name}` }))
          .items as unknown as Run[];
        return runs.find((r) => r.spec.nodeName !== '');
      },
      60_000,
      10,
    );
    samples.push(now() - t0);
    if (run.spec.nodeName === `${b.prefix}-${leader}`) onKilled++;
    client.close();
    b.cluster.startNode(leader);
    await b.cluster.waitForLeader({ timeoutMs: 60_000 });
  }
  const sorted = [...samples].sort((a, b2) => a - b2);
  return {
    name: 'exec.failover',
    runtime: 'fake',
    rounds,
    p50_ms: round(percentile(sorted, 50)),
    max_ms: round(sorted[sorted.length - 1] ?? NaN),
    samples_ms: samples.map((s) => round(s, 0)),
    placed_on_killed: onKilled,
  };
}

function bareSpec(): RunContainerSpec {
  const runUid = `bench-${randomBytes(6).toString('hex')}`;
  return {
    image: IMAGE,
    imagePullPolicy: 'IfNotPresent',
    command: ['true'],
    env: [],
    resources: { cpu: '500m', memory: '64Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
    runUid,
    labels: { 'jobctl.bench': 'exec' },
  };
}

async function bare(docker: Docker): Promise<number> {
  const s = bareSpec();
  const t0 = now();
  const c = await docker.createContainer(
    createOptions(s, `jobctl-bench-${s.runUid}`, { ...s.labels }, DEFAULT_SANDBOX),
  );
  await c.start();
  await c.wait();
  await c.remove({ force: true });
  return now() - t0;
}

async function overhead(b: Bench, docker: Docker): Promise<object> {
  const n = envNumber('EXEC_BENCH_N', 10);
  const client = b.cluster.resourceClient();
  const start = await client.list('jobs', { labelSelector: 'bench=overhead', limit: 1 });
  const waiters = new Map<string, (t: number) => void>();
  const ac = new AbortController();
  const watching = watchSucceeded(
    client,
    'bench=overhead',
    start.resourceVersion,
    ac.signal,
    (name, t) => waiters.get(name)?.(t),
  );
  const e2e = async (i: number): Promise<number> => {
    const name = `overhead-${i}`;
    const succeeded = new Promise<number>((r) => waiters.set(name, r));
    const t0 = now();
    await client.apply(job(name, { bench: 'overhead' }, false));
    const t1 = await Promise.race([
      succeeded,
      sleep(120_000).then(() => {
        throw new Error(`exec bench: ${name} did not succeed within 120 s`);
      }),
    ]);
    return t1 - t0;
  };
  const bareMs: number[] = [];
  const jobMs: number[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      await bare(docker);
      await e2e(-1 - i);
    }
    for (let i = 0; i < n; i++) {
      bareMs.push(await bare(docker));
      jobMs.push(await e2e(i));
    }
  } finally {
    ac.abort();
    await watching;
    client.close();
  }
  bareMs.sort((a, b2) => a - b2);
  jobMs.sort((a, b2) => a - b2);
  const p50job = percentile(jobMs, 50);
  const p50bare = percentile(bareMs, 50);
  return {
    name: 'exec.overhead',
    runtime: 'docker',
    n,
    job_p50_ms: round(p50job),
    job_p99_ms: round(percentile(jobMs, 99)),
    bare_p50_ms: round(p50bare),
    bare_p99_ms: round(percentile(bareMs, 99)),
    ratio_p50: round(p50job / p50bare, 3),
  };
}

/** EXEC_BENCH_ONLY=node_loss,failover: only those figures (default all). */
function wanted(figure: string): boolean {
  const only = process.env.EXEC_BENCH_ONLY;
  return !only || only.split(',').includes(figure);
}

export async function benchExec(): Promise<object[]> {
  const out: object[] = [];
  const fake = await startCluster('fake', ['--max-runs', '4096']);
  try {
    if (wanted('throughput')) out.push(...(await throughput(fake)));
    if (wanted('drain')) out.push(await drain(fake));
    if (wanted('failover')) out.push(await failover(fake));
    if (wanted('node_loss')) {
      const cluster = {
        ...fake,
        nodesReady: (names: readonly string[]) => nodesReady(fake, [...names]),
      };
      out.push(await nodeLoss(cluster, nodeDefaults.nodeGraceMs));
    }
  } finally {
    await stopCluster(fake);
  }

  const docker = new Docker();
  if (!wanted('overhead')) return out;
  const dockerOk = await docker.ping().then(
    () => true,
    () => false,
  );
  if (!dockerOk) {
    out.push({ name: 'exec.overhead', skipped: 'Docker engine not reachable' });
    return out;
  }
  const real = await startCluster('docker');
  try {
    out.push(await overhead(real, docker));
  } finally {
    await stopCluster(real, docker);
  }
  return out;
}
