// Cron controller: each test seeds a real store, fills the caches, syncs one
// CronJob on a fake clock and asserts the exact writes (STYLE §2). Firing a
// slot is one atomic batch through the proposer; it is recorded as
// "fire [item, item, ...]".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTestClient } from '../../../pkg/client/testing.js';
import {
  CronReconciler,
  JOBS_BY_CRONJOB,
  MAX_COUNTED_SLOTS,
  dueSlots,
  jobCronJobIndex,
  slotJobName,
} from '../../../pkg/controllers/cron/index.js';
import { Cache, MemoryLogger, MemoryRecorder } from '../../../pkg/reconcile/index.js';
import {
  API_VERSION,
  CRONJOB_SCHEDULED_AT_ANNOTATION,
  type Command,
  type CronJob,
  type CronJobSpec,
  type CronJobStatus,
  type Job,
  type JobStatus,
  type Proposer,
  type Resource,
  type ResourceInput,
} from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { parseCron } from '../../../pkg/util/cron.js';
import { iso, jobInput, recordingClient } from './fixtures.js';

const MIN = 60_000;
/** 2024-01-01T00:00:00Z, a Monday. */
const T0 = Date.UTC(2024, 0, 1);

type CronSpecInput = Partial<Omit<CronJobSpec, 'jobTemplate'>>;

function cronInput(name: string, spec: CronSpecInput = {}): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'CronJob',
    metadata: { name, namespace: 'default' },
    spec: {
      schedule: '*/5 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: { app: 'report' }, annotations: { team: 'data' } },
        spec: jobInput('x').spec,
      },
      ...spec,
    },
  };
}

function recordingProposer(inner: Proposer, writes: string[]): Proposer {
  const line = (c: Command): string => {
    if (c.op === 'batch') return `fire [${c.commands.map(line).join(', ')}]`;
    if (c.op === 'delete') return `delete ${c.kind} ${c.namespace}/${c.name}`;
    if (c.op === 'plan') return `plan ${c.binds.length} binds`;
    return `${c.op} ${c.object.kind} ${c.object.metadata.namespace}/${c.object.metadata.name}`;
  };
  return {
    propose(c) {
      writes.push(line(c));
      return inner.propose(c);
    },
  };
}

