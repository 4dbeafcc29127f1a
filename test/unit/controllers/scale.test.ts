// Control-plane scale: 1,000 Jobs through the real Manager (informers, queues,
// job controller, scheduler, node lifecycle) on one store, with a tiny
// simulated agent per node that moves bound Runs to Running and then
// Succeeded. Time is a FakeClock the driver advances between rounds; no sleeps.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTestClient } from '../../../pkg/client/testing.js';
import { addControllers } from '../../../pkg/controllers/index.js';
import { Manager, MemoryLogger } from '../../../pkg/reconcile/index.js';
import { isFinalRunPhase, type ResourceInput } from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { isReason, Reason } from '../../../pkg/util/errors.js';
import { jobInput, nodeInput, T0 } from './fixtures.js';

const JOBS = 1_000;
const NODES = ['n1', 'n2', 'n3'];

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('control plane at scale', () => {
  it('drives 1,000 Jobs to Succeeded with no duplicate attempts and parallelism respected', async () => {
    const clock = new FakeClock(T0);
    const { client, store, proposer } = newTestClient({ clock });
    for (const n of NODES) await client.create(nodeInput(n, { cpu: '4', memory: '8Gi', runs: 8 }));
    const spec = (i: number) => ({ completions: 1 + (i % 3), parallelism: 1 + (i % 2) });
    for (let i = 0; i < JOBS; i++) await client.create(jobInput(`job-${i}`, spec(i)));

    const logger = new MemoryLogger();
    const manager = new Manager({ client, clock, logger });
    addControllers(manager, {
      job: { backoffBaseMs: 100, backoffMaxMs: 1_000, proposer },
      scheduler: { proposer },
      // The simulated agents do not heartbeat; this test is not about node loss.
      nodeLifecycle: { gracePeriodMs: 3_600_000 },
    });
    await manager.start();

    const parallelism = new Map<string, number>();
    for (let i = 0; i < JOBS; i++) parallelism.set(`job-${i}`, spec(i).parallelism);
    let maxActiveSeen = 0;
    let rounds = 0;
    for (;;) {
      rounds++;
      assert.ok(rounds < 5_000, 'did not converge');
      for (let i = 0; i < 20; i++) await flush();

      // The agents: one step per round for every Run bound to their node.
      const runs = store.list('Run').items;
      const active = new Map<string, number>();
      const perNode = new Map<string, number>();
      for (const run of runs) {
        const phase = run.status.phase ?? 'Pending';
        if (isFinalRunPhase(phase)) continue;
        active.set(run.spec.jobName, (active.get(run.spec.jobName) ?? 0) + 1);
        if (run.spec.nodeName)
          perNode.set(run.spec.nodeName, (perNode.get(run.spec.nodeName) ?? 0) + 1);
        if (!run.spec.nodeName) continue;
        const next =
          phase === 'Scheduled'
            ? { phase: 'Running', startedAt: new Date(clock.now()).toISOString() }
            : phase === 'Running'
              ? {
                  phase: 'Succeeded',
                  reason: 'Completed',
                  exitCode: 0,
                  finishedAt: new Date(clock.now()).toISOString(),
                }
              : undefined;
        if (!next) continue;
        try {
          await client.updateStatus({
            ...run,
            status: { ...run.status, ...next },
          } as unknown as ResourceInput);
        } catch (err) {
          if (!isReason(err, Reason.Conflict)) throw err;
        }
      }
      for (const [job, n] of active) {
        maxActiveSeen = Math.max(maxActiveSeen, n);
        assert.ok(n <= (parallelism.get(job) ?? 0), `${job}: ${n} active Runs exceed parallelism`);
      }
      for (const [node, n] of perNode) assert.ok(n <= 8, `${node} has ${n} Runs bound (max 8)`);

      const jobs = store.list('Job').items;
      if (jobs.every((j) => j.status.phase === 'Succeeded')) break;
      clock.advance(10);
    }
    const stats = manager.controller('job')?.stats;
    await manager.stop();

    const runs = store.list('Run').items;
    const byJob = new Map<string, number[]>();
    const perNode = new Map<string, number>();
    for (const r of runs) {
      const list = byJob.get(r.spec.jobName) ?? [];
      list.push(r.spec.attempt);
      byJob.set(r.spec.jobName, list);
      assert.equal(r.status.phase, 'Succeeded');
      perNode.set(r.spec.nodeName, (perNode.get(r.spec.nodeName) ?? 0) + 1);
    }
    for (let i = 0; i < JOBS; i++) {
      const attempts = (byJob.get(`job-${i}`) ?? []).sort((a, b) => a - b);
      const want = spec(i).completions;
      // Exactly `completions` Runs, attempts 0..n-1: none created twice, none extra.
      assert.deepEqual(attempts, [...Array(want).keys()], `job-${i}`);
    }
    const jobs = store.list('Job').items;
    assert.equal(jobs.length, JOBS);
    for (const j of jobs) {
      assert.equal(j.status.succeeded, j.spec.completions);
      assert.equal(j.status.active, 0);
      assert.ok(j.status.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
    }
    assert.equal(maxActiveSeen, 2);
    // Spread over every node.
    assert.deepEqual([...perNode.keys()].sort(), NODES);
    assert.equal(stats?.terminalErrors, 0);
    const noisy = logger.lines.filter((l) => l.level !== 'info');
    assert.deepEqual(noisy, [], 'no warnings or errors');
  });
});
