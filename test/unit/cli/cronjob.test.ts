// CronJobs from the CLI: `create job NAME --from=cronjob/X` runs one now, and
// `describe cronjob` shows the next three times in the CronJob's own zone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cronJobNameOf,
  runCreateJob,
  type CreateJobOptions,
} from '../../../pkg/cli/verbs/create.js';
import { runDescribe } from '../../../pkg/cli/verbs/describe.js';
import { API_VERSION, type Job, type ResourceInput } from '../../../pkg/store/index.js';
import { env, jobInput, type Env } from './helpers.js';

async function seedCronJob(e: Env, spec: Record<string, unknown> = {}): Promise<void> {
  const template = jobInput('x', { command: ['sh', '-c', 'date'] });
  await e.client.create({
    apiVersion: API_VERSION,
    kind: 'CronJob',
    metadata: { name: 'report', namespace: 'default' },
    spec: {
      schedule: '30 2 * * *',
      timeZone: 'Europe/Berlin',
      concurrencyPolicy: 'Forbid',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { app: 'report' } }, spec: template.spec },
      ...spec,
    },
  } as ResourceInput);
}

const create = (o: Partial<CreateJobOptions> = {}): CreateJobOptions => ({
  namespace: 'default',
  name: 'report-now',
  from: 'cronjob/report',
  ...o,
});

describe('create job --from=cronjob/X', () => {
  it('creates the template as a Job the CronJob controls, marked manual', async () => {
    const e = env();
    await seedCronJob(e);
    assert.equal(await e.run((d) => runCreateJob(create(), d)), 0);
    assert.equal(e.out.text, 'job.jobctl.dev/report-now created\n');
    const job: Job = await e.client.get('Job', 'default', 'report-now');
    const cj = await e.client.get('CronJob', 'default', 'report');
    assert.deepEqual(job.spec.command, ['sh', '-c', 'date']);
    assert.deepEqual(job.metadata.labels, { app: 'report' });
    assert.equal(job.metadata.annotations['jobctl.dev/cronjob-scheduled-at'], 'manual');
    assert.deepEqual(job.metadata.ownerReferences, [
      {
        apiVersion: API_VERSION,
        kind: 'CronJob',
        name: 'report',
        uid: cj.metadata.uid,
        controller: true,
      },
    ]);
  });

  it('client dry run writes nothing; a missing CronJob is one line, exit 1', async () => {
    const e = env();
    await seedCronJob(e);
    assert.equal(await e.run((d) => runCreateJob(create({ dryRun: 'client' }), d)), 0);
    assert.equal(e.out.text, 'job.jobctl.dev/report-now created (dry run)\n');
    assert.equal((await e.client.list('Job')).items.length, 0);
    e.reset();
    assert.equal(await e.run((d) => runCreateJob(create({ from: 'cj/nope' }), d)), 1);
    assert.match(e.err.text, /^Error from server \(NotFound\): cronjobs "nope" not found\n$/);
  });

  it('--from names a CronJob or it is a usage error', () => {
    assert.equal(cronJobNameOf('cronjob/report'), 'report');
    assert.equal(cronJobNameOf('cronjobs.jobctl.dev/report'), 'report');
    assert.equal(cronJobNameOf('cj/report'), 'report');
    for (const bad of ['job/report', 'report', 'cronjob/', 'cronjob/a/b']) {
      assert.throws(() => cronJobNameOf(bad), /--from must be cronjob\/NAME/);
    }
  });
});

describe('describe cronjob', () => {
  it('shows schedule, policy, status and the next three times in its zone', async () => {
    const e = env();
    e.clock.advance(Date.UTC(2025, 2, 29, 12) - e.clock.now()); // Sat before the DST change
    await seedCronJob(e);
    assert.equal(
      await e.run((d) =>
        runDescribe({ namespace: 'default', kind: 'cronjob', names: ['report'] }, d),
      ),
      0,
    );
    const text = e.out.text;
    for (const line of [
      'Schedule:       30 2 * * *',
      'Time Zone:      Europe/Berlin',
      'Concurrency Policy: Forbid',
      'Next Schedules: 2025-03-30 03:00 +02:00 (in 13h)',
      '                2025-03-31 02:30 +02:00 (in 36h)',
      '                2025-04-01 02:30 +02:00 (in 2d12h)',
    ]) {
      assert.ok(text.includes(`${line}\n`), `missing ${JSON.stringify(line)} in\n${text}`);
    }
  });

  it('a suspended CronJob has no next times', async () => {
    const e = env();
    await seedCronJob(e, { suspend: true });
    await e.run((d) => runDescribe({ namespace: 'default', kind: 'cj', names: ['report'] }, d));
    assert.ok(e.out.text.includes('Next Schedules: none (suspended)\n'), e.out.text);
  });
});
