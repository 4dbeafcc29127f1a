// Job controller: each test seeds a real store, fills the caches, syncs one
// key and asserts the exact writes (STYLE §2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  JobReconciler,
  OwnWrites,
  STARTED_WRITE_DELAY_MS,
  jobEvents,
  runEvents,
  runName,
} from '../../../pkg/controllers/job/index.js';
import { createdJobStatus } from '../../../pkg/controllers/job/plan.js';
import { JOB_NAME_LABEL, type Job, type Proposer, type Run } from '../../../pkg/store/index.js';
import { isReason, Reason } from '../../../pkg/util/errors.js';
import { iso, jobInput, newFixture, T0, type Fixture } from './fixtures.js';

function depsOf(fx: Fixture) {
  return {
    client: fx.client,
    jobs: fx.jobs,
    runs: fx.runs,
    clock: fx.clock,
    recorder: fx.recorder,
    logger: fx.logger,
  };
}

function reconciler(fx: Fixture, backoff = { backoffBaseMs: 10_000, backoffMaxMs: 360_000 }) {
  return new JobReconciler({ ...depsOf(fx), ...backoff });
}

async function setup(name: string, spec: Parameters<typeof jobInput>[1] = {}) {
  const fx = newFixture();
  await fx.api.create(jobInput(name, spec));
  await fx.sync();
  return { fx, r: reconciler(fx) };
}

/** Reconcile with an up-to-date cache first. */
async function sync(fx: Fixture, r: JobReconciler, key = 'default/hello') {
  await fx.sync();
  fx.reset();
  return r.reconcile(key);
}

