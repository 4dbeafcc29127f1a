// Queues through the CLI: `get queues` (RUNNING, PENDING, LIMIT from the
// status the scheduler writes), `describe queue` (who waits, in order), a
// waiting Job's describe (its Run's message), and `get jobs` saying
// Terminating for a Job marked for deletion while its Run still runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runDescribe } from '../../../pkg/cli/verbs/describe.js';
import { runGet } from '../../../pkg/cli/verbs/get.js';
import {
  API_VERSION,
  JOB_NAME_LABEL,
  type Resource,
  type ResourceInput,
} from '../../../pkg/store/index.js';
import { env, jobInput, type Env } from './helpers.js';

async function seedQueue(e: Env): Promise<void> {
  const q = await e.client.create({
    apiVersion: API_VERSION,
    kind: 'Queue',
    metadata: { name: 'batch' },
    spec: { maxRunning: 2, priority: 0 },
  });
  await e.client.updateStatus({
    ...q,
    status: {
      running: 2,
      pending: 3,
      waiting: [
        { namespace: 'default', name: 'c-0', jobName: 'c', position: 1 },
        { namespace: 'default', name: 'd-0', jobName: 'd', position: 2 },
        { namespace: 'team-a', name: 'e-0', jobName: 'e', position: 3 },
      ],
    },
  } as unknown as ResourceInput);
  await e.client.create({
    apiVersion: API_VERSION,
    kind: 'Queue',
    metadata: { name: 'small' },
    spec: { maxRunning: 5, maxRunningPerNamespace: 1, priority: 3 },
  });
  e.clock.advance(60_000);
}

function runOf(job: Resource, name: string, status: Record<string, unknown>): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'Run',
    metadata: {
      name,
      labels: { [JOB_NAME_LABEL]: job.metadata.name },
      ownerReferences: [
        {
          apiVersion: API_VERSION,
          kind: 'Job',
          name: job.metadata.name,
          uid: job.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: {
      jobName: job.metadata.name,
      jobUid: job.metadata.uid,
      attempt: 0,
      nodeName: '',
      container: job.spec,
      queue: 'batch',
    },
    status,
  };
}

describe('queues in the CLI', () => {
  it('get queues shows RUNNING, PENDING, LIMIT and AGE (and PRIORITY when wide)', async () => {
    const e = env();
    await seedQueue(e);
    assert.equal(await e.run((d) => runGet({ namespace: 'default', kind: 'queues' }, d)), 0);
    assert.equal(
      e.out.text,
      [
        'NAME    RUNNING   PENDING   LIMIT                 AGE',
        'batch   2         3         2                     60s',
        'small   0         0         5 (1 per namespace)   60s',
        '',
      ].join('\n'),
    );
    e.reset();
    await e.run((d) =>
      runGet({ namespace: 'default', kind: 'queue', names: ['small'], output: 'wide' }, d),
    );
    assert.match(e.out.text, /PRIORITY\n.*\s3\n$/);
  });

  it('describe queue lists who waits, in order', async () => {
    const e = env();
    await seedQueue(e);
    assert.equal(
      await e.run((d) => runDescribe({ namespace: 'default', kind: 'queue', names: ['batch'] }, d)),
      0,
    );
    const text = e.out.text;
    assert.match(text, /^Name:\s+batch\n/);
    assert.doesNotMatch(text, /^Namespace:/m, 'cluster-scoped');
    assert.match(text, /^Max Running:\s+2$/m);
    assert.match(text, /^Running:\s+2\/2$/m);
    assert.match(text, /^Pending:\s+3$/m);
    const waiting = text.slice(text.indexOf('Waiting:')).split('\n').slice(1, 5);
    assert.deepEqual(
      waiting.map((l) => l.trim().split(/\s+/)),
      [
        ['Position', 'Run', 'Job', 'Namespace'],
        ['1', 'c-0', 'c', 'default'],
        ['2', 'd-0', 'd', 'default'],
        ['3', 'e-0', 'e', 'team-a'],
      ],
    );
  });

  it("a waiting Job's describe says why its Run waits and where it is in line", async () => {
    const e = env();
    await seedQueue(e);
    const job = await e.client.create(jobInput('c', { queue: 'batch' }));
    const message = 'queue batch is full (2/2 running), position 1 of 3';
    await e.client.create(runOf(job, 'c-0', { phase: 'Pending', message }));
    assert.equal(
      await e.run((d) => runDescribe({ namespace: 'default', kind: 'job', names: ['c'] }, d)),
      0,
    );
    assert.match(e.out.text, /^Queue:\s+batch$/m);
    assert.match(e.out.text, new RegExp(`^Waiting:\\s+${message.replace(/[()]/g, '\\$&')}$`, 'm'));
  });

  it('get jobs says Terminating for a Job marked for deletion; describe too', async () => {
    const e = env();
    const busy = await e.client.create(jobInput('busy'));
    await e.client.create(runOf(busy, 'busy-0', { phase: 'Running' }));
    await e.client.delete('job', 'default', 'busy');
    assert.ok((await e.client.get('job', 'default', 'busy')).metadata.deletionTimestamp);
    await e.run((d) => runGet({ namespace: 'default', kind: 'jobs' }, d));
    assert.match(e.out.text, /^busy\s+Terminating\s/m);
    e.reset();
    await e.run((d) => runDescribe({ namespace: 'default', kind: 'job', names: ['busy'] }, d));
    assert.match(e.out.text, /^Status:\s+Terminating$/m);
  });
});
