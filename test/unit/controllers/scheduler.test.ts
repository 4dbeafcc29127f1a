// Scheduler: seed nodes and Runs, run one pass, assert bindings, messages and writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SCHEDULE_KEY,
  SchedulerReconciler,
  unschedulableMessage,
} from '../../../pkg/controllers/scheduler/index.js';
import { JobReconciler } from '../../../pkg/controllers/job/index.js';
import type { JobSpec, Run } from '../../../pkg/store/index.js';
import { jobInput, newFixture, nodeInput, type Fixture, type NodeOptions } from './fixtures.js';

function scheduler(fx: Fixture): SchedulerReconciler {
  return new SchedulerReconciler({
    client: fx.client,
    runs: fx.runs,
    nodes: fx.nodes,
    clock: fx.clock,
    recorder: fx.recorder,
    logger: fx.logger,
  });
}

/** Creates Jobs (and their Runs through the job controller) and nodes. */
async function seed(
  nodes: Record<string, NodeOptions>,
  jobs: Record<string, Partial<JobSpec>>,
): Promise<Fixture> {
  const fx = newFixture();
  for (const [name, o] of Object.entries(nodes)) await fx.api.create(nodeInput(name, o));
  const jc = new JobReconciler({
    client: fx.api,
    jobs: fx.jobs,
    runs: fx.runs,
    clock: fx.clock,
    recorder: fx.recorder,
    logger: fx.logger,
  });
  for (const [name, spec] of Object.entries(jobs)) {
    await fx.api.create(jobInput(name, spec));
    await fx.sync();
    await jc.reconcile(`default/${name}`);
    fx.clock.advance(1000); // distinct creation times (FIFO)
  }
  await fx.sync();
  fx.reset();
  return fx;
}

async function pass(fx: Fixture, s = scheduler(fx)) {
  await fx.sync();
  fx.reset();
  return s.reconcile(SCHEDULE_KEY);
}

async function placement(fx: Fixture): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const r of await fx.list<Run>('Run')) out[r.metadata.name] = r.spec.nodeName;
  return out;
}

