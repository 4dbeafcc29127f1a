// Fixtures for controller tests: a real store behind a LocalClient
// (newTestClient), caches filled from it on demand (so a test decides exactly
// what a reconcile sees), a client wrapper that records every write, and
// builders for Jobs, Runs and Nodes with all defaults filled in (as the API
// server would).
import type { ResourceClient } from '../../../pkg/client/types.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import {
  API_VERSION,
  cloneResource,
  type Proposer,
  type Job,
  type JobSpec,
  type Node,
  type Resource,
  type ResourceInput,
  type Run,
  type RunStatus,
} from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { Cache, MemoryLogger, MemoryRecorder } from '../../../pkg/reconcile/index.js';
import {
  RUNS_BY_NODE,
  RUNS_BY_OWNER,
  runNodeIndex,
  runOwnerIndex,
} from '../../../pkg/controllers/common/runs.js';

export const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);

export function jobInput(name: string, spec: Partial<JobSpec> = {}): ResourceInput {
  const full: JobSpec = {
    image: 'busybox:latest',
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', 'echo hi'],
    env: [],
    resources: { cpu: '500m', memory: '256Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
    completions: 1,
    parallelism: 1,
    backoffLimit: 3,
    priority: 0,
    suspend: false,
    ...spec,
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: full,
    status: { phase: 'Pending' },
  };
}

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  runs?: number;
  labels?: Record<string, string>;
  ready?: boolean;
  unschedulable?: boolean;
  heartbeat?: string;
}

export function nodeInput(name: string, o: NodeOptions = {}): ResourceInput {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', runs: o.runs ?? 10 };
  return {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name, labels: o.labels ?? {} },
    spec: o.unschedulable ? { unschedulable: true } : {},
    status: {
      conditions: [
        {
          type: 'Ready',
          status: o.ready === false ? 'False' : 'True',
          reason: o.ready === false ? 'KubeletDown' : 'NodeReady',
          lastTransitionTime: new Date(T0).toISOString(),
        },
      ],
      capacity: alloc,
      allocatable: alloc,
      heartbeatTime: o.heartbeat ?? new Date(T0).toISOString(),
    },
  };
}

/** A write the code under test made, as a short line: "create Run default/a-0". */
export type WriteLine = string;

