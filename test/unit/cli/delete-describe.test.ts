// delete (names, -l, -f, NotFound in kubectl's words, --wait) and describe.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runDelete } from '../../../pkg/cli/verbs/delete.js';
import { runDescribe } from '../../../pkg/cli/verbs/describe.js';
import { API_VERSION, type ResourceInput } from '../../../pkg/store/index.js';
import { env, failed, jobInput, jobYaml, setJobStatus, tempDir, untilWatching } from './helpers.js';

const ns = { namespace: 'default' };

describe('delete', () => {
  it('deletes by name, reports a missing one as kubectl does, and exits 1', async () => {
    const e = env();
    await e.client.create(jobInput('a'));
    await e.client.create(jobInput('b'));
    const code = await e.run((d) => runDelete({ ...ns, kind: 'job', names: ['a', 'x', 'b'] }, d));
    assert.equal(code, 1);
    assert.equal(e.out.text, 'job.jobctl.dev "a" deleted\njob.jobctl.dev "b" deleted\n');
    assert.equal(e.err.text, 'Error from server (NotFound): jobs "x" not found\n');
    assert.equal((await e.client.list('job')).items.length, 0);
  });

  it('deletes by selector, by file and waits with --wait', async () => {
    const e = env();
    await e.client.create(jobInput('a', {}, { labels: { app: 'x' } }));
    await e.client.create(jobInput('b'));
    await e.client.create(jobInput('c'));
    assert.equal(await e.run((d) => runDelete({ ...ns, kind: 'jobs', selector: 'app=x' }, d)), 0);
    const f = join(tempDir({ 'b.yaml': jobYaml('b') }), 'b.yaml');
    assert.equal(await e.run((d) => runDelete({ ...ns, filenames: [f], wait: true }, d)), 0);
    assert.equal(await e.run((d) => runDelete({ ...ns, kind: 'job/c', wait: true }, d)), 0);
    assert.equal(
      e.out.text,
      'job.jobctl.dev "a" deleted\njob.jobctl.dev "b" deleted\njob.jobctl.dev "c" deleted\n',
    );
  });

  it('waits by default until a Job whose Run is active is really gone; --wait=false returns at once', async () => {
    const e = env();
    const job = await e.client.create(jobInput('busy'));
    const runInput = (name: string): ResourceInput => ({
      apiVersion: API_VERSION,
      kind: 'Run',
      metadata: {
        name,
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'Job',
            name: 'busy',
            uid: job.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: {
        jobName: 'busy',
        jobUid: job.metadata.uid,
        attempt: 0,
        nodeName: 'n1',
        container: job.spec,
      },
      status: { phase: 'Running' },
    });
    await e.client.create(runInput('busy-0'));
    const done = e.run((d) => runDelete({ ...ns, kind: 'job', names: ['busy'] }, d));
    await untilWatching(e.tc, 1);
    assert.equal(e.out.text, '', 'not deleted yet: only marked');
    assert.ok((await e.client.get('job', 'default', 'busy')).metadata.deletionTimestamp);
    // What the agent and the job controller do: the Run ends, the Job is deleted again.
    const run = await e.client.get('run', 'default', 'busy-0');
    await e.client.updateStatus({
      ...run,
      status: { phase: 'Cancelled', reason: 'Deleted' },
    } as ResourceInput);
    await e.client.delete('job', 'default', 'busy');
    assert.equal(await done, 0);
    assert.equal(e.out.text, 'job.jobctl.dev "busy" deleted\n');
    assert.deepEqual((await e.client.list('run')).items, []);

    const f = env();
    const j2 = await f.client.create(jobInput('busy'));
    await f.client.create({
      ...runInput('busy-0'),
      metadata: {
        name: 'busy-0',
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'Job',
            name: 'busy',
            uid: j2.metadata.uid,
            controller: true,
          },
        ],
      },
    });
    assert.equal(
      await f.run((d) => runDelete({ ...ns, kind: 'job', names: ['busy'], wait: false }, d)),
      0,
    );
    assert.equal(f.out.text, 'job.jobctl.dev "busy" deleted\n');
    assert.ok((await f.client.get('job', 'default', 'busy')).metadata.deletionTimestamp);
    // Waiting on it now times out: exit 5 with kubectl's message.
    const armed = f.clock.nextTimer();
    const timing = f.run((d) =>
      runDelete({ ...ns, kind: 'job', names: ['busy'], timeout: '30s' }, d),
    );
    await armed;
    await untilWatching(f.tc, 1);
    f.clock.advance(30_000);
    assert.equal(await timing, 5);
    assert.equal(f.err.text, 'error: timed out waiting for the condition on jobs/busy\n');
  });

  it('needs something to delete (exit 2)', async () => {
    const e = env();
    assert.equal(await e.run((d) => runDelete({ ...ns }, d)), 2);
    assert.equal(
      e.err.text,
      'error: You must provide one or more resources by argument or filename.\n',
    );
  });
});

