// Node lifecycle: heartbeat staleness on the leader's monotonic clock. A node
// is stale only once the log has moved on without it: the witness node "w"
// keeps heartbeating while the tests let time pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HeartbeatTracker,
  NodeLifecycleReconciler,
  unreadyNodeOf,
} from '../../../pkg/controllers/nodelifecycle/index.js';
import {
  cloneResource,
  type Node,
  type ResourceInput,
  type Run,
} from '../../../pkg/store/index.js';
import { iso, jobInput, newFixture, nodeInput, T0, type Fixture } from './fixtures.js';
import { JobReconciler } from '../../../pkg/controllers/job/index.js';
import { newRun } from '../../../pkg/controllers/job/runs.js';
import type { Job } from '../../../pkg/store/index.js';

function lifecycle(fx: Fixture): NodeLifecycleReconciler {
  return new NodeLifecycleReconciler({
    client: fx.client,
    nodes: fx.nodes,
    runs: fx.runs,
    clock: fx.clock,
    recorder: fx.recorder,
    logger: fx.logger,
    gracePeriodMs: 5_000,
  });
}

async function heartbeat(fx: Fixture, name: string): Promise<void> {
  const node = cloneResource(await fx.get<Node>('Node', name));
  node.status.heartbeatTime = iso(fx.clock.now());
  await fx.api.updateStatus(node as unknown as ResourceInput);
}

/**
 * Lets `ms` pass in steps of at most a second; the witness "w" heartbeats at
 * each step and `r` sees it (as the controller does on every Node event).
 */
async function pass(fx: Fixture, r: NodeLifecycleReconciler, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 1_000) {
    fx.clock.advance(Math.min(1_000, left));
    await heartbeat(fx, 'w');
    await fx.sync();
    await r.reconcile('w');
  }
}

