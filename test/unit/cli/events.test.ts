// Events in the CLI: `get events` (kubectl's columns, sorted by last seen,
// --for KIND/NAME, -A, -o wide, -w) and describe's Events section (a Job's
// include its Runs'; repeats shown as "(xN over AGE)").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runDescribe } from '../../../pkg/cli/verbs/describe.js';
import { runGet, type GetOptions } from '../../../pkg/cli/verbs/get.js';
import { StoreEventRecorder } from '../../../pkg/events/index.js';
import {
  API_VERSION,
  JOB_NAME_LABEL,
  type Resource,
  type ResourceInput,
} from '../../../pkg/store/index.js';
import { env, jobInput, untilWatching, type Env } from './helpers.js';

const get = (o: Partial<GetOptions> = {}): GetOptions => ({
  namespace: 'default',
  kind: 'events',
  ...o,
});

function runInput(job: Resource, attempt: number): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'Run',
    metadata: {
      name: `${job.metadata.name}-${attempt}`,
      namespace: job.metadata.namespace,
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
      attempt,
      nodeName: 'node-1',
      container: { image: 'busybox:latest', command: ['echo', 'hi'] },
    },
  };
}

interface Seeded {
  readonly recorder: StoreEventRecorder;
  readonly hello: Resource;
  readonly run: Resource;
  readonly node: Resource;
}

/**
 * hello (Job) with Run hello-0 on node-1, and events over five minutes:
 * t0 Scheduled (run), t+60s Started (run), t+120s..t+240s BackOff x3 (job),
 * t+180s NodeNotReady (node), another job's event in team-a; now = t+300s.
 */
async function seed(e: Env): Promise<Seeded> {
  const recorder = new StoreEventRecorder({
    client: e.client,
    clock: e.clock,
    component: 'job-controller',
    nodeName: 'node-1',
  });
  const hello = await e.client.create(jobInput('hello'));
  const other = await e.client.create(jobInput('other', {}, { namespace: 'team-a' }));
  const run = await e.client.create(runInput(hello, 0));
  const node = await e.client.create({
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name: 'node-1' },
    spec: {},
  });
  const step = async (ms: number): Promise<void> => {
    await recorder.flush();
    e.clock.advance(ms);
  };
  recorder
    .forComponent('scheduler')
    .record(run, 'Normal', 'Scheduled', 'Successfully assigned default/hello-0 to node-1');
  await step(60_000);
  recorder.forComponent('agent').record(run, 'Normal', 'Started', 'Started container');
  await step(60_000);
  recorder.record(hello, 'Warning', 'BackOff', 'Back-off restarting failed run');
  recorder.record(other, 'Normal', 'Completed', 'Job completed');
  await step(60_000);
  recorder
    .forComponent('nodelifecycle')
    .record(node, 'Warning', 'NodeNotReady', 'Node node-1 status is now: NodeNotReady');
  recorder.record(hello, 'Warning', 'BackOff', 'Back-off restarting failed run');
  await step(60_000);
  recorder.record(hello, 'Warning', 'BackOff', 'Back-off restarting failed run');
  await step(60_000);
  return { recorder, hello, run, node };
}