describe('describe', () => {
  it('shows a Job with its conditions, Runs and no events', async () => {
    const e = env();
    const job = await e.client.create(
      jobInput(
        'hello',
        { command: ['sh', '-c', 'echo hi'], env: [{ name: 'A', value: '1' }] },
        { labels: { app: 'h', team: 'x' } },
      ),
    );
    await e.client.create({
      apiVersion: API_VERSION,
      kind: 'Run',
      metadata: {
        name: 'hello-a0',
        labels: { 'jobctl.dev/job-name': 'hello' },
        ownerReferences: [
          {
            apiVersion: API_VERSION,
            kind: 'Job',
            name: 'hello',
            uid: job.metadata.uid,
            controller: true,
          },
        ],
      },
      spec: {
        jobName: 'hello',
        jobUid: job.metadata.uid,
        attempt: 0,
        nodeName: 'n1',
        container: job.spec,
      },
      status: { phase: 'Failed', reason: 'Error', exitCode: 2 },
    } as ResourceInput);
    await setJobStatus(e.client, 'hello', failed('2025-01-01T00:00:30.000Z'));
    e.clock.advance(90_000);
    assert.equal(await e.run((d) => runDescribe({ ...ns, kind: 'job', names: ['hello'] }, d)), 0);
    assert.equal(
      e.out.text,
      [
        'Name:           hello',
        'Namespace:      default',
        'Labels:         app=h',
        '                team=x',
        'Annotations:    <none>',
        'UID:            uid-1',
        'Created:        2025-01-01T00:00:00.000Z (90s ago)',
        'Image:          busybox:latest',
        'Command:        echo hi',
        'Working Dir:    <none>',
        'Environment:    A=1',
        'Resources:      cpu=500m, memory=256Mi',
        'Completions:    1',
        'Parallelism:    1',
        'Backoff Limit:  3',
        'Deadline:       <none>',
        'TTL:            <none>',
        'Node Selector:  <none>',
        'Priority:       0',
        'Queue:          <none>',
        'Suspend:        false',
        'Sandbox:',
        '  Network:      none',
        '  Root FS:      read-only, /tmp tmpfs 64m',
        '  User:         65534:65534',
        '  Limits:       cpu=500m, memory=256Mi (no swap), pids=256',
        '  Capabilities: all dropped, no-new-privileges',
        'Status:         Failed',
        'Start Time:     2025-01-01T00:00:00.000Z (90s ago)',
        'Completed At:   <none>',
        'Runs Status:    0 Active / 0 Succeeded / 4 Failed',
        'Conditions:',
        '  Type     Status   Reason                 Message                                       Last Transition',
        '  Failed   True     BackoffLimitExceeded   Job has reached the specified backoff limit   60s',
        'Runs:',
        '  Name       Attempt   Node   Status   Exit   Reason   Age',
        '  hello-a0   0         n1     Failed   2      Error    90s',
        'Events:         <none>',
        '',
      ].join('\n'),
    );
  });

  it('describes a node and reports a missing object', async () => {
    const e = env();
    await e.client.create({
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: {},
      status: {
        allocatable: { cpu: '2', memory: '4Gi', runs: 8 },
        raft: { id: 1, role: 'leader', term: 2, address: 'a:1' },
      },
    });
    assert.equal(
      await e.run((d) => runDescribe({ ...ns, kind: 'node', names: ['n1', 'n2'] }, d)),
      1,
    );
    assert.ok(e.out.text.startsWith('Name:           n1\n'));
    assert.ok(e.out.text.includes('\nRaft:           id=1 role=leader term=2\n'));
    assert.ok(e.out.text.includes('\nCapacity:       <none>\nAllocatable:\n  cpu:          2\n'));
    assert.ok(e.out.text.endsWith('\nActive Runs:    <none>\nEvents:         <none>\n'));
    assert.equal(e.err.text, 'Error from server (NotFound): nodes "n2" not found\n');
  });
});