/** A node n1 running a-0 (Running) and b-0 (already Succeeded), and the witness w. */
async function seed(): Promise<Fixture> {
  const fx = newFixture();
  await fx.api.create(nodeInput('n1'));
  await fx.api.create(nodeInput('w'));
  const jc = new JobReconciler({
    client: fx.api,
    jobs: fx.jobs,
    runs: fx.runs,
    clock: fx.clock,
    recorder: fx.recorder,
    logger: fx.logger,
  });
  for (const j of ['a', 'b']) {
    await fx.api.create(jobInput(j));
    await fx.sync();
    await jc.reconcile(`default/${j}`);
    await fx.bindRun(`${j}-0`, 'n1');
  }
  await fx.setRunStatus('a-0', { phase: 'Running' });
  await fx.setRunStatus('b-0', { phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
  return fx;
}

async function sync(fx: Fixture, r: NodeLifecycleReconciler, key = 'n1') {
  await fx.sync();
  fx.reset();
  return r.reconcile(key);
}

function ready(node: Node): [string, string | undefined] {
  const c = node.status.conditions?.find((x) => x.type === 'Ready');
  return [c?.status ?? '', c?.reason];
}

describe('node lifecycle', () => {
  it('a node silent for the grace period becomes NotReady and its non-final Runs Lost', async () => {
    const fx = await seed();
    const r = lifecycle(fx);
    let res = await sync(fx, r);
    assert.deepEqual([fx.writes, res], [[], { requeueAfter: 5_000 }]);
    await pass(fx, r, 4_000);
    res = await sync(fx, r);
    assert.deepEqual([fx.writes, res], [[], { requeueAfter: 1_000 }]);
    await pass(fx, r, 1_000);
    res = await sync(fx, r);
    assert.deepEqual(fx.writes, ['updateStatus Node n1', 'updateStatus Run default/a-0']);
    const node = await fx.get<Node>('Node', 'n1');
    assert.deepEqual(ready(node), ['False', 'NodeStatusUnknown']);
    const a = await fx.get<Run>('Run', 'a-0');
    assert.deepEqual([a.status.phase, a.status.reason], ['Lost', 'NodeLost']);
    assert.equal(a.status.finishedAt, iso(T0 + 5_000));
    assert.equal((await fx.get<Run>('Run', 'b-0')).status.phase, 'Succeeded');
    assert.deepEqual(fx.recorder.reasons(), ['NodeNotReady', 'NodeLost']);
    // Still silent: nothing more to write.
    await pass(fx, r, 5_000);
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
  });

  it("enqueues a Run event only for a node not Ready in its cache; a Run bound just before the NotReady write is lost by that write's Node event", async () => {
    const fx = await seed();
    const r = lifecycle(fx);
    await sync(fx, r);
    await pass(fx, r, 5_000); // n1 is now stale; the caches are as of now
    const a0 = fx.runs.get('default', 'a-0') as Run;
    assert.deepEqual(unreadyNodeOf(a0, fx.nodes), [], 'n1 is Ready=True: not enqueued');
    // c-0 is bound to n1 in the store, but the Run cache has not seen it yet.
    const job = (await fx.api.create(jobInput('c'))) as unknown as Job;
    await fx.api.create(newRun(job, 0, fx.clock.now()));
    await fx.bindRun('c-0', 'n1');
    fx.reset();
    await r.reconcile('n1');
    assert.deepEqual(fx.writes, ['updateStatus Node n1', 'updateStatus Run default/a-0']);
    // The bind (and a-0's Lost) reach the Run cache before the NotReady write
    // reaches the Node cache.
    const c0 = await fx.get<Run>('Run', 'c-0');
    fx.runs.upsert(c0);
    fx.runs.upsert(await fx.get<Run>('Run', 'a-0'));
    assert.deepEqual(unreadyNodeOf(c0, fx.nodes), [], 'the Node cache still says Ready=True');
    // Then the NotReady write reaches the Node cache: its Node event enqueues n1.
    fx.nodes.upsert(await fx.get<Node>('Node', 'n1'));
    assert.deepEqual(unreadyNodeOf(c0, fx.nodes), ['n1'], 'later Run events get through');
    fx.reset();
    await r.reconcile('n1');
    assert.deepEqual(fx.writes, ['updateStatus Run default/c-0']);
    const lost = await fx.get<Run>('Run', 'c-0');
    assert.deepEqual([lost.status.phase, lost.status.reason], ['Lost', 'NodeLost']);
    // A Run of a node the cache does not know is enqueued (lost at once), an unbound one never.
    fx.nodes.remove('n1');
    assert.deepEqual(unreadyNodeOf(c0, fx.nodes), ['n1']);
    assert.deepEqual(unreadyNodeOf({ ...c0, spec: { ...c0.spec, nodeName: '' } }, fx.nodes), []);
  });

  it('declares nobody stale while the log stands still (a replica cut off or paused)', async () => {
    const fx = await seed();
    const r = lifecycle(fx);
    await sync(fx, r);
    fx.clock.advance(60_000); // no heartbeat of any node changes meanwhile
    const res = await sync(fx, r);
    assert.deepEqual(fx.writes, []);
    assert.deepEqual(res, { requeueAfter: 5_000 });
    assert.deepEqual(ready(await fx.get<Node>('Node', 'n1')), ['True', 'NodeReady']);
  });

  it('a node heartbeating again becomes Ready', async () => {
    const fx = await seed();
    const r = lifecycle(fx);
    await sync(fx, r);
    await pass(fx, r, 5_000);
    await sync(fx, r);
    assert.deepEqual(ready(await fx.get<Node>('Node', 'n1')), ['False', 'NodeStatusUnknown']);
    fx.clock.advance(1_000);
    await heartbeat(fx, 'n1');
    const res = await sync(fx, r);
    assert.deepEqual(fx.writes, ['updateStatus Node n1']);
    assert.deepEqual(ready(await fx.get<Node>('Node', 'n1')), ['True', 'NodeReady']);
    assert.deepEqual(res, { requeueAfter: 5_000 });
  });

  it('keeps a heartbeating node Ready without writes', async () => {
    const fx = await seed();
    const r = lifecycle(fx);
    for (let i = 0; i < 5; i++) {
      await sync(fx, r);
      assert.deepEqual(fx.writes, []);
      fx.clock.advance(3_000);
      await heartbeat(fx, 'n1');
    }
    assert.deepEqual(ready(await fx.get<Node>('Node', 'n1')), ['True', 'NodeReady']);
  });

  it('is immune to clock skew: only changes of heartbeatTime count, never its value', async () => {
    const fx = await seed();
    const r = lifecycle(fx);
    // The node's clock is an hour behind ours; it is still alive.
    const node = cloneResource(await fx.get<Node>('Node', 'n1'));
    node.status.heartbeatTime = iso(T0 - 3_600_000);
    await fx.api.updateStatus(node as unknown as ResourceInput);
    await sync(fx, r);
    fx.clock.jumpWall(86_400_000); // and our wall clock jumps a day
    fx.clock.advance(3_000);
    await heartbeat(fx, 'n1');
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
    assert.deepEqual(ready(await fx.get<Node>('Node', 'n1')), ['True', 'NodeReady']);
  });

  it('a new leader neither revives a NotReady node nor declares one dead before a full grace period', async () => {
    const fx = await seed();
    const r = lifecycle(fx);
    await sync(fx, r);
    await pass(fx, r, 5_000);
    await sync(fx, r); // NotReady under the old leader
    // New leader (fresh reconciler): the NotReady node is not revived without a heartbeat.
    const r2 = lifecycle(fx);
    await sync(fx, r2);
    assert.deepEqual(fx.writes, []);
    assert.deepEqual(ready(await fx.get<Node>('Node', 'n1')), ['False', 'NodeStatusUnknown']);
    // A healthy node is not declared dead by the new leader before it has watched for 5 s.
    await fx.api.create(nodeInput('n2'));
    const r3 = lifecycle(fx);
    await sync(fx, r3, 'n2');
    await pass(fx, r3, 4_000);
    await sync(fx, r3, 'n2');
    assert.deepEqual(fx.writes, []);
  });

  it('a leader that watched as a follower declares a node dead before the failover on time', async () => {
    const fx = await seed();
    // The tracker every jobd feeds from its own store, follower or not.
    const tracker = new HeartbeatTracker(5_000);
    const feed = async () => {
      for (const n of ['n1', 'w']) {
        const node = await fx.get<Node>('Node', n);
        tracker.observe(n, node.status.heartbeatTime, fx.clock.monotonic());
      }
    };
    await feed();
    for (let i = 0; i < 4; i++) {
      fx.clock.advance(1_000);
      await heartbeat(fx, 'w');
      await feed();
    }
    // n1 died at the start; the leader changes now, 4 s in: the new leader's
    // reconciler shares the tracker, so n1 is NotReady 1 s later, not 5.
    const r = new NodeLifecycleReconciler({
      client: fx.client,
      nodes: fx.nodes,
      runs: fx.runs,
      clock: fx.clock,
      recorder: fx.recorder,
      logger: fx.logger,
      gracePeriodMs: 5_000,
      heartbeats: tracker,
    });
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
    await pass(fx, r, 1_000);
    await sync(fx, r);
    assert.deepEqual(fx.writes, ['updateStatus Node n1', 'updateStatus Run default/a-0']);
  });

  it('Runs bound to a node that no longer exists are Lost', async () => {
    const fx = await seed();
    await fx.api.delete('Node', '', 'n1');
    await sync(fx, lifecycle(fx));
    assert.deepEqual(fx.writes, ['updateStatus Run default/a-0']);
    assert.equal((await fx.get<Run>('Run', 'a-0')).status.phase, 'Lost');
  });

  it('HeartbeatTracker: unknown, then alive or stale by observed change', () => {
    const t = new HeartbeatTracker(1000);
    assert.deepEqual(t.observe('n', 'h1', 0), { liveness: 'unknown', recheckIn: 1000 });
    assert.deepEqual(t.observe('n', 'h2', 400), { liveness: 'alive', recheckIn: 1000 });
    // Time alone proves nothing: the log has not moved on without n.
    assert.deepEqual(t.observe('n', 'h2', 900), { liveness: 'alive', recheckIn: 1000 });
    // Another node's heartbeats show it has: stale once 1 s past n's last.
    t.observe('m', 'a', 1000);
    t.observe('m', 'b', 1000);
    assert.deepEqual(t.observe('n', 'h2', 1000), { liveness: 'alive', recheckIn: 400 });
    t.observe('m', 'c', 1400);
    assert.deepEqual(t.observe('n', 'h2', 1400), { liveness: 'stale', recheckIn: 1000 });
  });
});
