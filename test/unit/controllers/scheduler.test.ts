// Scheduler: seed nodes and Runs, run one pass, assert bindings, messages and writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_UNSCHEDULABLE_WRITES,
  SCHEDULE_KEY,
  SchedulerReconciler,
  compareRuns,
  unschedulableMessage,
} from '../../../pkg/controllers/scheduler/index.js';
import { JobReconciler } from '../../../pkg/controllers/job/index.js';
import {
  nodePlacementKey,
  type Command,
  type CommandResult,
  type JobSpec,
  type Node,
  type Proposer,
  type Run,
} from '../../../pkg/store/index.js';
import { jobInput, newFixture, nodeInput, type Fixture, type NodeOptions } from './fixtures.js';

function scheduler(fx: Fixture, proposer: Proposer = fx.proposer): SchedulerReconciler {
  return new SchedulerReconciler({
    client: fx.client,
    proposer,
    runs: fx.runs,
    nodes: fx.nodes,
    clock: fx.clock,
    recorder: fx.recorder,
    logger: fx.logger,
  });
}

/** The job controller, writing through the unrecorded client (it seeds Runs). */
function jobReconciler(fx: Fixture): JobReconciler {
  return new JobReconciler({
    client: fx.api,
    jobs: fx.jobs,
    runs: fx.runs,
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
  const jc = jobReconciler(fx);
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

/** One pass on an up-to-date cache, and its plan answered. */
async function pass(fx: Fixture, s = scheduler(fx)) {
  await fx.sync();
  fx.reset();
  const result = await s.reconcile(SCHEDULE_KEY);
  await s.idle();
  return result;
}

/** A proposer that holds each command until the test lets it go. */
function heldProposer(fx: Fixture): { proposer: Proposer; held: (() => void)[] } {
  const held: (() => void)[] = [];
  return {
    held,
    proposer: {
      propose(c: Command): Promise<CommandResult> {
        return new Promise<void>((resolve) => held.push(resolve)).then(() =>
          fx.proposer.propose(c),
        );
      },
    },
  };
}

async function placement(fx: Fixture): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const r of await fx.list<Run>('Run')) out[r.metadata.name] = r.spec.nodeName;
  return out;
}

describe('scheduler', () => {
  it('commits a whole pass as one plan: every bind with its Scheduled status, in one command', async () => {
    const fx = await seed({ n1: {}, n2: {} }, { a: { parallelism: 3, completions: 3 }, b: {} });
    await pass(fx);
    assert.deepEqual(fx.writes, [
      'plan default/a-0->n1 default/a-1->n2 default/a-2->n1 default/b-0->n2',
    ]);
    for (const r of await fx.list<Run>('Run')) {
      assert.equal(r.status.phase, 'Scheduled', r.metadata.name);
      // One change per Run: created, then bound and Scheduled together.
      assert.equal(r.metadata.generation, 2);
    }
    const nodes = Object.values(await placement(fx)).sort();
    assert.deepEqual(nodes, ['n1', 'n1', 'n2', 'n2'], 'spread by what the pass itself took');
  });

  it('computes the next plan while one commits, against what that plan assumed', async () => {
    const fx = await seed({ n1: { cpu: '1' }, n2: { cpu: '1' } }, { a: {}, b: {} });
    const { proposer, held } = heldProposer(fx);
    const s = scheduler(fx, proposer);
    await fx.sync();
    await s.reconcile(SCHEDULE_KEY);
    assert.equal(held.length, 1, 'the first plan is committing');
    // More Runs arrive while it commits; the cache still shows a-0 and b-0 unbound.
    for (const j of ['c', 'd', 'e']) {
      await fx.api.create(jobInput(j));
      await fx.sync();
      await jobReconciler(fx).reconcile(`default/${j}`);
    }
    await fx.sync();
    fx.reset();
    await s.reconcile(SCHEDULE_KEY);
    assert.equal(held.length, 2, 'the second plan left before the first was answered');
    // A third pass waits for a slot (MAX_PLANS_IN_FLIGHT).
    let third = false;
    const next = s.reconcile(SCHEDULE_KEY).then(() => (third = true));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(third, false);
    for (const release of held.splice(0)) release();
    await next;
    await s.idle();
    // Each node holds 2 Runs of 500m: the second plan counted the first's binds.
    assert.deepEqual(await placement(fx), {
      'a-0': 'n1',
      'b-0': 'n2',
      'c-0': 'n1',
      'd-0': 'n2',
      'e-0': '',
    });
    assert.deepEqual(
      fx.writes.filter((w) => w.startsWith('plan')),
      ['plan default/a-0->n1 default/b-0->n2', 'plan default/c-0->n1 default/d-0->n2'],
    );
  });

  it('a bind the store refuses leaves its Run Pending for the next pass, the others stand', async () => {
    const fx = await seed({ n1: { cpu: '1' } }, { a: {}, b: {} });
    const { proposer, held } = heldProposer(fx);
    let woken = 0;
    const s = new SchedulerReconciler({
      client: fx.client,
      proposer,
      wake: () => woken++,
      runs: fx.runs,
      nodes: fx.nodes,
      clock: fx.clock,
      recorder: fx.recorder,
      logger: fx.logger,
    });
    await fx.sync();
    await s.reconcile(SCHEDULE_KEY);
    // Before the plan commits, someone else takes half of n1 (another scheduler, by hand).
    await fx.api.create(jobInput('other'));
    const jc = jobReconciler(fx);
    await fx.sync();
    await jc.reconcile('default/other');
    await fx.bindRun('other-0', 'n1');
    for (const release of held.splice(0)) release();
    await s.idle();
    assert.deepEqual(await placement(fx), { 'a-0': 'n1', 'b-0': '', 'other-0': 'n1' });
    assert.equal((await fx.get<Run>('Run', 'b-0')).status.phase, 'Pending');
    assert.equal(woken, 1, 'the pass is woken to place b-0 again');
    assert.deepEqual(
      fx.recorder.events.filter((e) => e.reason === 'Scheduled').map((e) => e.message),
      ['Successfully assigned default/a-0 to n1'],
    );
    // The next pass sees n1 full and says so; nothing is bound twice.
    const p = pass(fx, s);
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (held.length === 0) break;
      for (const release of held.splice(0)) release();
    }
    await p;
    assert.equal(
      (await fx.get<Run>('Run', 'b-0')).status.message,
      '0/1 nodes available: 1 insufficient cpu',
    );
  });

  it('binds a Pending Run: spec.nodeName and status Scheduled in one plan', async () => {
    const fx = await seed({ n1: {} }, { a: {} });
    await pass(fx);
    assert.deepEqual(fx.writes, ['plan default/a-0->n1']);
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

  it('tells at most MAX_UNSCHEDULABLE_WRITES Runs per pass why they fit nowhere, front of the line first', async () => {
    const n = MAX_UNSCHEDULABLE_WRITES + 20;
    const fx = await seed(
      { n1: {} },
      { a: { completions: n, parallelism: n, nodeSelector: { disk: 'none' } } },
    );
    const s = scheduler(fx);
    const first = await pass(fx, s);
    assert.equal(fx.writes.length, MAX_UNSCHEDULABLE_WRITES);
    assert.ok(first.requeueAfter !== undefined, 'more to tell: the pass asks to come back');
    const told = async (): Promise<string[]> =>
      (await fx.list<Run>('Run')).filter((r) => r.status.message).map((r) => r.metadata.name);
    const names = (await fx.list<Run>('Run')).sort(compareRuns).map((r) => r.metadata.name);
    assert.deepEqual((await told()).sort(), names.slice(0, MAX_UNSCHEDULABLE_WRITES).sort());
    const second = await pass(fx, s);
    assert.equal(fx.writes.length, 20);
    assert.deepEqual(second, {});
    assert.equal((await told()).length, n);
  });

  it('keeps the placement order across passes and merges new Runs into it', async () => {
    const fx = await seed({ n1: { cpu: '1' } }, { a: { priority: 1 }, b: {}, c: {} });
    const s = scheduler(fx);
    await pass(fx, s);
    assert.deepEqual(await placement(fx), { 'a-0': 'n1', 'b-0': 'n1', 'c-0': '' });
    // A newer Run of higher priority goes before c-0, which waited longer.
    const jc = jobReconciler(fx);
    await fx.api.create(jobInput('d', { priority: 2 }));
    await fx.sync();
    await jc.reconcile('default/d');
    await fx.setRunStatus('a-0', { phase: 'Succeeded' });
    await pass(fx, s);
    assert.deepEqual(await placement(fx), { 'a-0': 'n1', 'b-0': 'n1', 'c-0': '', 'd-0': 'n1' });
  });

  it('does not rewrite why a Run waits when only the counts change, but does when the reasons do', async () => {
    const fx = await seed(
      { n1: { runs: 1 }, n2: { runs: 1 } },
      { a: { completions: 3, parallelism: 3 } },
    );
    await pass(fx);
    const said = '0/2 nodes available: 2 too many runs';
    assert.equal((await fx.get<Run>('Run', 'a-2')).status.message, said);
    // A third node, full at once: "0/3 nodes available: 3 too many runs", the same reason.
    await fx.api.create(nodeInput('n3', { runs: 1 }));
    await fx.api.create(jobInput('x'));
    await fx.sync();
    await jobReconciler(fx).reconcile('default/x');
    await fx.bindRun('x-0', 'n3');
    await pass(fx);
    assert.deepEqual(fx.writes, [], 'the same reasons: no write');
    assert.equal((await fx.get<Run>('Run', 'a-2')).status.message, said);
    assert.deepEqual(
      fx.recorder.events.filter((e) => e.reason === 'FailedScheduling'),
      [],
    );
    // A new reason (a node not ready) is news: written, with a FailedScheduling Event.
    await fx.api.create(nodeInput('n4', { ready: false }));
    await pass(fx);
    const now = '0/4 nodes available: 1 node(s) were not ready, 3 too many runs';
    assert.equal((await fx.get<Run>('Run', 'a-2')).status.message, now);
    assert.deepEqual(
      fx.recorder.events.map((e) => [e.reason, e.message]),
      [['FailedScheduling', now]],
    );
  });

  it('a pass looks at the front of the line only, and not again at Runs that fit nowhere until room frees up', async () => {
    const n = 300;
    const fx = await seed({ n1: { runs: 2 } }, { a: { completions: n, parallelism: n } });
    // Counts the Runs a pass looks at: those the cache hands out, by index or by key.
    // Each full scan of the waiting Runs is made to cost 5 ms of the fake clock.
    let looked = 0;
    const runs = new Proxy(fx.runs, {
      get(target, prop) {
        if (prop === 'byIndex') {
          return (index: string, value: string) => {
            const out = target.byIndex(index, value);
            looked += out.length;
            if (out.length >= n / 2) fx.clock.advance(5);
            return out;
          };
        }
        if (prop === 'getByKey') {
          return (key: string) => {
            looked++;
            return target.getByKey(key);
          };
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const s = new SchedulerReconciler({
      client: fx.client,
      proposer: fx.proposer,
      runs,
      nodes: fx.nodes,
      clock: fx.clock,
      recorder: fx.recorder,
      logger: fx.logger,
    });
    // A pass is followed by a pause as long as its work (the scan's 5 ms).
    const later = (): ReturnType<typeof pass> => {
      fx.clock.advance(6);
      return pass(fx, s);
    };
    await pass(fx, s);
    await later(); // the last of the 298 waiting Runs told why
    assert.equal(
      (await fx.list<Run>('Run')).filter((r) => r.status.message).length,
      n - 2,
      'every waiting Run says why',
    );
    // Nothing changed: the next pass looks at (almost) nothing, writes nothing,
    // and comes back when a scan for new Runs is due.
    looked = 0;
    const quiet = await later();
    assert.deepEqual(fx.writes, []);
    assert.ok(looked <= 5, `a quiet pass looked at ${looked} Runs`);
    assert.ok(quiet.requeueAfter !== undefined && quiet.requeueAfter <= 50, 'back for the scan');
    // One slot frees up: the Run at the front takes it, and the pass stops there.
    const front = (await fx.list<Run>('Run')).filter((r) => !r.spec.nodeName).sort(compareRuns)[0];
    await fx.setRunStatus('a-0', { phase: 'Succeeded' });
    looked = 0;
    await later();
    assert.deepEqual(fx.writes, [`plan default/${front?.metadata.name}->n1`]);
    assert.ok(looked <= 10, `a pass placing one Run looked at ${looked} Runs`);
  });

  it('formats the message with reasons in a stable order', () => {
    assert.equal(unschedulableMessage(0, new Map()), '0/0 nodes available');
  });

  it('tells a heartbeat apart from a change that moves placements (nodePlacementKey)', () => {
    const key = (o: NodeOptions) => nodePlacementKey(nodeInput('n1', o) as unknown as Node);
    const base = key({});
    assert.equal(key({ heartbeat: '2026-12-06T20:00:01.000Z' }), base, 'heartbeat alone');
    for (const [what, o] of Object.entries<NodeOptions>({
      cordon: { unschedulable: true },
      'not ready': { ready: false },
      labels: { labels: { disk: 'ssd' } },
      cpu: { cpu: '2' },
      memory: { memory: '1Gi' },
      runs: { runs: 3 },
    }))
      assert.notEqual(key(o), base, what);
  });
});
