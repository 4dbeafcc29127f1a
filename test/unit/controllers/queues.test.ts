// Queues: the pure gate (which pending Runs a pass may place, what the others
// are told, each Queue's status), then the scheduler acting on it against a
// real store: never more of a queue's Runs bound than it allows, positions in
// the Runs' messages and the Queue's status, no writes in a steady state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  QUEUE_POSITIONS_SHOWN,
  SCHEDULE_KEY,
  SchedulerReconciler,
  gateQueues,
} from '../../../pkg/controllers/scheduler/index.js';
import { JobReconciler } from '../../../pkg/controllers/job/index.js';
import {
  API_VERSION,
  type Queue,
  type QueueSpec,
  type Run,
  type RunSpec,
} from '../../../pkg/store/index.js';
import { Cache } from '../../../pkg/reconcile/index.js';
import { T0, jobInput, newFixture, nodeInput, type Fixture } from './fixtures.js';

function queue(name: string, spec: Partial<QueueSpec> = {}): Queue {
  return {
    apiVersion: API_VERSION,
    kind: 'Queue',
    metadata: {
      name,
      namespace: '',
      uid: `uid-${name}`,
      labels: {},
      annotations: {},
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: new Date(T0).toISOString(),
      ownerReferences: [],
    },
    spec: { maxRunning: 2, priority: 0, ...spec },
    status: {},
  };
}

interface RunOpts extends Partial<RunSpec> {
  ns?: string;
  /** Seconds after T0 the Run was created. */
  at?: number;
}

