// `LEADER_START_JOBS=N npm run bench -- leader-start`: what a new leader's
// controller start costs over a store that holds N finished Jobs, in process.
// The store is filled as a cluster leaves it after running N Jobs: each Job
// Succeeded, its one Run Succeeded on one of three Nodes, and
// LEADER_START_EVENTS_PER_JOB Events per Job (default 5: SuccessfulCreate,
// FailedScheduling, Scheduled, Started, Completed; the mix of the 100,000-Job
// run). Then the leader's real Manager (job controller, scheduler, node
// lifecycle, event GC) starts over a LocalClient on that store, on the real
// clock, as a node that just won an election does, and the bench reports:
//   - the longest event-loop stall from the start until the informers have
//     synced and until LEADER_START_AFTER_MS later (workers draining the keys
//     the lists enqueued): a timer due every 10 ms notes how late it fires,
//     as the Raft tick's "event loop stalled" warning does (a follower's
//     election timeout is 300-600 ms);
//   - the stalls of 50 ms or more, and how many;
//   - each of the store's list calls, timed (it is synchronous);
//   - the time to sync and the heap before and after; run under
//     `node --expose-gc` for controllers_heap_mb, what the running
//     controllers keep beside the store (caches, indexes, queues) after a
//     full collection.
// LEADER_START_PROFILE=FILE writes a CPU profile of the start (profile.ts
// reads it). One run per process (run it several times: before/after pairs):
//   node --expose-gc dist/hack/bench/main.js leader-start
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import { newTestClient } from '../../pkg/client/testing.js';
import { addControllers } from '../../pkg/controllers/index.js';
import { newRun } from '../../pkg/controllers/job/runs.js';
import { addEventGc, eventName } from '../../pkg/events/index.js';
import { Manager, silentLogger } from '../../pkg/reconcile/index.js';
import {
  API_VERSION,
  type BatchCommand,
  type Job,
  type ListOptions as StoreListOptions,
  type ListResult,
  type ResourceInput,
  type ResourceOf,
  type SingleCommand,
} from '../../pkg/store/index.js';
import { realClock } from '../../pkg/util/clock.js';
import { round } from './stats.js';
import { envNumber, benchJobSpec } from './inputs.js';

const NODES = ['node-1', 'node-2', 'node-3'];
const REASONS = [
  ['Job', 'Normal', 'SuccessfulCreate', 'Created run {run}'],
  ['Run', 'Warning', 'FailedScheduling', '0/3 nodes are available: 3 Insufficient runs.'],
  ['Run', 'Normal', 'Scheduled', 'Successfully assigned default/{run} to {node}'],
  ['Run', 'Normal', 'Started', 'Started container'],
  ['Run', 'Normal', 'Completed', 'Container exited with code 0'],
] as const;

function jobInput(name: string): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name, namespace: 'default', labels: { app: 'bench' } },
    spec: benchJobSpec(),
    status: { phase: 'Pending' },
  };
}

function nodeInput(name: string, at: string): ResourceInput {
  const alloc = { cpu: '16', memory: '64Gi', runs: 16 };
  return {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name, labels: {} },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: 'True', reason: 'NodeReady', lastTransitionTime: at }],
      capacity: alloc,
      allocatable: alloc,
      heartbeatTime: at,
    },
  };
}

/** Fills the store with `jobs` finished Jobs, their Runs and Events, in batches. */
export function seedFinishedJobs(
  apply: (c: BatchCommand) => void,
  jobs: number,
  eventsPerJob: number,
  nowMs: number,
): void {
  const now = new Date(nowMs).toISOString();
  for (const n of NODES) {
    apply({
      op: 'batch',
      commands: [{ op: 'create', now, uid: `uid-${n}`, object: nodeInput(n, now) }],
    });
  }
  const BATCH = 200;
  for (let from = 0; from < jobs; from += BATCH) {
    const creates: SingleCommand[] = [];
    const rest: SingleCommand[] = [];
    for (let i = from; i < Math.min(jobs, from + BATCH); i++) {
      const name = `job-${i}`;
      const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      const input = jobInput(name);
      creates.push({ op: 'create', now, uid, object: input });
      const job = {
        ...input,
        metadata: { ...input.metadata, uid, namespace: 'default' },
        spec: input.spec,
      } as unknown as Job;
      const node = NODES[i % NODES.length] as string;
      const run = newRun(job, 0, nowMs);
      const runUid = `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
      const runSpec = { ...(run.spec as object), nodeName: node };
      rest.push({
        op: 'create',
        now,
        uid: runUid,
        object: {
          ...run,
          spec: runSpec,
          status: {
            phase: 'Succeeded',
            reason: 'Completed',
            exitCode: 0,
            containerID: `fake-${runUid.slice(-12)}`,
            startedAt: now,
            finishedAt: now,
          },
        },
      });
      rest.push({
        op: 'updateStatus',
        object: {
          ...input,
          status: {
            phase: 'Succeeded',
            active: 0,
            succeeded: 1,
            failed: 0,
            startTime: now,
            completionTime: now,
            attempts: 1,
            conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: now }],
          },
        },
      });
      for (let e = 0; e < eventsPerJob; e++) {
        const [kind, type, reason, template] = REASONS[
          e % REASONS.length
        ] as (typeof REASONS)[number];
        const ref = {
          kind,
          namespace: 'default',
          name: kind === 'Job' ? name : (run.metadata.name as string),
          uid: kind === 'Job' ? uid : runUid,
        };
        const message = template
          .replace('{run}', run.metadata.name as string)
          .replace('{node}', node);
        rest.push({
          op: 'create',
          now,
          uid: `00000000-0000-4000-a00${e}-${String(i).padStart(12, '0')}`,
          object: {
            apiVersion: API_VERSION,
            kind: 'Event',
            metadata: {
              name: eventName(ref, type, reason, `${message}#${e}`),
              namespace: 'default',
            },
            spec: {
              involvedObject: ref,
              type,
              reason,
              message,
              count: 1,
              firstTimestamp: now,
              lastTimestamp: now,
              source: { component: kind === 'Job' ? 'job-controller' : 'agent', node },
            },
          },
        });
      }
    }
    apply({ op: 'batch', commands: creates });
    for (let i = 0; i < rest.length; i += 256) {
      apply({ op: 'batch', commands: rest.slice(i, i + 256) });
    }
  }
}