/** Wraps a client so every write is recorded (reads pass through). */
export function recordingClient(inner: ResourceClient): {
  client: ResourceClient;
  writes: WriteLine[];
  objects: ResourceInput[];
} {
  const writes: WriteLine[] = [];
  const objects: ResourceInput[] = [];
  const line = (verb: string, o: ResourceInput): string =>
    `${verb} ${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
  const client: ResourceClient = Object.create(inner) as ResourceClient;
  for (const verb of ['create', 'update', 'updateStatus', 'apply'] as const) {
    const orig = inner[verb].bind(inner) as (o: ResourceInput) => Promise<Resource>;
    (client as unknown as Record<string, unknown>)[verb] = (o: ResourceInput) => {
      writes.push(line(verb, o));
      objects.push(cloneResource(o));
      return orig(o);
    };
  }
  const del = inner.delete.bind(inner);
  client.delete = ((kind: string, ns: string, name: string, opts?: object) => {
    writes.push(`delete ${kind} ${ns ? `${ns}/` : ''}${name}`);
    return del(kind, ns, name, opts);
  }) as ResourceClient['delete'];
  return { client, writes, objects };
}

export interface Fixture {
  readonly clock: FakeClock;
  /** The unwrapped client (for seeding and simulating other actors). */
  readonly api: ResourceClient;
  /** The recording client (give it to the code under test). */
  readonly client: ResourceClient;
  /**
   * A proposer that records what it is given in `writes`: plans ("plan
   * default/a-0->n1 default/b-0->n2") and batches ("batch atomic [create Run default/a-0, ...]").
   */
  readonly proposer: Proposer;
  readonly writes: WriteLine[];
  readonly objects: ResourceInput[];
  readonly recorder: MemoryRecorder;
  readonly logger: MemoryLogger;
  readonly jobs: Cache<Job>;
  readonly runs: Cache<Run>;
  readonly nodes: Cache<Node>;
  /** Refills the caches from the store (what an up-to-date informer would hold). */
  sync(): Promise<void>;
  /** Clears recorded writes and events. */
  reset(): void;
  get<T>(kind: string, name: string, ns?: string): Promise<T>;
  list<T>(kind: string): Promise<T[]>;
  /** Writes a Run's status as an agent would (merging `status`). */
  setRunStatus(name: string, status: RunStatus): Promise<Run>;
  /** Binds a Run to a node as the scheduler would. */
  bindRun(name: string, node: string): Promise<Run>;
}

export function newFixture(): Fixture {
  const clock = new FakeClock(T0);
  const { client: api, proposer: direct } = newTestClient({ clock });
  const rec = recordingClient(api);
  const proposer: Proposer = {
    propose(c) {
      if (c.op === 'plan') {
        rec.writes.push(
          `plan ${c.binds.map((b) => `${b.namespace}/${b.name}->${b.node}`).join(' ')}`,
        );
      } else if (c.op === 'batch') {
        const item = (i: (typeof c.commands)[number]): string =>
          i.op === 'delete'
            ? `delete ${i.kind} ${i.namespace}/${i.name}`
            : `${i.op} ${i.object.kind} ${i.object.metadata.namespace ? `${i.object.metadata.namespace}/` : ''}${i.object.metadata.name}`;
        rec.writes.push(`batch${c.atomic ? ' atomic' : ''} [${c.commands.map(item).join(', ')}]`);
      } else rec.writes.push(`propose ${c.op}`);
      return direct.propose(c);
    },
  };
  const recorder = new MemoryRecorder();
  const logger = new MemoryLogger();
  const jobs = new Cache<Job>();
  const runs = new Cache<Run>();
  runs.addIndex(RUNS_BY_OWNER, runOwnerIndex);
  runs.addIndex(RUNS_BY_NODE, runNodeIndex);
  const nodes = new Cache<Node>();

  async function fill<T extends Resource>(cache: Cache<T>, kind: string): Promise<void> {
    const { items } = await api.list(kind);
    const keep = new Set<string>();
    for (const o of items) {
      cache.upsert(o as T);
      keep.add(
        o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name,
      );
    }
    for (const k of cache.keys()) if (!keep.has(k)) cache.remove(k);
  }

  const fx: Fixture = {
    clock,
    api,
    client: rec.client,
    proposer,
    writes: rec.writes,
    objects: rec.objects,
    recorder,
    logger,
    jobs,
    runs,
    nodes,
    async sync() {
      await fill(jobs as unknown as Cache<Resource>, 'Job');
      await fill(runs as unknown as Cache<Resource>, 'Run');
      await fill(nodes as unknown as Cache<Resource>, 'Node');
    },
    reset() {
      rec.writes.length = 0;
      rec.objects.length = 0;
      recorder.clear();
    },
    async get<T>(kind: string, name: string, ns = 'default') {
      return (await api.get(kind, kind === 'Node' ? '' : ns, name)) as unknown as T;
    },
    async list<T>(kind: string) {
      return (await api.list(kind)).items as unknown as T[];
    },
    async setRunStatus(name, status) {
      const run = await fx.get<Run>('Run', name);
      return (await api.updateStatus({
        ...run,
        status: { ...run.status, ...status },
      } as unknown as ResourceInput)) as unknown as Run;
    },
    async bindRun(name, node) {
      const run = cloneResource(await fx.get<Run>('Run', name));
      run.spec.nodeName = node;
      const bound = (await api.update(run as unknown as ResourceInput)) as unknown as Run;
      return (await api.updateStatus({
        ...bound,
        status: { ...bound.status, phase: 'Scheduled' },
      } as unknown as ResourceInput)) as unknown as Run;
    },
  };
  return fx;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