function run(name: string, o: RunOpts = {}): Run {
  const { ns = 'default', at = 0, ...spec } = o;
  return {
    apiVersion: API_VERSION,
    kind: 'Run',
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${ns}-${name}`,
      labels: {},
      annotations: {},
      resourceVersion: '1',
      generation: 1,
      creationTimestamp: new Date(T0 + at * 1000).toISOString(),
      ownerReferences: [],
    },
    spec: {
      jobName: name.replace(/-\d+$/, ''),
      jobUid: 'j',
      attempt: 0,
      nodeName: '',
      container: {} as RunSpec['container'],
      priority: 0,
      ...spec,
    },
    status: { phase: 'Pending' },
  };
}

const names = (runs: readonly Run[]): string[] => runs.map((r) => r.metadata.name);

describe('queues: the gate', () => {
  it('admits up to maxRunning counting bound Runs; the rest wait in order with positions', () => {
    const bound = [run('old-0', { queue: 'batch', nodeName: 'n1' })];
    const pending = [
      run('c-0', { queue: 'batch', at: 3 }),
      run('a-0', { queue: 'batch', at: 1 }),
      run('free-0', { at: 9 }),
      run('d-0', { queue: 'batch', at: 4 }),
      run('b-0', { queue: 'batch', at: 2 }),
    ];
    const gate = gateQueues({ pending, bound, queues: [queue('batch', { maxRunning: 2 })] });
    assert.deepEqual(names(gate.admitted), ['a-0', 'free-0']);
    assert.deepEqual(
      gate.waiting.map((w) => [w.run.metadata.name, w.message]),
      [
        ['b-0', 'queue batch is full (2/2 running), position 1 of 3'],
        ['c-0', 'queue batch is full (2/2 running), position 2 of 3'],
        ['d-0', 'queue batch is full (2/2 running), position 3 of 3'],
      ],
    );
    assert.deepEqual(gate.statuses.get('batch'), {
      running: 2,
      pending: 3,
      waiting: [
        {
          namespace: 'default',
          name: 'b-0',
          jobName: 'b',
          position: 1,
          reason: gate.waiting[0]?.message,
        },
        {
          namespace: 'default',
          name: 'c-0',
          jobName: 'c',
          position: 2,
          reason: gate.waiting[1]?.message,
        },
        {
          namespace: 'default',
          name: 'd-0',
          jobName: 'd',
          position: 3,
          reason: gate.waiting[2]?.message,
        },
      ],
    });
  });

  it('orders a queue by Run priority, then age, then namespace/name, whatever the input order', () => {
    const runs = [
      run('late-high-0', { queue: 'q', priority: 5, at: 9 }),
      run('early-0', { queue: 'q', at: 1 }),
      run('same-b-0', { queue: 'q', at: 2 }),
      run('same-a-0', { queue: 'q', at: 2 }),
      run('low-0', { queue: 'q', priority: -1, at: 0 }),
    ];
    const expected = ['late-high-0', 'early-0', 'same-a-0', 'same-b-0', 'low-0'];
    const q = [queue('q', { maxRunning: 0 })];
    // Any order in, one order out: the order is a function of replicated state only.
    for (const order of [
      runs,
      [...runs].reverse(),
      [runs[2], runs[0], runs[4], runs[1], runs[3]],
    ]) {
      const gate = gateQueues({ pending: order as Run[], bound: [], queues: q });
      assert.deepEqual(gate.admitted, []);
      assert.deepEqual(names(gate.waiting.map((w) => w.run)), expected);
    }
  });

  it('a Run held back by maxRunningPerNamespace lets other namespaces go first', () => {
    const pending = [
      run('a1-0', { ns: 'team-a', queue: 'q', at: 1 }),
      run('a2-0', { ns: 'team-a', queue: 'q', at: 2 }),
      run('b1-0', { ns: 'team-b', queue: 'q', at: 3 }),
      run('b2-0', { ns: 'team-b', queue: 'q', at: 4 }),
    ];
    const gate = gateQueues({
      pending,
      bound: [],
      queues: [queue('q', { maxRunning: 3, maxRunningPerNamespace: 1 })],
    });
    assert.deepEqual(names(gate.admitted), ['a1-0', 'b1-0']);
    assert.deepEqual(
      gate.waiting.map((w) => w.message),
      [
        'queue q allows 1 running per namespace (1 running in team-a), position 1 of 2',
        'queue q allows 1 running per namespace (1 running in team-b), position 2 of 2',
      ],
    );
  });

  it('places the Runs of higher-priority queues first; unqueued Runs count as priority 0', () => {
    const pending = [
      run('free-0', { at: 1 }),
      run('low-0', { queue: 'low', at: 2 }),
      run('high-0', { queue: 'high', at: 3 }),
    ];
    const gate = gateQueues({
      pending,
      bound: [],
      queues: [queue('low', { priority: -5 }), queue('high', { priority: 10 })],
    });
    assert.deepEqual(names(gate.admitted), ['high-0', 'free-0', 'low-0']);
  });

  it('a Run whose queue does not exist waits and says so; a full queue with a lowered limit admits none', () => {
    const gate = gateQueues({
      pending: [run('x-0', { queue: 'gone' }), run('y-0', { queue: 'q' })],
      bound: [
        run('b1-0', { queue: 'q', nodeName: 'n' }),
        run('b2-0', { queue: 'q', nodeName: 'n' }),
      ],
      queues: [queue('q', { maxRunning: 1 })],
    });
    assert.deepEqual(gate.admitted, []);
    assert.deepEqual(
      gate.waiting.map((w) => w.message),
      [
        'queue gone not found; waiting until it is created',
        'queue q is full (2/1 running), position 1 of 1',
      ],
    );
    assert.equal(gate.statuses.has('gone'), false);
  });

  it('gives exact positions to the first QUEUE_POSITIONS_SHOWN only, so the rest stay unchanged as the line moves', () => {
    const n = QUEUE_POSITIONS_SHOWN + 5;
    const pending = Array.from({ length: n }, (_, i) => run(`r${i}-0`, { queue: 'q', at: i }));
    const q = queue('q', { maxRunning: 0 });
    const before = gateQueues({ pending, bound: [], queues: [q] });
    const status = before.statuses.get('q');
    assert.equal(status?.pending, n);
    assert.equal(status?.waiting?.length, QUEUE_POSITIONS_SHOWN);
    const last = before.waiting[n - 1]?.message;
    assert.equal(
      last,
      `queue q is full (0/0 running), more than ${QUEUE_POSITIONS_SHOWN} Runs ahead`,
    );
    // The head leaves: the tail's message does not change (no write for it).
    const after = gateQueues({ pending: pending.slice(1), bound: [], queues: [q] });
    assert.equal(after.waiting[n - 2]?.message, last);
  });
});

// ---------------------------------------------------------------------------
// The scheduler with queues, against a real store.

async function seedQueued(
  fx: Fixture,
  q: Partial<QueueSpec> & { name: string },
  jobs: string[],
): Promise<Cache<Queue>> {
  const { name, ...spec } = q;
  await fx.api.create({
    apiVersion: API_VERSION,
    kind: 'Queue',
    metadata: { name },
    spec: { priority: 0, ...spec },
  });
  const jc = new JobReconciler({
    client: fx.api,
    jobs: fx.jobs,
    runs: fx.runs,
    clock: fx.clock,
    recorder: fx.recorder,
    logger: fx.logger,
  });
  for (const job of jobs) {
    await fx.api.create(jobInput(job, { queue: name }));
    await fx.sync();
    await jc.reconcile(`default/${job}`);
    fx.clock.advance(1000);
  }
  return new Cache<Queue>();
}

async function syncQueues(fx: Fixture, cache: Cache<Queue>): Promise<void> {
  await fx.sync();
  for (const q of (await fx.api.list('Queue')).items) cache.upsert(q as Queue);
}

function schedulerWithQueues(fx: Fixture, queues: Cache<Queue>): SchedulerReconciler {
  return new SchedulerReconciler({
    client: fx.client,
    proposer: fx.proposer,
    runs: fx.runs,
    nodes: fx.nodes,
    queues,
    clock: fx.clock,
    recorder: fx.recorder,
    logger: fx.logger,
  });
}

describe('queues: the scheduler', () => {
  it('binds no more than maxRunning, tells the rest their place, and writes nothing more in a steady state', async () => {
    const fx = newFixture();
    await fx.api.create(nodeInput('n1'));
    await fx.api.create(nodeInput('n2'));
    const queues = await seedQueued(fx, { name: 'batch', maxRunning: 2 }, [
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
    const s = schedulerWithQueues(fx, queues);
    await syncQueues(fx, queues);
    fx.reset();
    await s.reconcile(SCHEDULE_KEY);
    await s.idle();

    const runs = await fx.list<Run>('Run');
    const byName = new Map(runs.map((r) => [r.metadata.name, r]));
    assert.deepEqual(
      runs
        .filter((r) => r.spec.nodeName)
        .map((r) => r.metadata.name)
        .sort(),
      ['a-0', 'b-0'],
    );
    assert.equal(
      byName.get('c-0')?.status.message,
      'queue batch is full (2/2 running), position 1 of 3',
    );
    assert.equal(
      byName.get('e-0')?.status.message,
      'queue batch is full (2/2 running), position 3 of 3',
    );
    const q = await fx.get<Queue>('Queue', 'batch', '');
    assert.equal(q.status.running, 2);
    assert.equal(q.status.pending, 3);
    assert.deepEqual(
      q.status.waiting?.map((w) => [w.position, w.jobName]),
      [
        [1, 'c'],
        [2, 'd'],
        [3, 'e'],
      ],
    );

    // Steady state: nothing changes, nothing is written.
    await syncQueues(fx, queues);
    fx.reset();
    await s.reconcile(SCHEDULE_KEY);
    await s.idle();
    assert.deepEqual(fx.writes, []);

    // a-0 finishes: c-0 takes its slot, d and e move up; still at most 2 bound and unfinished.
    await fx.setRunStatus('a-0', { phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    await syncQueues(fx, queues);
    fx.reset();
    await s.reconcile(SCHEDULE_KEY);
    await s.idle();
    const after = await fx.list<Run>('Run');
    const active = after.filter((r) => r.spec.nodeName && r.status.phase !== 'Succeeded');
    assert.deepEqual(active.map((r) => r.metadata.name).sort(), ['b-0', 'c-0']);
    const msg = new Map(after.map((r) => [r.metadata.name, r.status.message]));
    assert.equal(msg.get('d-0'), 'queue batch is full (2/2 running), position 1 of 2');
    assert.equal(msg.get('e-0'), 'queue batch is full (2/2 running), position 2 of 2');
  });

  it('a new scheduler (another leader) decides the same from the same state', async () => {
    const fx = newFixture();
    await fx.api.create(nodeInput('n1'));
    const queues = await seedQueued(fx, { name: 'batch', maxRunning: 1 }, ['a', 'b', 'c']);
    await syncQueues(fx, queues);
    const s1 = schedulerWithQueues(fx, queues);
    await s1.reconcile(SCHEDULE_KEY);
    await s1.idle();
    const first = (await fx.list<Run>('Run')).map((r) => [
      r.metadata.name,
      r.spec.nodeName,
      r.status.message,
    ]);
    // A fresh scheduler with no memory: no writes, same state.
    await syncQueues(fx, queues);
    fx.reset();
    const s2 = schedulerWithQueues(fx, queues);
    await s2.reconcile(SCHEDULE_KEY);
    await s2.idle();
    assert.deepEqual(fx.writes, []);
    const second = (await fx.list<Run>('Run')).map((r) => [
      r.metadata.name,
      r.spec.nodeName,
      r.status.message,
    ]);
    assert.deepEqual(second, first);
  });
});