describe('scheduler', () => {
  it('places a whole pass first, then makes its writes together: binds, then Scheduled', async () => {
    const fx = await seed({ n1: {}, n2: {} }, { a: { parallelism: 3, completions: 3 }, b: {} });
    await fx.sync();
    fx.reset();
    // A client that holds writes until the test lets them go, recording each wave.
    const held: (() => void)[] = [];
    const waves: string[][] = [];
    let wave: string[] = [];
    const client = new Proxy(fx.client, {
      get(target, prop, receiver) {
        const real = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'update' && prop !== 'updateStatus') return real;
        return (obj: { metadata: { name: string } }) => {
          wave.push(`${String(prop)} ${obj.metadata.name}`);
          return new Promise<void>((resolve) => held.push(resolve)).then(() =>
            (real as (o: unknown) => Promise<unknown>).call(target, obj),
          );
        };
      },
    });
    const s = new SchedulerReconciler({
      client,
      runs: fx.runs,
      nodes: fx.nodes,
      clock: fx.clock,
      recorder: fx.recorder,
      logger: fx.logger,
    });
    const done = s.reconcile(SCHEDULE_KEY);
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      waves.push(wave.sort());
      wave = [];
      for (const release of held.splice(0)) release();
    }
    await done;
    assert.deepEqual(waves, [
      ['update a-0', 'update a-1', 'update a-2', 'update b-0'],
      ['updateStatus a-0', 'updateStatus a-1', 'updateStatus a-2', 'updateStatus b-0'],
    ]);
    const nodes = Object.values(await placement(fx)).sort();
    assert.deepEqual(nodes, ['n1', 'n1', 'n2', 'n2'], 'spread by what the pass itself took');
  });

  it('binds a Pending Run: spec.nodeName guarded by resourceVersion, then status Scheduled', async () => {
    const fx = await seed({ n1: {} }, { a: {} });
    await pass(fx);
    assert.deepEqual(fx.writes, ['update Run default/a-0', 'updateStatus Run default/a-0']);
    const run = await fx.get<Run>('Run', 'a-0');
    assert.equal(run.spec.nodeName, 'n1');
    assert.equal(run.status.phase, 'Scheduled');
    assert.deepEqual(
      fx.recorder.events.map((e) => [e.reason, e.message]),
      [['Scheduled', 'Successfully assigned default/a-0 to n1']],
    );
    // Nothing left to do: no writes.
    await pass(fx);
    assert.deepEqual(fx.writes, []);
  });

  it('explains a Run that fits nowhere, exactly, and writes the message only when it changes', async () => {
    const fx = await seed(
      {
        n1: { memory: '128Mi', labels: { disk: 'ssd' } },
        n2: { memory: '200Mi', labels: { disk: 'ssd' } },
        n3: { labels: { disk: 'hdd' } },
      },
      { a: { nodeSelector: { disk: 'ssd' } } },
    );
    await pass(fx);
    const msg = "0/3 nodes available: 2 insufficient memory, 1 node(s) didn't match nodeSelector";
    assert.deepEqual(fx.writes, ['updateStatus Run default/a-0']);
    const run = await fx.get<Run>('Run', 'a-0');
    assert.equal(run.status.phase, 'Pending');
    assert.equal(run.spec.nodeName, '');
    assert.equal(run.status.message, msg);
    assert.deepEqual(
      fx.recorder.events.map((e) => [e.type, e.reason, e.message]),
      [['Warning', 'FailedScheduling', msg]],
    );
    await pass(fx);
    assert.deepEqual(fx.writes, [], 'same message: no write');
    // Capacity appears: bound, and the message is cleared.
    await fx.api.create(nodeInput('n4', { labels: { disk: 'ssd' } }));
    await pass(fx);
    const bound = await fx.get<Run>('Run', 'a-0');
    assert.equal(bound.spec.nodeName, 'n4');
    assert.equal(bound.status.message, undefined);
  });

  it('reports insufficient cpu and too many runs, counting every shortfall of a node', async () => {
    const fx = await seed(
      { n1: { cpu: '250m' }, n2: { cpu: '250m', memory: '100Mi' }, n3: { runs: 1 } },
      { a: {}, b: {} },
    );
    await pass(fx);
    assert.equal((await fx.get<Run>('Run', 'a-0')).spec.nodeName, 'n3');
    assert.equal(
      (await fx.get<Run>('Run', 'b-0')).status.message,
      '0/3 nodes available: 2 insufficient cpu, 1 insufficient memory, 1 too many runs',
    );
  });

  it('prefers the least allocated node, ties broken by name', async () => {
    const fx = await seed(
      { n1: { cpu: '2' }, n2: { cpu: '2' }, n3: { cpu: '4' } },
      { a: { completions: 4, parallelism: 4 } },
    );
    await pass(fx);
    // Allocation = mean of cpu and memory fractions after placing (memory 8Gi everywhere):
    // a-0: n3 .078 < n1 = n2 .141 -> n3; a-1: n1 .141 (tie with n2, by name) < n3 .156;
    // a-2: n2 .141 < n3 .156 < n1 .281; a-3: n3 .156 < n1 = n2 .281.
    assert.deepEqual(await placement(fx), { 'a-0': 'n3', 'a-1': 'n1', 'a-2': 'n2', 'a-3': 'n3' });
  });

  it('counts Runs already bound, and frees capacity when they finish', async () => {
    const fx = await seed({ n1: { cpu: '1' } }, { a: { completions: 3, parallelism: 3 } });
    await pass(fx);
    assert.deepEqual(await placement(fx), { 'a-0': 'n1', 'a-1': 'n1', 'a-2': '' });
    await fx.setRunStatus('a-0', { phase: 'Succeeded' });
    await pass(fx);
    assert.equal((await fx.get<Run>('Run', 'a-2')).spec.nodeName, 'n1');
  });

  it('places higher priority first, then FIFO within a priority', async () => {
    const fx = await seed(
      { n1: { cpu: '1' } },
      { old: { priority: 0 }, older: { priority: 5 }, newer: { priority: 5 } },
    );
    await pass(fx);
    assert.deepEqual(await placement(fx), { 'old-0': '', 'older-0': 'n1', 'newer-0': 'n1' });
  });

  it('skips cordoned and NotReady nodes', async () => {
    const fx = await seed({ a: { unschedulable: true }, b: { ready: false }, c: {} }, { j: {} });
    await pass(fx);
    assert.equal((await fx.get<Run>('Run', 'j-0')).spec.nodeName, 'c');
    const fx2 = await seed({ a: { unschedulable: true }, b: { ready: false } }, { j: {} });
    await pass(fx2);
    assert.equal(
      (await fx2.get<Run>('Run', 'j-0')).status.message,
      '0/2 nodes available: 1 node(s) were not ready, 1 node(s) were unschedulable',
    );
  });

  it('never binds a cancelled Run', async () => {
    const fx = await seed({ n1: {} }, { a: {} });
    const run = await fx.get<Run>('Run', 'a-0');
    await fx.api.update({
      ...run,
      spec: { ...run.spec, cancelled: true, cancelReason: 'Suspended' },
    } as never);
    await pass(fx);
    assert.deepEqual(fx.writes, []);
  });

  it('does not double-book a node while its cache lags behind its own binds', async () => {
    const fx = await seed(
      { n1: { cpu: '1' }, n2: { cpu: '500m' } },
      { a: { completions: 3, parallelism: 3 } },
    );
    const s = scheduler(fx);
    await pass(fx, s);
    assert.deepEqual(await placement(fx), { 'a-0': 'n1', 'a-1': 'n2', 'a-2': 'n1' });
    // Same pass again on the stale cache (before any watch event): no rebinds, no conflicts.
    fx.reset();
    const res = await s.reconcile(SCHEDULE_KEY);
    assert.deepEqual(fx.writes, []);
    assert.deepEqual(res, {});
  });

  it('a Run bound by a pass whose status write was lost gets status Scheduled', async () => {
    const fx = await seed({ n1: {} }, { a: {} });
    const run = await fx.get<Run>('Run', 'a-0');
    await fx.api.update({ ...run, spec: { ...run.spec, nodeName: 'n1' } } as never);
    await pass(fx);
    assert.deepEqual(fx.writes, ['updateStatus Run default/a-0']);
    assert.equal((await fx.get<Run>('Run', 'a-0')).status.phase, 'Scheduled');
  });

  it('formats the message with reasons in a stable order', () => {
    assert.equal(unschedulableMessage(0, new Map()), '0/0 nodes available');
  });
});