function newCronFixture(startMs = T0) {
  const clock = new FakeClock(startMs);
  const { client: api, proposer } = newTestClient({ clock });
  const rec = recordingClient(api);
  const recorder = new MemoryRecorder();
  const cronJobs = new Cache<CronJob>();
  const jobs = new Cache<Job>();
  jobs.addIndex(JOBS_BY_CRONJOB, jobCronJobIndex);
  let uid = 0;
  const reconciler = (): CronReconciler =>
    new CronReconciler({
      client: rec.client,
      proposer: recordingProposer(proposer, rec.writes),
      cronJobs,
      jobs,
      clock,
      recorder,
      logger: new MemoryLogger(),
      newUid: () => `job-uid-${++uid}`,
    });
  async function fill<T extends Resource>(cache: Cache<T>, kind: string): Promise<void> {
    const { items } = await api.list(kind);
    const keep = new Set(items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    for (const o of items) cache.upsert(o as T);
    for (const k of cache.keys()) if (!keep.has(k)) cache.remove(k);
  }
  const r = reconciler();
  const fx = {
    clock,
    api,
    writes: rec.writes,
    recorder,
    cronJobs,
    jobs,
    r,
    reconciler,
    async sync() {
      await fill(cronJobs, 'CronJob');
      await fill(jobs, 'Job');
    },
    reset() {
      rec.writes.length = 0;
      recorder.clear();
    },
    /** Syncs the caches, clears the record, reconciles. */
    async tick(which: CronReconciler = r, key = 'default/report') {
      await this.sync();
      this.reset();
      return which.reconcile(key);
    },
    /** Sets the clock (wall and timers) to `ms`. */
    at(ms: number) {
      clock.advance(ms - clock.now());
    },
    async cronJob(name = 'report'): Promise<CronJob> {
      return api.get('CronJob', 'default', name);
    },
    async jobNames(): Promise<string[]> {
      return (await api.list('Job')).items.map((j) => j.metadata.name).sort();
    },
    async finish(name: string, outcome: 'Complete' | 'Failed', atMs = clock.now()) {
      const job = await api.get('Job', 'default', name);
      const status: JobStatus = {
        phase: outcome === 'Complete' ? 'Succeeded' : 'Failed',
        completionTime: iso(atMs),
        conditions: [
          { type: outcome, status: 'True', reason: outcome, lastTransitionTime: iso(atMs) },
        ],
      };
      await api.updateStatus({ ...job, status } as ResourceInput);
    },
    /** A Pending Run of Job `name`, as the job controller would make it. */
    async activeRun(name: string) {
      const job = await api.get('Job', 'default', name);
      await api.create({
        apiVersion: API_VERSION,
        kind: 'Run',
        metadata: {
          name: `${name}-0`,
          namespace: 'default',
          ownerReferences: [
            { apiVersion: API_VERSION, kind: 'Job', name, uid: job.metadata.uid, controller: true },
          ],
        },
        spec: {
          jobName: name,
          jobUid: job.metadata.uid,
          attempt: 0,
          nodeName: '',
          container: job.spec,
        },
        status: { phase: 'Pending' },
      });
    },
    async setStatus(name: string, status: CronJobStatus) {
      const cj = await api.get('CronJob', 'default', name);
      await api.updateStatus({ ...cj, status } as ResourceInput);
    },
  };
  return fx;
}

/** A CronJob created at `createdAt` (the clock is left there). */
async function setup(spec: CronSpecInput = {}, createdAt = T0, name = 'report') {
  const fx = newCronFixture(createdAt);
  await fx.api.create(cronInput(name, spec));
  return fx;
}

const minutes = (ms: number): number => Math.floor(ms / MIN);

describe('cron controller: firing', () => {
  it('creates the slot Job at its time, in one atomic write with the status', async () => {
    const fx = await setup();
    assert.deepEqual(await fx.tick(), { requeueAfter: 5 * MIN });
    assert.deepEqual(fx.writes, [], 'nothing is due at creation');

    fx.at(T0 + 5 * MIN);
    const res = await fx.tick();
    const name = `report-${minutes(T0 + 5 * MIN)}`;
    assert.deepEqual(fx.writes, [
      `fire [updateStatus CronJob default/report, create Job default/${name}]`,
    ]);
    assert.deepEqual(res, { requeueAfter: 5 * MIN });
    const job = await fx.api.get('Job', 'default', name);
    const cj = await fx.cronJob();
    assert.deepEqual(job.metadata.ownerReferences, [
      {
        apiVersion: API_VERSION,
        kind: 'CronJob',
        name: 'report',
        uid: cj.metadata.uid,
        controller: true,
      },
    ]);
    assert.deepEqual(job.metadata.labels, { app: 'report' });
    assert.deepEqual(job.metadata.annotations, {
      team: 'data',
      [CRONJOB_SCHEDULED_AT_ANNOTATION]: iso(T0 + 5 * MIN),
    });
    assert.deepEqual(job.spec.command, ['sh', '-c', 'echo hi']);
    assert.equal(job.status.phase, 'Pending');
    assert.deepEqual(cj.status, {
      active: [{ kind: 'Job', namespace: 'default', name, uid: job.metadata.uid }],
      lastScheduleTime: iso(T0 + 5 * MIN),
      lastSlotTime: iso(T0 + 5 * MIN),
    });
    assert.deepEqual(fx.recorder.reasons(), ['SuccessfulCreate']);
  });

  it('steady state: a second reconcile with a current cache makes no writes', async () => {
    const fx = await setup();
    fx.at(T0 + 5 * MIN);
    await fx.tick();
    fx.at(T0 + 7 * MIN);
    assert.deepEqual(await fx.tick(), { requeueAfter: 3 * MIN });
    assert.deepEqual(fx.writes, []);
    assert.deepEqual(fx.recorder.reasons(), []);
  });

  it('never fires a slot twice: a new leader with a stale cache, and a clock that went back', async () => {
    const fx = await setup();
    fx.at(T0 + 5 * MIN);
    await fx.sync();
    const staleCronJob = fx.cronJobs.get('default', 'report')!;
    await fx.r.reconcile('default/report');
    // A new leader whose CronJob informer still shows the old status.
    const r2 = fx.reconciler();
    await fx.sync();
    fx.cronJobs.upsert(staleCronJob);
    fx.reset();
    assert.deepEqual(await r2.reconcile('default/report'), { requeue: true });
    assert.deepEqual(fx.writes, [
      `fire [updateStatus CronJob default/report, create Job default/report-${minutes(T0 + 5 * MIN)}]`,
    ]);
    assert.equal((await fx.jobNames()).length, 1, 'the stale status item refused the whole entry');
    // Once caught up: nothing to do.
    assert.deepEqual(await fx.tick(r2), { requeueAfter: 5 * MIN });
    assert.deepEqual(fx.writes, []);
    // The leader's clock jumps 20 minutes back: slots already dealt with stay dealt with.
    fx.clock.jumpWall(-20 * MIN);
    const res = await fx.tick(r2);
    assert.deepEqual(fx.writes, []);
    assert.deepEqual(
      res,
      { requeueAfter: 25 * MIN },
      'woken at the first slot after the last one fired',
    );
    assert.equal((await fx.jobNames()).length, 1);
  });

  it('after downtime runs only the latest missed slot and says how many were missed', async () => {
    const fx = await setup();
    fx.at(T0 + 5 * MIN);
    await fx.tick();
    fx.at(T0 + 62 * MIN); // slots 10, 15, ..., 60 missed
    await fx.tick();
    assert.deepEqual(fx.writes, [
      `fire [updateStatus CronJob default/report, create Job default/report-${minutes(T0 + 60 * MIN)}]`,
    ]);
    assert.deepEqual(
      fx.recorder.events.map((e) => `${e.type} ${e.reason}: ${e.message}`),
      [
        `Warning MissedSchedule: missed 10 scheduled times before ${iso(T0 + 60 * MIN)}; starting only the latest`,
        `Normal SuccessfulCreate: Created job report-${minutes(T0 + 60 * MIN)} for ${iso(T0 + 60 * MIN)}`,
      ],
    );
    assert.equal((await fx.cronJob()).status.lastSlotTime, iso(T0 + 60 * MIN));
  });

  it('a slot older than startingDeadlineSeconds is not run, once, with an Event', async () => {
    const fx = await setup({ startingDeadlineSeconds: 60 });
    fx.at(T0 + 7 * MIN); // the 5-minute slot is 2 minutes old
    const res = await fx.tick();
    assert.deepEqual(fx.writes, ['updateStatus CronJob default/report']);
    assert.deepEqual(
      fx.recorder.events.map((e) => `${e.type} ${e.reason}: ${e.message}`),
      [
        `Warning MissedSchedule: missed 1 scheduled time (the latest ${iso(T0 + 5 * MIN)}), all more than startingDeadlineSeconds (60s) ago; next at ${iso(T0 + 10 * MIN)}`,
      ],
    );
    assert.deepEqual(res, { requeueAfter: 3 * MIN });
    assert.deepEqual(await fx.jobNames(), []);
    assert.deepEqual((await fx.cronJob()).status, { lastSlotTime: iso(T0 + 5 * MIN) });
    await fx.tick();
    assert.deepEqual(fx.writes, [], 'the miss is recorded once');
    assert.deepEqual(fx.recorder.reasons(), []);
    // Within the deadline the slot runs late.
    fx.at(T0 + 10 * MIN + 30_000);
    await fx.tick();
    assert.deepEqual(await fx.jobNames(), [`report-${minutes(T0 + 10 * MIN)}`]);
  });

  it('years of downtime on a per-minute schedule: one run, a bounded count, quickly', async () => {
    const fx = await setup({ schedule: '* * * * *' });
    const later = T0 + 3 * 365 * 24 * 60 * MIN + 30_000;
    fx.at(later);
    const started = performance.now();
    await fx.tick();
    assert.ok(performance.now() - started < 5_000, 'no walk over 1.5 million slots');
    const latest = later - 30_000;
    assert.deepEqual(await fx.jobNames(), [`report-${minutes(latest)}`]);
    assert.deepEqual(
      fx.recorder.events[0]?.message,
      `missed more than ${MAX_COUNTED_SLOTS - 1} scheduled times before ${iso(latest)}; starting only the latest`,
    );
  });

  it('suspend: slots pass silently and are not caught up on resume', async () => {
    const fx = await setup({ suspend: true });
    fx.at(T0 + 5 * MIN);
    assert.deepEqual(await fx.tick(), { requeueAfter: 5 * MIN });
    assert.deepEqual(fx.writes, ['updateStatus CronJob default/report']);
    assert.deepEqual(fx.recorder.reasons(), []);
    fx.at(T0 + 11 * MIN);
    await fx.tick();
    const cj = await fx.cronJob();
    await fx.api.update({ ...cj, spec: { ...cj.spec, suspend: false } } as ResourceInput);
    fx.at(T0 + 12 * MIN);
    await fx.tick();
    assert.deepEqual(fx.writes, [], 'the 10-minute slot passed while suspended');
    assert.deepEqual(await fx.jobNames(), []);
    fx.at(T0 + 15 * MIN);
    await fx.tick();
    assert.deepEqual(await fx.jobNames(), [`report-${minutes(T0 + 15 * MIN)}`]);
  });
});

describe('cron controller: a CronJob being deleted', () => {
  it('fires nothing once marked, and its running Job carries the mark for the job controller', async () => {
    const fx = await setup({ concurrencyPolicy: 'Allow' });
    fx.at(T0 + 5 * MIN);
    await fx.tick();
    const [first] = await fx.jobNames();
    assert.ok(first);
    await fx.activeRun(first);
    await fx.api.delete('CronJob', 'default', 'report');
    assert.ok((await fx.cronJob()).metadata.deletionTimestamp, 'marked, not gone');
    assert.ok((await fx.api.get('Job', 'default', first)).metadata.deletionTimestamp);

    fx.at(T0 + 10 * MIN);
    await fx.tick();
    assert.deepEqual(
      fx.writes.filter((w) => w.startsWith('fire')),
      [],
      'the 10-minute slot does not fire',
    );
    assert.deepEqual(await fx.jobNames(), [first]);
  });
});

describe('cron controller: concurrencyPolicy', () => {
  async function withActive(policy: 'Allow' | 'Forbid' | 'Replace') {
    const fx = await setup({ concurrencyPolicy: policy });
    fx.at(T0 + 5 * MIN);
    await fx.tick();
    fx.at(T0 + 10 * MIN);
    await fx.tick();
    return fx;
  }
  const first = `report-${minutes(T0 + 5 * MIN)}`;
  const second = `report-${minutes(T0 + 10 * MIN)}`;

  it('Allow runs the next slot beside the active Job', async () => {
    const fx = await withActive('Allow');
    assert.deepEqual(await fx.jobNames(), [first, second]);
    assert.deepEqual(
      (await fx.cronJob()).status.active?.map((r) => r.name),
      [first, second],
    );
  });

  it('Forbid skips the slot with an Event while a Job runs, and fires again once it is done', async () => {
    const fx = await withActive('Forbid');
    assert.deepEqual(fx.writes, ['updateStatus CronJob default/report']);
    assert.deepEqual(
      fx.recorder.events.map((e) => `${e.type} ${e.reason}: ${e.message}`),
      [
        `Normal JobAlreadyActive: skipped the run scheduled at ${iso(T0 + 10 * MIN)}: ${first} still running (concurrencyPolicy Forbid)`,
      ],
    );
    assert.deepEqual(await fx.jobNames(), [first]);
    await fx.finish(first, 'Complete', T0 + 12 * MIN);
    fx.at(T0 + 13 * MIN);
    await fx.tick();
    assert.deepEqual(
      fx.writes,
      ['updateStatus CronJob default/report'],
      'status: no longer active',
    );
    assert.deepEqual(await fx.jobNames(), [first], 'the skipped slot stays skipped');
    assert.deepEqual((await fx.cronJob()).status, {
      lastScheduleTime: iso(T0 + 5 * MIN),
      lastSlotTime: iso(T0 + 10 * MIN),
      lastSuccessfulTime: iso(T0 + 12 * MIN),
    });
    fx.at(T0 + 15 * MIN);
    await fx.tick();
    assert.deepEqual(await fx.jobNames(), [first, `report-${minutes(T0 + 15 * MIN)}`]);
  });

  it('Replace deletes the active Job in the same write that creates the new one', async () => {
    const fx = await setup({ concurrencyPolicy: 'Replace' });
    fx.at(T0 + 5 * MIN);
    await fx.tick();
    // The job controller made a Run for it meanwhile.
    await fx.activeRun(first);
    fx.at(T0 + 10 * MIN);
    await fx.tick();
    assert.deepEqual(fx.writes, [
      `fire [updateStatus CronJob default/report, delete Job default/${first}, create Job default/${second}]`,
    ]);
    assert.deepEqual(fx.recorder.reasons(), ['SuccessfulDelete', 'SuccessfulCreate']);
    // Its Run is still active: the old Job is only marked (ordered deletion); the
    // job controller stops the Run and then removes both.
    assert.deepEqual(await fx.jobNames(), [first, second]);
    assert.ok((await fx.api.get('Job', 'default', first)).metadata.deletionTimestamp);
    assert.deepEqual(
      (await fx.cronJob()).status.active?.map((r) => r.name),
      [second],
    );
    await fx.tick();
    assert.deepEqual(fx.writes, [], 'a Job being deleted no longer counts as active');
  });
});

describe('cron controller: history and status', () => {
  it('keeps successfulJobsHistoryLimit / failedJobsHistoryLimit finished Jobs, deleting the oldest', async () => {
    const fx = await setup({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
    const names: string[] = [];
    for (let i = 1; i <= 6; i++) {
      fx.at(T0 + i * 5 * MIN);
      await fx.tick();
      names.push(`report-${minutes(T0 + i * 5 * MIN)}`);
    }
    // Slots 1-4 succeed, 5 and 6 fail; finishing order differs from slot order.
    for (const [i, n] of names.entries()) {
      await fx.finish(n, i < 4 ? 'Complete' : 'Failed', T0 + (40 - i) * MIN);
    }
    fx.at(T0 + 31 * MIN);
    await fx.tick();
    assert.deepEqual(fx.writes, [
      'updateStatus CronJob default/report',
      `delete Job default/${names[0]}`,
      `delete Job default/${names[1]}`,
      `delete Job default/${names[4]}`,
    ]);
    assert.deepEqual(await fx.jobNames(), [names[2], names[3], names[5]].sort());
    const cj = await fx.cronJob();
    assert.equal(cj.status.active, undefined);
    assert.equal(
      cj.status.lastSuccessfulTime,
      iso(T0 + 40 * MIN),
      'the latest completion, not the latest slot',
    );
    await fx.tick();
    assert.deepEqual(fx.writes, []);
  });

  it('refuses to touch a Job name it does not control: the slot is skipped with an Event', async () => {
    const fx = await setup();
    const name = `report-${minutes(T0 + 5 * MIN)}`;
    await fx.api.create(jobInput(name));
    fx.at(T0 + 5 * MIN);
    await fx.tick();
    assert.deepEqual(fx.writes, [
      `fire [updateStatus CronJob default/report, create Job default/${name}]`,
      'updateStatus CronJob default/report',
    ]);
    assert.deepEqual(fx.recorder.reasons(), ['FailedCreate']);
    const cj = await fx.cronJob();
    assert.deepEqual(cj.status, { lastSlotTime: iso(T0 + 5 * MIN) });
    assert.deepEqual((await fx.api.get('Job', 'default', name)).metadata.ownerReferences, []);
  });

  it('a schedule stored before it was refused at admission gets an Event, not a crash loop', async () => {
    const fx = await setup({ timeZone: 'Mars/Olympus' });
    assert.deepEqual(await fx.tick(), {});
    assert.deepEqual(fx.recorder.reasons(), ['InvalidSchedule']);
  });

  it('names slot Jobs <cronjob>-<minutes>, cut and hashed to 63 characters', () => {
    const long = { metadata: { name: 'a'.repeat(60), uid: 'u1' } } as CronJob;
    const n = slotJobName(long, T0);
    assert.equal(n.length <= 63, true);
    assert.ok(n.endsWith(`-${minutes(T0)}`));
    assert.equal(n, slotJobName(long, T0));
    assert.notEqual(
      n,
      slotJobName({ metadata: { name: 'a'.repeat(60), uid: 'u2' } } as CronJob, T0),
    );
  });
});

describe('cron controller: time zones and daylight saving', () => {
  /** Reconciles every `stepMin` minutes from `from` to `to`; returns the slots fired (ISO). */
  async function drive(
    fx: ReturnType<typeof newCronFixture>,
    from: number,
    to: number,
    stepMin = 10,
  ) {
    for (let t = from; t <= to; t += stepMin * MIN) {
      fx.at(t);
      await fx.tick();
    }
    const jobs = (await fx.api.list('Job')).items;
    return jobs.map((j) => j.metadata.annotations[CRONJOB_SCHEDULED_AT_ANNOTATION]).sort();
  }

  it('Europe/Berlin spring forward: 02:30 does not exist, the run comes right after the jump', async () => {
    const start = Date.UTC(2024, 2, 29, 12); // Fri 29 Mar, before the change on Sun 31 Mar
    const fx = await setup({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin' }, start);
    const fired = await drive(fx, start, Date.UTC(2024, 3, 1, 12), 10);
    assert.deepEqual(fired, [
      '2024-03-30T01:30:00.000Z', // 02:30 CET
      '2024-03-31T01:00:00.000Z', // 03:00 CEST, the first instant after 02:00 CET jumps
      '2024-04-01T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it('Europe/Berlin fall back: 02:30 happens twice and runs once', async () => {
    const start = Date.UTC(2024, 9, 25, 12); // Fri 25 Oct; the change is Sun 27 Oct
    const fx = await setup({ schedule: '30 2 * * *', timeZone: 'Europe/Berlin' }, start);
    const fired = await drive(fx, start, Date.UTC(2024, 9, 28, 12), 10);
    assert.deepEqual(fired, [
      '2024-10-26T00:30:00.000Z', // 02:30 CEST
      '2024-10-27T00:30:00.000Z', // the first 02:30 (CEST), not the second (01:30Z)
      '2024-10-28T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('America/New_York hourly across fall back: 01:00 runs once, 24 runs in the 25-hour day', async () => {
    const dayStart = Date.UTC(2024, 10, 3, 4); // 00:00 EDT, Sun 3 Nov
    const fx = await setup({ schedule: '0 * * * *', timeZone: 'America/New_York' }, dayStart - MIN);
    const fired = await drive(fx, dayStart, dayStart + 25 * 60 * MIN - MIN, 20);
    assert.equal(fired.length, 24);
    assert.equal(new Set(fired).size, 24);
    assert.ok(fired.includes('2024-11-03T05:00:00.000Z'), '01:00 EDT');
    assert.ok(!fired.includes('2024-11-03T06:00:00.000Z'), 'not 01:00 EST again');
  });

  it('the same instant names the same Job in every zone (minutes since the epoch)', () => {
    const s = parseCron('0 9 * * *');
    const berlin = s.next(new Date(T0), 'Europe/Berlin').getTime();
    const due = dueSlots(s, 'Europe/Berlin', T0, berlin);
    assert.deepEqual(due, { count: 1, capped: false, latest: berlin });
    assert.equal(
      slotJobName({ metadata: { name: 'x', uid: 'u' } } as CronJob, berlin),
      `x-${minutes(berlin)}`,
    );
  });
});