describe('job controller', () => {
  it('creates min(parallelism, completions - succeeded) Runs, owned and labelled', async () => {
    const { fx, r } = await setup('hello', { completions: 5, parallelism: 3, priority: 7 });
    fx.reset();
    const res = await r.reconcile('default/hello');
    assert.deepEqual(fx.writes, [
      'create Run default/hello-0',
      'create Run default/hello-1',
      'create Run default/hello-2',
      'updateStatus Job default/hello',
    ]);
    assert.deepEqual(res, { requeueAfter: undefined });
    const job = await fx.get<Job>('Job', 'hello');
    assert.deepEqual(job.status, {
      phase: 'Pending',
      active: 3,
      succeeded: 0,
      failed: 0,
      attempts: 3,
      startTime: iso(T0),
    });
    const run = await fx.get<Run>('Run', 'hello-1');
    assert.equal(run.spec.attempt, 1);
    assert.equal(run.spec.jobName, 'hello');
    assert.equal(run.spec.jobUid, job.metadata.uid);
    assert.equal(run.spec.nodeName, '');
    assert.equal(run.spec.priority, 7);
    assert.deepEqual(run.spec.container.command, ['sh', '-c', 'echo hi']);
    assert.deepEqual(run.spec.container.resources, { cpu: '500m', memory: '256Mi' });
    assert.equal(run.metadata.labels[JOB_NAME_LABEL], 'hello');
    assert.deepEqual(run.metadata.ownerReferences, [
      {
        apiVersion: 'jobctl.dev/v1',
        kind: 'Job',
        name: 'hello',
        uid: job.metadata.uid,
        controller: true,
      },
    ]);
    assert.equal(run.status.phase, 'Pending');
    assert.deepEqual(fx.recorder.reasons(), [
      'SuccessfulCreate',
      'SuccessfulCreate',
      'SuccessfulCreate',
    ]);
  });

  it('steady state: a second reconcile with a current cache makes no writes', async () => {
    const { fx, r } = await setup('hello', { completions: 2, parallelism: 2 });
    await r.reconcile('default/hello');
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
  });

  it('never creates a duplicate attempt, even from a stale cache (new leader, lagging watch)', async () => {
    const { fx, r } = await setup('hello', { completions: 3, parallelism: 2 });
    await r.reconcile('default/hello');
    // The cache still shows no Runs and the old status: the same attempt is
    // tried, the store says AlreadyExists, and the reconcile asks to retry.
    fx.reset();
    const res = await r.reconcile('default/hello');
    assert.deepEqual(fx.writes, ['create Run default/hello-0']);
    assert.deepEqual(res, { requeue: true });
    // A brand-new reconciler (a new leader) on a current cache: nothing to do.
    const r2 = reconciler(fx);
    await fx.sync();
    fx.reset();
    await r2.reconcile('default/hello');
    assert.deepEqual(fx.writes, []);
    assert.equal((await fx.list<Run>('Run')).length, 2);
  });

  it("creates a Job's Runs together after one probe, so they can share a Raft entry", async () => {
    const { fx } = await setup('hello', { completions: 6, parallelism: 5 });
    // A client that holds creates until the test lets them go, counting how
    // many were in flight at once.
    const held: (() => void)[] = [];
    const waves: number[] = [];
    const client = new Proxy(fx.client, {
      get(target, prop, receiver) {
        if (prop !== 'create') return Reflect.get(target, prop, receiver) as unknown;
        return (obj: Parameters<typeof target.create>[0]) =>
          new Promise<void>((resolve) => held.push(resolve)).then(() => target.create(obj));
      },
    });
    const r = new JobReconciler({ ...depsOf(fx), client });
    fx.reset();
    const done = r.reconcile('default/hello');
    for (let i = 0; i < 2; i++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      waves.push(held.length);
      for (const release of held.splice(0)) release();
    }
    await done;
    assert.deepEqual(waves, [1, 4]);
    assert.deepEqual(fx.writes, [
      'create Run default/hello-0',
      'create Run default/hello-1',
      'create Run default/hello-2',
      'create Run default/hello-3',
      'create Run default/hello-4',
      'updateStatus Job default/hello',
    ]);
  });

  it('does not start a fresh attempt when the Job cache is ahead of the Run cache', async () => {
    const { fx, r } = await setup('hello', { completions: 2, parallelism: 2 });
    await r.reconcile('default/hello');
    // The Job informer has seen status.attempts = 2; the Run informer nothing yet.
    fx.jobs.upsert(await fx.get<Job>('Job', 'hello'));
    assert.equal(fx.runs.size, 0);
    fx.reset();
    const res = await r.reconcile('default/hello');
    assert.deepEqual(fx.writes, [], 'no hello-2: the two Runs are read through the client');
    assert.deepEqual(res, { requeueAfter: undefined });
  });

  it('retries a failed Run after exponential back-off from its finishedAt', async () => {
    const { fx, r } = await setup('hello', { backoffLimit: 5 });
    await r.reconcile('default/hello');
    await fx.setRunStatus('hello-0', {
      phase: 'Failed',
      reason: 'Error',
      exitCode: 1,
      finishedAt: iso(fx.clock.now()),
    });
    fx.clock.advance(2_000);
    let res = await sync(fx, r);
    // 10 s after the failure, 2 s of which have passed.
    assert.deepEqual(res, { requeueAfter: 8_000 });
    assert.deepEqual(fx.writes, ['updateStatus Job default/hello']);
    assert.deepEqual(fx.recorder.reasons(), ['BackOff']);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.failed, 1);
    fx.clock.advance(7_999);
    res = await sync(fx, r);
    assert.deepEqual(fx.writes, []);
    assert.deepEqual(fx.recorder.reasons(), [], 'BackOff is recorded once per failure');
    fx.clock.advance(1);
    res = await sync(fx, r);
    assert.deepEqual(fx.writes, ['create Run default/hello-1', 'updateStatus Job default/hello']);
    // The second failure doubles the wait.
    await fx.setRunStatus('hello-1', {
      phase: 'Failed',
      reason: 'Error',
      exitCode: 1,
      finishedAt: iso(fx.clock.now()),
    });
    res = await sync(fx, r);
    assert.deepEqual(res, { requeueAfter: 20_000 });
  });

  it('a failure stamped by a node whose clock runs ahead does not stretch the back-off', async () => {
    // Regression (chaos suite, issue 5): a Run that failed on a node whose wall clock
    // was 68 s ahead carried a finishedAt 68 s in the future, and the retry waited
    // the back-off plus the skew.
    const { fx, r } = await setup('hello', { backoffLimit: 5 });
    await r.reconcile('default/hello');
    await fx.setRunStatus('hello-0', {
      phase: 'Failed',
      reason: 'Error',
      exitCode: 1,
      finishedAt: iso(fx.clock.now() + 120_000),
    });
    let res = await sync(fx, r);
    // Counted from when this controller saw the failure: 10 s, not 130 s.
    assert.deepEqual(res, { requeueAfter: 10_000 });
    fx.clock.advance(10_000);
    res = await sync(fx, r);
    assert.deepEqual(fx.writes, ['create Run default/hello-1', 'updateStatus Job default/hello']);
  });

  it('fails with BackoffLimitExceeded after exactly backoffLimit+1 failed Runs', async () => {
    const { fx, r } = await setup('hello', { backoffLimit: 2 });
    for (let i = 0; ; i++) {
      const res = await sync(fx, r);
      const job = await fx.get<Job>('Job', 'hello');
      if (job.status.phase === 'Failed') break;
      assert.ok(i < 20, 'job never failed');
      const active = (await fx.list<Run>('Run')).filter((x) => x.status.phase === 'Pending');
      for (const run of active) {
        await fx.setRunStatus(run.metadata.name, {
          phase: 'Failed',
          reason: 'Error',
          exitCode: 1,
          finishedAt: iso(fx.clock.now()),
        });
      }
      fx.clock.advance(res.requeueAfter ?? 0);
    }
    const runs = await fx.list<Run>('Run');
    assert.deepEqual(runs.map((x) => x.metadata.name).sort(), ['hello-0', 'hello-1', 'hello-2']);
    const job = await fx.get<Job>('Job', 'hello');
    const cond = job.status.conditions?.find((c) => c.type === 'Failed');
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'BackoffLimitExceeded');
    assert.equal(job.status.failed, 3);
    assert.ok(job.status.completionTime);
    assert.ok(fx.recorder.reasons().includes('BackoffLimitExceeded'));
    // Finished: later reconciles write nothing and create nothing.
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
  });

  it('replaces a Lost Run at once and does not count it as a failure', async () => {
    const { fx, r } = await setup('hello', { backoffLimit: 0 });
    await r.reconcile('default/hello');
    await fx.bindRun('hello-0', 'n1');
    await fx.setRunStatus('hello-0', {
      phase: 'Lost',
      reason: 'NodeLost',
      finishedAt: iso(fx.clock.now()),
    });
    const res = await sync(fx, r);
    assert.deepEqual(fx.writes, ['create Run default/hello-1', 'updateStatus Job default/hello']);
    assert.deepEqual(res, { requeueAfter: undefined });
    const job = await fx.get<Job>('Job', 'hello');
    assert.equal(job.status.failed, 0);
    assert.equal(job.status.attempts, 2);
    assert.notEqual(job.status.phase, 'Failed');
  });

  it('enforces activeDeadlineSeconds: cancels active Runs and fails with DeadlineExceeded', async () => {
    const { fx, r } = await setup('hello', {
      completions: 2,
      parallelism: 2,
      activeDeadlineSeconds: 30,
    });
    let res = await r.reconcile('default/hello');
    assert.deepEqual(res, { requeueAfter: 30_000 });
    assert.equal((await fx.get<Run>('Run', 'hello-0')).spec.activeDeadlineSeconds, 30);
    await fx.bindRun('hello-0', 'n1');
    await fx.setRunStatus('hello-0', { phase: 'Running' });
    fx.clock.advance(30_000);
    res = await sync(fx, r);
    assert.deepEqual(fx.writes, [
      'update Run default/hello-0', // bound: flagged for the agent to kill
      'update Run default/hello-1', // unbound: flagged...
      'updateStatus Run default/hello-1', // ...and ended here
      'updateStatus Job default/hello',
    ]);
    const r0 = await fx.get<Run>('Run', 'hello-0');
    assert.equal(r0.spec.cancelled, true);
    assert.equal(r0.spec.cancelReason, 'DeadlineExceeded');
    assert.equal(r0.status.phase, 'Running', 'the agent reports the kill');
    const r1 = await fx.get<Run>('Run', 'hello-1');
    assert.equal(r1.status.phase, 'Cancelled');
    assert.equal(r1.status.reason, 'DeadlineExceeded');
    const job = await fx.get<Job>('Job', 'hello');
    assert.equal(job.status.phase, 'Failed');
    const cond = job.status.conditions?.find((c) => c.type === 'Failed');
    assert.deepEqual(
      [cond?.reason, cond?.message, cond?.lastTransitionTime],
      ['DeadlineExceeded', 'Job was active longer than specified deadline', iso(T0 + 30_000)],
    );
    assert.equal(job.status.active, 1);
    // The agent kills hello-0: active drops, nothing else happens.
    await fx.setRunStatus('hello-0', {
      phase: 'Cancelled',
      reason: 'DeadlineExceeded',
      exitCode: 137,
    });
    await sync(fx, r);
    assert.deepEqual(fx.writes, ['updateStatus Job default/hello']);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.active, 0);
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
  });

  it('a Job stored with its created-suspended status (admission) needs no write and no Event', async () => {
    const fx = newFixture();
    const input = jobInput('hello', { suspend: true });
    await fx.api.create({ ...input, status: createdJobStatus(input.spec!, fx.clock.now()) });
    const r = reconciler(fx);
    fx.clock.advance(1_000);
    await sync(fx, r);
    assert.deepEqual(fx.writes, [], 'the status admission set is the one the plan computes');
    assert.deepEqual(fx.recorder.reasons('hello'), []);
    // Resuming it is a change of state: the Runs, the condition and the Event follow.
    const job = await fx.get<Job>('Job', 'hello');
    await fx.api.update({ ...job, spec: { ...job.spec, suspend: false } } as never);
    await sync(fx, r);
    assert.deepEqual(fx.writes, ['create Run default/hello-0', 'updateStatus Job default/hello']);
    assert.deepEqual(fx.recorder.reasons('hello'), ['SuccessfulCreate', 'Resumed']);
  });

  it('a Job that is not created suspended starts Pending, as before', () => {
    assert.deepEqual(createdJobStatus({ suspend: false }, T0), { phase: 'Pending' });
    assert.deepEqual(createdJobStatus({}, T0), { phase: 'Pending' });
  });

  it('suspend cancels active Runs without counting failures; resume starts again', async () => {
    const { fx, r } = await setup('hello', { activeDeadlineSeconds: 100 });
    await r.reconcile('default/hello');
    await fx.bindRun('hello-0', 'n1');
    await fx.setRunStatus('hello-0', { phase: 'Running' });
    const job0 = await fx.get<Job>('Job', 'hello');
    await fx.api.update({ ...job0, spec: { ...job0.spec, suspend: true } } as never);
    fx.clock.advance(1_000);
    let res = await sync(fx, r);
    assert.deepEqual(fx.writes, ['update Run default/hello-0', 'updateStatus Job default/hello']);
    assert.deepEqual(res, { requeueAfter: undefined });
    let job = await fx.get<Job>('Job', 'hello');
    assert.equal(job.status.phase, 'Suspended');
    assert.equal(job.status.startTime, undefined);
    assert.deepEqual(
      job.status.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['Suspended', 'True', 'JobSuspended']],
    );
    assert.equal((await fx.get<Run>('Run', 'hello-0')).spec.cancelReason, 'Suspended');
    // The agent kills it; a killed container may even exit non-zero.
    await fx.setRunStatus('hello-0', { phase: 'Failed', reason: 'Error', exitCode: 137 });
    await sync(fx, r);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.failed, 0);
    // Far past the deadline while suspended: resuming restarts the clock.
    fx.clock.advance(500_000);
    job = await fx.get<Job>('Job', 'hello');
    await fx.api.update({ ...job, spec: { ...job.spec, suspend: false } } as never);
    res = await sync(fx, r);
    assert.deepEqual(fx.writes, ['create Run default/hello-1', 'updateStatus Job default/hello']);
    assert.deepEqual(res, { requeueAfter: 100_000 });
    job = await fx.get<Job>('Job', 'hello');
    assert.equal(job.status.startTime, iso(fx.clock.now()));
    assert.deepEqual(
      job.status.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['Suspended', 'False', 'JobResumed']],
    );
    assert.deepEqual(fx.recorder.reasons('hello'), ['SuccessfulCreate', 'Resumed']);
  });

  it('completes when completions Runs succeeded', async () => {
    const { fx, r } = await setup('hello', { completions: 2, parallelism: 1 });
    await r.reconcile('default/hello');
    await fx.setRunStatus('hello-0', { phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    await sync(fx, r);
    assert.deepEqual(fx.writes, ['create Run default/hello-1', 'updateStatus Job default/hello']);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.phase, 'Running');
    await fx.setRunStatus('hello-1', { phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    fx.clock.advance(5_000);
    await sync(fx, r);
    assert.deepEqual(fx.writes, ['updateStatus Job default/hello']);
    const job = await fx.get<Job>('Job', 'hello');
    assert.equal(job.status.phase, 'Succeeded');
    assert.equal(job.status.succeeded, 2);
    assert.equal(job.status.completionTime, iso(T0 + 5_000));
    assert.deepEqual(
      job.status.conditions?.map((c) => [c.type, c.status, c.lastTransitionTime]),
      [['Complete', 'True', iso(T0 + 5_000)]],
    );
    assert.ok(fx.recorder.reasons('hello').includes('Completed'));
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
  });

  it('records Completed once its status is written: a refused write from a stale Job cache records nothing', async () => {
    const { fx, r } = await setup('hello');
    await r.reconcile('default/hello');
    await fx.setRunStatus('hello-0', { phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    await fx.sync();
    // The Job changes behind the cache (a write whose event has not come yet).
    const job = await fx.get<Job>('Job', 'hello');
    await fx.api.update({ ...job, metadata: { ...job.metadata, labels: { moved: 'on' } } });
    fx.reset();
    await assert.rejects(r.reconcile('default/hello'), (err) => isReason(err, Reason.Conflict));
    assert.deepEqual(fx.recorder.reasons('hello'), [], 'nothing recorded for a refused write');
    await sync(fx, r);
    assert.deepEqual(fx.recorder.reasons('hello'), ['Completed']);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.phase, 'Succeeded');
  });

  it('deletes the Job (and so its Runs) ttlSecondsAfterFinished after completion', async () => {
    const { fx, r } = await setup('hello', { ttlSecondsAfterFinished: 30 });
    await r.reconcile('default/hello');
    await fx.setRunStatus('hello-0', { phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    let res = await sync(fx, r);
    assert.deepEqual(res, { requeueAfter: 30_000 });
    fx.clock.advance(29_999);
    res = await sync(fx, r);
    assert.deepEqual([fx.writes, res], [[], { requeueAfter: 1 }]);
    fx.clock.advance(1);
    res = await sync(fx, r);
    assert.deepEqual(fx.writes, ['delete Job default/hello']);
    assert.deepEqual(await fx.list('Job'), []);
    assert.deepEqual(await fx.list('Run'), []);
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
  });

  it('a deleted Job: its Runs are stopped first, then the Job and its Runs are removed', async () => {
    const { fx, r } = await setup('hello', { completions: 2, parallelism: 2 });
    await r.reconcile('default/hello');
    await fx.bindRun('hello-0', 'n1');
    await fx.setRunStatus('hello-0', { phase: 'Running' });
    // A client deletes it: the store only marks it while Runs are active.
    await fx.api.delete('Job', 'default', 'hello');
    assert.ok((await fx.get<Job>('Job', 'hello')).metadata.deletionTimestamp);
    await sync(fx, r);
    assert.deepEqual(fx.writes, [
      'update Run default/hello-0', // bound: flagged for the agent to kill
      'update Run default/hello-1', // unbound: flagged...
      'updateStatus Run default/hello-1', // ...and ended here
      'updateStatus Job default/hello',
    ]);
    assert.equal((await fx.get<Run>('Run', 'hello-0')).spec.cancelReason, 'Deleted');
    assert.equal((await fx.get<Run>('Run', 'hello-1')).status.reason, 'Deleted');
    await sync(fx, r);
    assert.deepEqual(fx.writes, [], 'waits for the agent');
    await fx.setRunStatus('hello-0', { phase: 'Cancelled', reason: 'Deleted', exitCode: 137 });
    await sync(fx, r);
    assert.deepEqual(fx.writes, ['delete Job default/hello']);
    assert.deepEqual(await fx.list('Job'), []);
    assert.deepEqual(await fx.list('Run'), []);
  });

  it('ignores Runs it does not control, even with the job-name label', async () => {
    const { fx, r } = await setup('hello');
    await fx.api.create({
      apiVersion: 'jobctl.dev/v1',
      kind: 'Run',
      metadata: { name: 'stray', namespace: 'default', labels: { [JOB_NAME_LABEL]: 'hello' } },
      spec: { jobName: 'hello', jobUid: 'other', attempt: 0, nodeName: '' },
      status: { phase: 'Succeeded' },
    });
    await sync(fx, r);
    assert.deepEqual(fx.writes, ['create Run default/hello-0', 'updateStatus Job default/hello']);
  });

  it('skips a Run name squatted by an object it does not control', async () => {
    const { fx, r } = await setup('hello');
    await fx.api.create({
      apiVersion: 'jobctl.dev/v1',
      kind: 'Run',
      metadata: { name: 'hello-0', namespace: 'default' },
      spec: { jobName: 'x', jobUid: 'other', attempt: 0, nodeName: '' },
    });
    await sync(fx, r);
    assert.deepEqual(fx.writes, [
      'create Run default/hello-0',
      'create Run default/hello-1',
      'updateStatus Job default/hello',
    ]);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.attempts, 2);
  });

  it('names Runs <job>-<attempt>, cutting long names deterministically', () => {
    const short = { metadata: { name: 'hello', uid: 'u1' } } as Job;
    assert.equal(runName(short, 0), 'hello-0');
    const long = { metadata: { name: 'a'.repeat(63), uid: 'u1' } } as Job;
    const n = runName(long, 12);
    assert.ok(n.length <= 63 && n.endsWith('-12'), n);
    assert.equal(runName(long, 12), n);
    assert.notEqual(runName({ metadata: { name: 'a'.repeat(63), uid: 'u2' } } as Job, 12), n);
  });
});

describe("job controller with a proposer: a Job's new Runs and its status in one atomic batch", () => {
  function batched(fx: Fixture): JobReconciler {
    let uid = 0;
    return new JobReconciler({
      ...depsOf(fx),
      proposer: fx.proposer,
      newUid: () => `run-${++uid}`,
    });
  }

  it('status first (guarded), then every new Run: one command, no probe', async () => {
    const { fx } = await setup('hello', { completions: 5, parallelism: 3 });
    const r = batched(fx);
    fx.reset();
    assert.deepEqual(await r.reconcile('default/hello'), { requeueAfter: undefined });
    assert.deepEqual(fx.writes, [
      'batch atomic [updateStatus Job default/hello, create Run default/hello-0, create Run default/hello-1, create Run default/hello-2]',
    ]);
    const job = await fx.get<Job>('Job', 'hello');
    assert.equal(job.status.attempts, 3);
    assert.equal(job.status.active, 3);
    assert.equal((await fx.list<Run>('Run')).length, 3);
    assert.deepEqual(fx.recorder.reasons(), [
      'SuccessfulCreate',
      'SuccessfulCreate',
      'SuccessfulCreate',
    ]);
    // Steady state on a current cache: no writes.
    await sync(fx, r);
    assert.deepEqual(fx.writes, []);
  });

  it('never creates a duplicate attempt from a stale cache (new leader, lagging watch): nothing is written', async () => {
    const { fx } = await setup('hello', { completions: 3, parallelism: 2 });
    const r = batched(fx);
    await r.reconcile('default/hello');
    // Both caches still show no Runs and the old Job: the Job's resourceVersion
    // guard refuses the whole batch, so no Run is created and none twice.
    fx.reset();
    assert.deepEqual(await r.reconcile('default/hello'), { requeue: true });
    assert.equal((await fx.list<Run>('Run')).length, 2);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.attempts, 2);
    assert.deepEqual(fx.recorder.reasons(), []);
  });

  it('does not start a fresh attempt when the Job cache is ahead of the Run cache', async () => {
    const { fx } = await setup('hello', { completions: 2, parallelism: 2 });
    const r = batched(fx);
    await r.reconcile('default/hello');
    // The Job informer has seen status.attempts = 2; the Run informer nothing yet.
    fx.jobs.upsert(await fx.get<Job>('Job', 'hello'));
    assert.equal(fx.runs.size, 0);
    fx.reset();
    await r.reconcile('default/hello');
    assert.deepEqual(fx.writes, [], 'no hello-2: the two Runs are read through the client');
    assert.equal((await fx.list<Run>('Run')).length, 2);
  });

  it('a Run of ours the caches do not show yet: the batch is refused and retried later', async () => {
    const { fx } = await setup('hello');
    // hello-0 exists (ours) but neither the Run cache nor the Job status counts it.
    const job = await fx.get<Job>('Job', 'hello');
    await fx.api.create({
      apiVersion: 'jobctl.dev/v1',
      kind: 'Run',
      metadata: {
        name: 'hello-0',
        namespace: 'default',
        ownerReferences: [
          {
            apiVersion: 'jobctl.dev/v1',
            kind: 'Job',
            name: 'hello',
            uid: job.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: { jobName: 'hello', jobUid: job.metadata.uid, attempt: 0, nodeName: '' },
    });
    const r = batched(fx);
    fx.reset();
    assert.deepEqual(await r.reconcile('default/hello'), { requeue: true });
    assert.equal((await fx.list<Run>('Run')).length, 1);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.attempts, undefined);
  });

  it('skips a Run name squatted by an object it does not control, one Run at a time', async () => {
    const { fx } = await setup('hello');
    await fx.api.create({
      apiVersion: 'jobctl.dev/v1',
      kind: 'Run',
      metadata: { name: 'hello-0', namespace: 'default' },
      spec: { jobName: 'x', jobUid: 'other', attempt: 0, nodeName: '' },
    });
    await sync(fx, batched(fx));
    assert.deepEqual(fx.writes, [
      'batch atomic [updateStatus Job default/hello, create Run default/hello-0]',
      'create Run default/hello-0',
      'create Run default/hello-1',
      'updateStatus Job default/hello',
    ]);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.attempts, 2);
  });
});

describe('job controller events: what enqueues a Job', () => {
  /** A reconciler with a proposer that notes its writes, and the handlers over the same notes. */
  function wired(fx: Fixture) {
    const own = new OwnWrites();
    let uid = 0;
    const r = new JobReconciler({
      ...depsOf(fx),
      proposer: fx.proposer,
      newUid: () => `run-${++uid}`,
      ownWrites: own,
    });
    const added: string[] = [];
    const delayed: [string, number][] = [];
    const target = {
      add: (key: string) => added.push(key),
      addAfter: (key: string, ms: number) => delayed.push([key, ms]),
    };
    return { r, added, delayed, jobs: jobEvents(target, own), runs: runEvents(target, own) };
  }

  it("skips the events of the controller's own writes, once, and nothing else", async () => {
    const { fx } = await setup('hello');
    const w = wired(fx);
    const before = await fx.get<Job>('Job', 'hello');
    await w.r.reconcile('default/hello');
    const afterBatch = await fx.get<Job>('Job', 'hello');
    const run = await fx.get<Run>('Run', 'hello-0');
    // The batch's Job status and its Run: no reconcile would find anything to do.
    w.jobs.onUpdate?.(before, afterBatch);
    w.runs.onAdd?.(run);
    assert.deepEqual(w.added, []);
    // The same events again (a relist, say) and a resync do enqueue.
    w.jobs.onUpdate?.(before, afterBatch);
    w.runs.onAdd?.(run);
    w.jobs.onUpdate?.(afterBatch, afterBatch);
    assert.deepEqual(w.added, ['default/hello', 'default/hello', 'default/hello']);
    w.added.length = 0;
    // Someone else's change of the Job enqueues it.
    const suspended = await fx.api.update({
      ...afterBatch,
      spec: { ...afterBatch.spec, suspend: true },
    });
    w.jobs.onUpdate?.(afterBatch, suspended as unknown as Job);
    assert.deepEqual(w.added, ['default/hello']);
  });

  it('skips the final status write of its own too', async () => {
    const { fx } = await setup('hello');
    const w = wired(fx);
    await w.r.reconcile('default/hello');
    await fx.setRunStatus('hello-0', { phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    await fx.sync();
    const running = await fx.get<Job>('Job', 'hello');
    await w.r.reconcile('default/hello');
    const done = await fx.get<Job>('Job', 'hello');
    assert.equal(done.status.phase, 'Succeeded');
    w.jobs.onUpdate?.(running, done);
    assert.deepEqual(w.added, []);
  });

  /**
   * The handlers over notes that enqueue through `added`, and a reconciler whose
   * writes answer only after `meanwhile` ran: there, the tests deliver the
   * events a busy leader's informer can deliver before a write's answer.
   */
  function answeredLate(fx: Fixture, meanwhile: () => Promise<void>) {
    const added: string[] = [];
    const target = { add: (key: string) => added.push(key) };
    const own = new OwnWrites((key) => target.add(key));
    const proposer: Proposer = {
      propose: async (command) => {
        const result = await fx.proposer.propose(command);
        await meanwhile();
        return result;
      },
    };
    const client = Object.create(fx.client) as typeof fx.client;
    client.updateStatus = async (object) => {
      const written = await fx.client.updateStatus(object);
      await meanwhile();
      return written;
    };
    let uid = 0;
    const r = new JobReconciler({
      ...depsOf(fx),
      client,
      proposer,
      newUid: () => `run-${++uid}`,
      ownWrites: own,
    });
    return { r, added, jobs: jobEvents(target, own) };
  }

  it("skips its own write's event that comes before the write's answer", async () => {
    const { fx } = await setup('hello');
    let seen = await fx.get<Job>('Job', 'hello');
    const deliver = async (): Promise<void> => {
      const now = await fx.get<Job>('Job', 'hello');
      w.jobs.onUpdate?.(seen, now);
      seen = now;
    };
    const w = answeredLate(fx, deliver);
    await w.r.reconcile('default/hello'); // the batch: status Pending, the Run
    await fx.setRunStatus('hello-0', { phase: 'Succeeded', reason: 'Completed', exitCode: 0 });
    await fx.sync();
    seen = await fx.get<Job>('Job', 'hello');
    await w.r.reconcile('default/hello'); // the final status, through the client
    assert.equal((await fx.get<Job>('Job', 'hello')).status.phase, 'Succeeded');
    assert.deepEqual(w.added, []);
    // Once answered, the same event again (a relist, say) enqueues as any other.
    const done = await fx.get<Job>('Job', 'hello');
    w.jobs.onUpdate?.(seen, done);
    assert.deepEqual(w.added, ['default/hello']);
  });

  it("enqueues someone else's change that comes while its write is in flight, once answered", async () => {
    const { fx } = await setup('hello');
    let seen = await fx.get<Job>('Job', 'hello');
    const w = answeredLate(fx, async () => {
      const ours = await fx.get<Job>('Job', 'hello');
      w.jobs.onUpdate?.(seen, ours);
      const theirs = (await fx.api.update({
        ...ours,
        metadata: { ...ours.metadata, labels: { ...ours.metadata.labels, team: 'a' } },
      })) as unknown as Job;
      w.jobs.onUpdate?.(ours, theirs);
      seen = theirs;
      // Held until the answer: the reconcile that holds them is still writing.
      assert.deepEqual(w.added, []);
    });
    await w.r.reconcile('default/hello');
    assert.deepEqual(w.added, ['default/hello']);
  });

  it('enqueues what it held when its write fails', async () => {
    const { fx } = await setup('hello');
    const before = await fx.get<Job>('Job', 'hello');
    const added: string[] = [];
    const target = { add: (key: string) => added.push(key) };
    const own = new OwnWrites((key) => target.add(key));
    const jobs = jobEvents(target, own);
    const proposer: Proposer = {
      propose: async () => {
        // Someone else's change arrives, then the proposal is lost.
        const theirs = (await fx.api.update({
          ...before,
          metadata: { ...before.metadata, labels: { ...before.metadata.labels, team: 'a' } },
        })) as unknown as Job;
        jobs.onUpdate?.(before, theirs);
        throw new Error('proposal lost');
      },
    };
    const r = new JobReconciler({ ...depsOf(fx), proposer, ownWrites: own });
    await assert.rejects(r.reconcile('default/hello'), /proposal lost/);
    assert.deepEqual(added, ['default/hello']);
  });

  it('a Run update enqueues its Job only when the Job could see a difference', async () => {
    const { fx } = await setup('hello');
    const w = wired(fx);
    await w.r.reconcile('default/hello');
    const created = await fx.get<Run>('Run', 'hello-0');
    const bound = await fx.bindRun('hello-0', 'n1');
    w.runs.onUpdate?.(created, bound);
    assert.deepEqual(w.added, [], 'a bind: Pending to Scheduled, still active, not started');
    const running = await fx.setRunStatus('hello-0', { phase: 'Running' });
    w.runs.onUpdate?.(bound, running);
    assert.deepEqual(w.added, [], 'started: waits');
    assert.deepEqual(w.delayed, [['default/hello', STARTED_WRITE_DELAY_MS]]);
    const done = await fx.setRunStatus('hello-0', { phase: 'Succeeded', exitCode: 0 });
    w.runs.onUpdate?.(running, done);
    w.runs.onUpdate?.(done, done); // a resync
    w.runs.onDelete?.(done);
    assert.deepEqual(w.added, ['default/hello', 'default/hello', 'default/hello']);
    assert.equal(w.delayed.length, 1);
  });

  it('a Run that starts and ends within the delay costs its Job one status write', async () => {
    const { fx } = await setup('hello');
    const w = wired(fx);
    await w.r.reconcile('default/hello');
    const bound = await fx.bindRun('hello-0', 'n1');
    const running = await fx.setRunStatus('hello-0', { phase: 'Running', startedAt: iso(T0) });
    w.runs.onUpdate?.(bound, running);
    fx.clock.advance(300);
    const done = await fx.setRunStatus('hello-0', {
      phase: 'Succeeded',
      reason: 'Completed',
      exitCode: 0,
      startedAt: iso(T0),
      finishedAt: iso(T0 + 300),
    });
    w.runs.onUpdate?.(running, done);
    assert.deepEqual(w.added, ['default/hello']);
    await sync(fx, w.r);
    assert.deepEqual(fx.writes, ['updateStatus Job default/hello']);
    const job = await fx.get<Job>('Job', 'hello');
    assert.equal(job.status.phase, 'Succeeded');
    assert.ok(String(job.status.startTime) <= String(job.status.completionTime));
    // The delayed key comes round later and finds nothing to write.
    fx.clock.advance(STARTED_WRITE_DELAY_MS);
    await sync(fx, w.r);
    assert.deepEqual(fx.writes, []);
  });

  it('a Run that keeps running: its Job is written Running when the delayed key comes round', async () => {
    const { fx } = await setup('hello');
    const w = wired(fx);
    await w.r.reconcile('default/hello');
    await fx.setRunStatus('hello-0', { phase: 'Running' });
    await sync(fx, w.r);
    assert.deepEqual(fx.writes, ['updateStatus Job default/hello']);
    assert.equal((await fx.get<Job>('Job', 'hello')).status.phase, 'Running');
  });
});
