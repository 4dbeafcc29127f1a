// `npm run bench -- exec-changes`: what one Job costs in store changes and Raft
// entries, counted, not timed. One jobd node in this process (Raft on disk, the
// fake runtime, every controller, the agent, the event recorder), EXEC_CHANGES_JOBS
// (200) Jobs created together through the node's admitted API, each run to
// Succeeded; a watch of every kind from the revision before the first create sees
// each change the Jobs cause, and the Raft index each change was applied at.
// Prints, per Job: the store changes by what they are (the Job's creation, its
// status writes by phase, the Run's creation, bind and status writes by phase, the
// Events by reason and whether created or bumped) and who writes each, and the
// Raft entries that carried them, and the reconciles meanwhile by controller and
// result. Node heartbeats are left out (not per Job).
// EXEC_CHANGES_SLEEP (seconds, default 0) makes each fake container run that long
// (`sleep N` in its command), so that its Running is seen before it ends: the shape
// of a real Job, where the bench's instant containers skip it.
// countJobChanges() is also what test/integration/job-changes.test.ts asserts on,
// so the count cannot grow back silently.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '../../pkg/node/local-cluster.js';
import { silentNodeLogger } from '../../pkg/node/logger.js';
import { startNode, type JobdNode } from '../../pkg/node/node.js';
import {
  API_VERSION,
  type Job,
  type Resource,
  type Run,
  type WatchEvent,
  type WatchHandle,
} from '../../pkg/store/index.js';
import { eventually } from '../../test/support/eventually.js';
import { envNumber } from './inputs.js';
import { round } from './stats.js';

export interface JobChangeCount {
  readonly jobs: number;
  /** Store changes the Jobs caused (every kind but Node). */
  readonly changes: number;
  /** Raft entries that carried at least one of them. */
  readonly entries: number;
  /** Changes by what they are, e.g. "Job status -> Succeeded (job controller)". */
  readonly byChange: Readonly<Record<string, number>>;
  /** Entries by the writers whose changes they carried, e.g. "agent+recorder". */
  readonly entriesByWriters: Readonly<Record<string, number>>;
  /** CPU ms of this process (the node, the watch) from the first create until every Job Succeeded. */
  readonly cpuMsUntilDone: number;
  /** Reconciles by controller ("job", "scheduler", "agent/<node>" ...) and result, over the same span. */
  readonly reconciles: Readonly<Record<string, number>>;
}

/** jobctl_controller_reconcile_total by "controller result", from the node's registry. */
async function reconcileCounts(node: JobdNode): Promise<Map<string, number>> {
  const metric = await node.metrics.registry
    .getSingleMetric('jobctl_controller_reconcile_total')
    ?.get();
  const out = new Map<string, number>();
  for (const v of metric?.values ?? []) {
    const controller = String(v.labels.controller).replace(/^agent\/.*/, 'agent');
    const key = `${controller} ${String(v.labels.result)}`;
    out.set(key, (out.get(key) ?? 0) + v.value);
  }
  return out;
}

interface Seen {
  readonly kind: string;
  readonly type: string;
  readonly object: Resource;
  readonly index: number;
}

const status = (o: Resource | undefined): Record<string, unknown> =>
  ((o as { status?: Record<string, unknown> } | undefined)?.status ?? {}) as Record<
    string,
    unknown
  >;

/** What a change is and who writes it, from the object before and after. */
export function describeChange(
  kind: string,
  type: string,
  before: Resource | undefined,
  after: Resource,
): { what: string; writer: string } {
  if (kind === 'Job') {
    if (type === 'ADDED') return { what: 'Job created', writer: 'api' };
    if (type === 'DELETED') return { what: 'Job deleted', writer: 'job controller' };
    return {
      what: `Job status -> ${String(status(after).phase)}`,
      writer: 'job controller',
    };
  }
  if (kind === 'Run') {
    if (type === 'ADDED') return { what: 'Run created', writer: 'job controller' };
    if (type === 'DELETED') return { what: 'Run deleted', writer: 'job controller' };
    const was = (before as Run | undefined)?.spec.nodeName ?? '';
    if (was === '' && (after as Run).spec.nodeName !== '')
      return { what: 'Run bound (Scheduled)', writer: 'scheduler' };
    const phase = String(status(after).phase ?? 'Pending');
    // Only the agent moves a bound Run on; an unbound one is the scheduler's (its
    // Unschedulable condition) or the job controller's (cancelled before binding).
    if (phase === 'Pending') return { what: 'Run status unschedulable', writer: 'scheduler' };
    return { what: `Run status -> ${phase}`, writer: 'agent' };
  }
  if (kind === 'Event') {
    const spec = (after as unknown as { spec: { reason: string } }).spec;
    return {
      what: `Event ${spec.reason} ${type === 'ADDED' ? 'created' : 'bumped'}`,
      writer: 'recorder',
    };
  }
  return { what: `${kind} ${type}`, writer: 'other' };
}

/** SuccessfulCreate, Scheduled, Started, Completed. */
const EVENTS_PER_JOB = 4;

function benchJob(name: string, sleepS: number): Resource {
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name, namespace: 'default', labels: { bench: 'changes' } },
    spec: {
      image: 'jobctl/busybox:latest',
      command: sleepS > 0 ? ['sleep', String(sleepS)] : ['true'],
      resources: { cpu: '1m', memory: '6Mi' },
      backoffLimit: 0,
    },
  } as unknown as Resource;
}

/**
 * Starts one node in `dir`, creates `jobs` Jobs at once, waits until every one
 * Succeeded and the changes stopped (no change but Node heartbeats for `quietMs`),
 * and counts what they caused.
 */