/** Notes how late a timer due every `everyMs` fires: the loop's stalls. */
class StallMeter {
  readonly stalls: { at: number; ms: number }[] = [];
  longest = 0;
  private last = performance.now();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly everyMs: number,
    private readonly t0: number,
  ) {
    this.timer = setInterval(() => this.tick(), everyMs);
  }

  private tick(): void {
    const now = performance.now();
    const late = now - this.last - this.everyMs;
    this.last = now;
    if (late > this.longest) this.longest = late;
    if (late >= 50) this.stalls.push({ at: round(now - this.t0, 0), ms: round(late, 0) });
  }

  reset(): void {
    this.longest = 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** A CPU profile of the start (LEADER_START_PROFILE=FILE.cpuprofile; see profile.ts). */
async function startProfile(): Promise<Session> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return session;
}

async function stopProfile(session: Session, file: string): Promise<void> {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(file, JSON.stringify(profile));
  session.disconnect();
}

export async function benchLeaderStart(): Promise<object[]> {
  const jobs = envNumber('LEADER_START_JOBS', 20_000);
  const eventsPerJob = envNumber('LEADER_START_EVENTS_PER_JOB', 5);
  const afterMs = envNumber('LEADER_START_AFTER_MS', 5_000);
  const nowMs = Date.now();
  const tc = newTestClient({ clock: realClock });
  const seedStart = performance.now();
  seedFinishedJobs((c) => tc.proposer.apply(c), jobs, eventsPerJob, nowMs);
  const seedMs = performance.now() - seedStart;
  const counts = tc.store.counts();

  // Every list of the store, timed (it is synchronous; the client awaits before it).
  const lists: { kind: string; ms: number; items: number }[] = [];
  const store = tc.store;
  const storeList = store.list.bind(store);
  store.list = <K extends string>(kind: K, opts?: StoreListOptions): ListResult<ResourceOf<K>> => {
    const t = performance.now();
    const result = storeList(kind, opts);
    lists.push({ kind, ms: round(performance.now() - t, 1), items: result.items.length });
    return result;
  };
  const client = tc.client;

  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const manager = new Manager({ client, clock: realClock, logger: silentLogger });
  addControllers(manager, {
    job: { proposer: tc.proposer },
    scheduler: { proposer: tc.proposer },
    nodeLifecycle: { gracePeriodMs: 3_600_000 },
  });
  addEventGc(manager);

  const profile = process.env.LEADER_START_PROFILE;
  const session = profile ? await startProfile() : undefined;
  const t0 = performance.now();
  const meter = new StallMeter(10, t0);
  await manager.start();
  const syncMs = performance.now() - t0;
  const longestToSync = meter.longest;
  meter.reset();
  await new Promise((resolve) => setTimeout(resolve, afterMs));
  const longestAfter = meter.longest;
  meter.stop();
  // What the running controllers keep (their caches, queues, indexes) beside the store.
  global.gc?.();
  const heapRunning = process.memoryUsage().heapUsed;
  if (session && profile) await stopProfile(session, profile);
  await manager.stop();
  const heapAfter = process.memoryUsage().heapUsed;

  const listMs = (kind: string): number =>
    round(
      lists.filter((l) => l.kind === kind).reduce((s, l) => s + l.ms, 0),
      1,
    );
  const longestList = lists.reduce((m, l) => Math.max(m, l.ms), 0);
  return [
    {
      name: 'leader.start',
      jobs,
      events_per_job: eventsPerJob,
      objects: counts,
      seed_s: round(seedMs / 1000, 1),
      sync_ms: round(syncMs, 0),
      longest_stall_to_sync_ms: round(longestToSync, 0),
      longest_stall_after_sync_ms: round(longestAfter, 0),
      stalls_over_50ms: meter.stalls.length,
      stalls: meter.stalls.slice(0, 20),
      list_calls: lists.length,
      longest_list_call_ms: round(longestList, 1),
      list_ms_by_kind: { Job: listMs('Job'), Run: listMs('Run'), Event: listMs('Event') },
      heap_used_mb_before: round(heapBefore / 2 ** 20, 0),
      heap_used_mb_after: round(heapAfter / 2 ** 20, 0),
      // With --expose-gc: after a full collection, the controllers running.
      controllers_heap_mb: global.gc ? round((heapRunning - heapBefore) / 2 ** 20, 1) : undefined,
    },
  ];
}