describe('get events', () => {
  it("prints kubectl's columns, oldest first by last seen", async () => {
    const e = env();
    await seed(e);
    assert.equal(await e.run((d) => runGet(get(), d)), 0);
    assert.equal(
      e.out.text,
      [
        'LAST SEEN   TYPE      REASON         OBJECT        MESSAGE',
        '5m          Normal    Scheduled      run/hello-0   Successfully assigned default/hello-0 to node-1',
        '4m          Normal    Started        run/hello-0   Started container',
        '2m          Warning   NodeNotReady   node/node-1   Node node-1 status is now: NodeNotReady',
        '60s         Warning   BackOff        job/hello     Back-off restarting failed run',
        '',
      ].join('\n'),
    );
    assert.equal(e.err.text, '');
  });

  it('--for filters by involved object (job, run, node from any namespace)', async () => {
    const e = env();
    await seed(e);
    assert.equal(await e.run((d) => runGet(get({ for: 'job/hello' }), d)), 0);
    assert.deepEqual(e.out.text.trimEnd().split('\n').slice(1), [
      '60s         Warning   BackOff   job/hello   Back-off restarting failed run',
    ]);
    e.reset();
    assert.equal(await e.run((d) => runGet(get({ for: 'runs/hello-0', output: 'name' }), d)), 0);
    assert.equal(e.out.text.trimEnd().split('\n').length, 2);
    e.reset();
    // Node events live in namespace default, whatever -n says.
    const forNode = get({ for: 'node/node-1', namespace: 'team-a', output: 'wide' });
    assert.equal(await e.run((d) => runGet(forNode, d)), 0);
    assert.match(e.out.text, /SOURCE\s+FIRST SEEN\s+COUNT\s+NAME/);
    assert.match(
      e.out.text,
      /NodeNotReady .* nodelifecycle, node-1\s+2m\s+1\s+node-1-[0-9a-f]{10}/,
    );
    e.reset();
    assert.equal(await e.run((d) => runGet(get({ for: 'job/nope' }), d)), 0);
    assert.equal(e.out.text, '');
    assert.equal(e.err.text, 'No resources found in default namespace.\n');
  });

  it('-A adds NAMESPACE; -o wide shows the count; --for needs events', async () => {
    const e = env();
    await seed(e);
    assert.equal(await e.run((d) => runGet(get({ allNamespaces: true }), d)), 0);
    assert.match(e.out.text, /^NAMESPACE\s+LAST SEEN/);
    assert.match(e.out.text, /team-a\s+3m\s+Normal\s+Completed\s+job\/other/);
    e.reset();
    assert.equal(await e.run((d) => runGet(get({ for: 'job/hello', output: 'wide' }), d)), 0);
    assert.match(e.out.text, /BackOff .* job-controller, node-1\s+3m\s+3\s+hello-/);
    e.reset();
    assert.equal(await e.run((d) => runGet(get({ kind: 'jobs', for: 'job/hello' }), d)), 2);
    assert.match(e.err.text, /--for can only be used with events/);
  });

  it('-w --for streams new events and count bumps of that object only', async () => {
    const ac = new AbortController();
    const e = env({ signal: ac.signal });
    const { recorder, hello, run } = await seed(e);
    const done = e.run((d) => runGet(get({ watch: true, for: 'job/hello' }), d));
    await untilWatching(e.tc);
    recorder.record(run, 'Normal', 'Completed', 'exit code 0'); // another object: not shown
    recorder.record(hello, 'Normal', 'Completed', 'Job completed');
    await recorder.flush();
    e.clock.advance(10_000);
    recorder.record(hello, 'Warning', 'BackOff', 'Back-off restarting failed run');
    await recorder.flush();
    await e.out.waitFor('MODIFIED');
    ac.abort();
    assert.equal(await done, 0);
    const lines = e.out.text.trimEnd().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0] ?? '', /^EVENT\s+LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/);
    assert.match(lines[1] ?? '', /^ADDED\s+60s\s+Warning\s+BackOff\s+job\/hello/);
    assert.match(lines[2] ?? '', /^ADDED\s+0s\s+Normal\s+Completed\s+job\/hello\s+Job completed$/);
    assert.match(lines[3] ?? '', /^MODIFIED\s+0s\s+Warning\s+BackOff\s+job\/hello/);
  });
});

describe('describe shows events', () => {
  it("a Job's own and its Runs' events, repeats as (xN over AGE)", async () => {
    const e = env();
    await seed(e);
    assert.equal(
      await e.run((d) => runDescribe({ namespace: 'default', kind: 'job', names: ['hello'] }, d)),
      0,
    );
    const section = e.out.text.slice(e.out.text.indexOf('Events:'));
    assert.equal(
      section,
      [
        'Events:',
        '  Type      Reason      Age                From             Message',
        '  Normal    Scheduled   5m                 scheduler        run/hello-0: Successfully assigned default/hello-0 to node-1',
        '  Normal    Started     4m                 agent            run/hello-0: Started container',
        '  Warning   BackOff     60s (x3 over 3m)   job-controller   Back-off restarting failed run',
        '',
      ].join('\n'),
    );
  });

  it("a Run's and a Node's events; <none> without any", async () => {
    const e = env();
    await seed(e);
    assert.equal(
      await e.run((d) => runDescribe({ namespace: 'default', kind: 'run', names: ['hello-0'] }, d)),
      0,
    );
    const runSection = e.out.text.slice(e.out.text.indexOf('Events:'));
    assert.match(runSection, /Normal\s+Scheduled\s+5m\s+scheduler\s+Successfully assigned/);
    assert.match(runSection, /Normal\s+Started\s+4m\s+agent\s+Started container/);
    assert.doesNotMatch(runSection, /BackOff/);
    e.reset();
    assert.equal(
      await e.run((d) => runDescribe({ namespace: 'team-a', kind: 'node', names: ['node-1'] }, d)),
      0,
    );
    assert.match(
      e.out.text,
      /Events:\n\s+Type\s+Reason.*\n\s+Warning\s+NodeNotReady\s+2m\s+nodelifecycle/,
    );
    e.reset();
    await e.client.create(jobInput('quiet'));
    assert.equal(
      await e.run((d) => runDescribe({ namespace: 'default', kind: 'job', names: ['quiet'] }, d)),
      0,
    );
    assert.match(e.out.text, /\nEvents:\s+<none>\n$/);
  });
});