export async function countJobChanges(opts: {
  readonly jobs: number;
  readonly dir: string;
  readonly sleepS?: number;
  readonly quietMs?: number;
  readonly timeoutMs?: number;
}): Promise<JobChangeCount> {
  const [port] = await freePorts(1);
  const listen = `127.0.0.1:${port}`;
  const node: JobdNode = await startNode(
    {
      id: 1,
      listen,
      peers: new Map([[1, listen]]),
      dataDir: join(opts.dir, 'node'),
      tickMs: 20,
      electionTick: 6,
      heartbeatTick: 1,
      snapshotEvery: 50_000,
      runtime: 'fake',
      // As the exec bench's nodes: room for every Run at once.
      maxRuns: 4096,
      labels: {},
    },
    silentNodeLogger,
  );
  const handles: WatchHandle[] = [];
  try {
    await node.raft.waitForLeader(10_000);
    await eventually(
      'the node is Ready',
      () =>
        node.store
          .list('Node')
          .items.some((n) =>
            ((status(n).conditions ?? []) as { type: string; status: string }[]).some(
              (c) => c.type === 'Ready' && c.status === 'True',
            ),
          ) || undefined,
      30_000,
    );
    const seen: Seen[] = [];
    let lastChangeAt = Date.now();
    const from = String(node.store.revision);
    for (const kind of Object.keys(node.store.counts())) {
      if (kind === 'Node') continue;
      handles.push(
        node.store.watch(kind, { resourceVersion: from }, (e: WatchEvent) => {
          seen.push({ kind, type: e.type, object: e.object, index: node.store.appliedIndex });
          lastChangeAt = Date.now();
        }),
      );
    }
    const reconciles0 = await reconcileCounts(node);
    const cpu0 = process.cpuUsage();
    const names = Array.from({ length: opts.jobs }, (_, i) => `changes-${i}`);
    await Promise.all(names.map((n) => node.api.create(benchJob(n, opts.sleepS ?? 0))));
    const timeoutMs = opts.timeoutMs ?? 120_000;
    await eventually(
      'every Job Succeeded',
      () =>
        names.every(
          (n) =>
            (node.store.get('Job', 'default', n) as Job | undefined)?.status?.phase === 'Succeeded',
        ) || undefined,
      timeoutMs,
    );
    const cpu = process.cpuUsage(cpu0);
    // A Job's four Events are written by each writer's recorder at its next flush:
    // wait for them (a figure, not a check: a recorder that dropped some is seen in
    // the counts), then for the changes to stop.
    await eventually(
      "the Jobs' Events",
      () =>
        seen.filter((s) => s.kind === 'Event' && s.type === 'ADDED').length >=
          EVENTS_PER_JOB * opts.jobs || undefined,
      timeoutMs,
    ).catch(() => undefined);
    const quietMs = opts.quietMs ?? 1_500;
    await eventually(
      'the changes stopped',
      () => Date.now() - lastChangeAt >= quietMs || undefined,
      timeoutMs,
    );
    const reconciles: Record<string, number> = {};
    for (const [k, v] of await reconcileCounts(node)) {
      const n = v - (reconciles0.get(k) ?? 0);
      if (n > 0) reconciles[k] = n;
    }
    return {
      ...tally(opts.jobs, seen),
      reconciles,
      cpuMsUntilDone: (cpu.user + cpu.system) / 1000,
    };
  } finally {
    for (const h of handles) h.cancel();
    await node.stop();
  }
}

function tally(
  jobs: number,
  seen: readonly Seen[],
): Omit<JobChangeCount, 'reconciles' | 'cpuMsUntilDone'> {
  const last = new Map<string, Resource>();
  const byChange: Record<string, number> = {};
  const writersOf = new Map<number, Set<string>>();
  for (const s of seen) {
    const key = s.object.metadata.uid;
    const { what, writer } = describeChange(s.kind, s.type, last.get(key), s.object);
    last.set(key, s.object);
    const label = `${what} (${writer})`;
    byChange[label] = (byChange[label] ?? 0) + 1;
    let w = writersOf.get(s.index);
    if (!w) writersOf.set(s.index, (w = new Set()));
    w.add(writer);
  }
  const entriesByWriters: Record<string, number> = {};
  for (const w of writersOf.values()) {
    const label = [...w].sort().join('+');
    entriesByWriters[label] = (entriesByWriters[label] ?? 0) + 1;
  }
  return { jobs, changes: seen.length, entries: writersOf.size, byChange, entriesByWriters };
}

const perJob = (r: Readonly<Record<string, number>>, jobs: number): Record<string, number> =>
  Object.fromEntries(
    Object.entries(r)
      .sort((a, b) => a[0].localeCompare(b[0]))
      .map(([k, v]) => [k, round(v / jobs, 2)]),
  );

export async function benchExecChanges(): Promise<object[]> {
  const jobs = envNumber('EXEC_CHANGES_JOBS', 200);
  const sleepS = envNumber('EXEC_CHANGES_SLEEP', 0);
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-changes-'));
  try {
    const c = await countJobChanges({ jobs, dir, sleepS });
    return [
      {
        name: 'exec.changes',
        jobs,
        container_sleep_s: sleepS,
        changes_per_job: round(c.changes / jobs, 2),
        entries_per_job: round(c.entries / jobs, 2),
        cpu_ms_per_job_until_done: round(c.cpuMsUntilDone / jobs, 2),
        changes_per_job_by_change: perJob(c.byChange, jobs),
        entries_per_job_by_writers: perJob(c.entriesByWriters, jobs),
        reconciles_per_job_by_result: perJob(c.reconciles, jobs),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
