// get: tables (default, wide, -A), json/yaml/name, selectors, the empty
// message, unknown -o, and -w streaming ADDED/MODIFIED/DELETED lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runGet, type GetOptions } from '../../../pkg/cli/verbs/get.js';
import { API_VERSION, type ResourceInput } from '../../../pkg/store/index.js';
import { env, jobInput, setJobStatus, untilWatching, type Env } from './helpers.js';

const get = (o: Partial<GetOptions> = {}): GetOptions => ({
  namespace: 'default',
  kind: 'jobs',
  ...o,
});

async function seed(e: Env): Promise<void> {
  await e.client.create(jobInput('hello', {}, { labels: { app: 'hello' } }));
  e.clock.advance(62_000);
  await e.client.create(
    jobInput(
      'batch',
      { completions: 10, command: ['sh', '-c', 'echo hi'] },
      { labels: { app: 'b' } },
    ),
  );
  await e.client.create(jobInput('other', {}, { namespace: 'team-a' }));
  await setJobStatus(e.client, 'hello', {
    phase: 'Succeeded',
    succeeded: 1,
    startTime: '2025-01-01T00:00:01.000Z',
    completionTime: '2025-01-01T00:00:06.000Z',
  });
  await setJobStatus(e.client, 'batch', {
    phase: 'Running',
    succeeded: 3,
    active: 2,
    startTime: '2025-01-01T00:01:02.000Z',
  });
  e.clock.advance(120_000);
}

describe('get', () => {
  it('prints a kubectl-style jobs table with durations and ages', async () => {
    const e = env();
    await seed(e);
    assert.equal(await e.run((d) => runGet(get(), d)), 0);
    assert.equal(
      e.out.text,
      [
        'NAME    STATUS      COMPLETIONS   DURATION   AGE',
        'batch   Running     3/10          2m         2m',
        'hello   Succeeded   1/1           5s         3m2s',
        '',
      ].join('\n'),
    );
    assert.equal(e.err.text, '');
  });

  it('adds columns with -o wide and a NAMESPACE column with -A', async () => {
    const e = env();
    await seed(e);
    await e.run((d) => runGet(get({ output: 'wide', names: ['batch'] }), d));
    assert.equal(
      e.out.text,
      [
        'NAME    STATUS    COMPLETIONS   DURATION   AGE   IMAGE            COMMAND   SELECTOR',
        'batch   Running   3/10          2m         2m    busybox:latest   echo hi   jobctl.dev/job-name=batch',
        '',
      ].join('\n'),
    );
    e.reset();
    await e.run((d) => runGet(get({ allNamespaces: true }), d));
    assert.equal(
      e.out.text,
      [
        'NAMESPACE   NAME    STATUS      COMPLETIONS   DURATION   AGE',
        'default     batch   Running     3/10          2m         2m',
        'default     hello   Succeeded   1/1           5s         3m2s',
        'team-a      other   Pending     0/1                      2m',
        '',
      ].join('\n'),
    );
  });

  it('filters with -l and prints names with -o name', async () => {
    const e = env();
    await seed(e);
    await e.run((d) => runGet(get({ selector: 'app in (hello,x)', output: 'name' }), d));
    assert.equal(e.out.text, 'job.jobctl.dev/hello\n');
  });

  it('prints a List for -o json and -o yaml, and one object for a single name', async () => {
    const e = env();
    await seed(e);
    await e.run((d) => runGet(get({ output: 'json' }), d));
    const list = JSON.parse(e.out.text);
    assert.equal(list.kind, 'List');
    assert.equal(list.apiVersion, 'v1');
    assert.deepEqual(
      list.items.map((o: ResourceInput) => o.metadata.name),
      ['batch', 'hello'],
    );
    e.reset();
    await e.run((d) => runGet(get({ output: 'json', names: ['hello'] }), d));
    const one = JSON.parse(e.out.text);
    assert.equal(one.kind, 'Job');
    assert.equal(one.apiVersion, API_VERSION);
    assert.equal(one.status.phase, 'Succeeded');
    e.reset();
    await e.run((d) => runGet(get({ output: 'yaml', selector: 'app=hello' }), d));
    assert.match(
      e.out.text,
      /^apiVersion: v1\nitems:\n {2}- apiVersion: jobctl\.dev\/v1\n {4}kind: Job\n/,
    );
    assert.match(e.out.text, /\nkind: List\n/);
  });

  it('says so on stderr when nothing is found', async () => {
    const e = env();
    assert.equal(await e.run((d) => runGet(get(), d)), 0);
    assert.equal(e.out.text, '');
    assert.equal(e.err.text, 'No resources found in default namespace.\n');
    e.reset();
    await e.run((d) => runGet(get({ kind: 'nodes' }), d));
    assert.equal(e.err.text, 'No resources found\n');
    e.reset();
    await e.run((d) => runGet(get({ output: 'json' }), d));
    assert.deepEqual(JSON.parse(e.out.text).items, []);
  });

  it('reports a missing name as NotFound (exit 1) and an unknown kind', async () => {
    const e = env();
    assert.equal(await e.run((d) => runGet(get({ names: ['nope'] }), d)), 1);
    assert.equal(e.err.text, 'Error from server (NotFound): jobs "nope" not found\n');
    e.reset();
    assert.equal(await e.run((d) => runGet(get({ kind: 'widgets' }), d)), 1);
    assert.equal(e.err.text, 'error: the server doesn\'t have a resource type "widgets"\n');
  });

  it('refuses an unknown -o with the allowed formats (exit 2)', async () => {
    const e = env();
    assert.equal(await e.run((d) => runGet(get({ output: 'xml' }), d)), 2);
    assert.equal(
      e.err.text,
      'error: unable to match a printer suitable for the output format "xml", allowed formats are: custom-columns,json,jsonpath,name,wide,yaml\n',
    );
  });

  it('prints runs, nodes and cronjobs tables', async () => {
    const e = env();
    const job = await e.client.create(jobInput('hello'));
    const run = await e.client.create({
      apiVersion: API_VERSION,
      kind: 'Run',
      metadata: {
        name: 'hello-0',
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
    });
    await e.client.updateStatus({
      ...run,
      status: { phase: 'Running' },
    } as unknown as ResourceInput);
    await e.client.create({
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }],
        allocatable: { cpu: '2', memory: '4Gi', runs: 8 },
        raft: { id: 1, role: 'leader', term: 3, address: '127.0.0.1:50051' },
      },
    });
    await e.client.create({
      apiVersion: API_VERSION,
      kind: 'CronJob',
      metadata: { name: 'report' },
      spec: {
        schedule: '*/5 * * * *',
        concurrencyPolicy: 'Forbid',
        suspend: false,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 1,
        jobTemplate: { spec: job.spec },
      },
    });
    e.clock.advance(2 * 86_400_000);
    await e.run((d) => runGet(get({ kind: 'runs' }), d));
    await e.run((d) => runGet(get({ kind: 'no' }), d));
    await e.run((d) => runGet(get({ kind: 'cj' }), d));
    assert.equal(
      e.out.text,
      [
        'NAME      JOB     NODE   STATUS    EXIT     REASON   AGE',
        'hello-0   hello   n1     Running   <none>   <none>   2d',
        'NAME   STATUS                     ROLE(S)   CPU   MEMORY   RUNS   AGE',
        'n1     Ready,SchedulingDisabled   leader    2     4Gi      1/8    2d',
        'NAME     SCHEDULE      TIMEZONE   SUSPEND   ACTIVE   LAST SCHEDULE   NEXT    AGE',
        'report   */5 * * * *   UTC        False     0        <none>          in 5m   2d',
        '',
      ].join('\n'),
    );
  });

  it('says RuntimeNotReady for a heartbeating node whose runtime is down, in red on a TTY', async () => {
    const nodeWithRuntime = (name: string, runtimeReady: 'True' | 'False') => ({
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: { name },
      status: {
        conditions: [
          { type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' },
          {
            type: 'RuntimeReady',
            status: runtimeReady,
            lastTransitionTime: '2025-01-01T00:00:00Z',
          },
        ],
        allocatable: { cpu: '2', memory: '4Gi', runs: 8 },
      },
    });
    const e = env({ isTTY: true });
    await e.client.create(nodeWithRuntime('n1', 'False') as unknown as ResourceInput);
    await e.client.create(nodeWithRuntime('n2', 'True') as unknown as ResourceInput);
    await e.run((d) => runGet(get({ kind: 'nodes' }), d));
    const ESC = String.fromCharCode(27);
    assert.ok(e.out.text.includes(`${ESC}[31mReady,RuntimeNotReady${ESC}[39m`), e.out.text);
    // The colour wraps the padded cell.
    assert.ok(e.out.text.includes(`${ESC}[32mReady${' '.repeat(16)}${ESC}[39m`), e.out.text);
  });

  it('colours phases only on a TTY without NO_COLOR, keeping the words', async () => {
    const tty = env({ isTTY: true });
    await tty.client.create(jobInput('hello'));
    await tty.run((d) => runGet(get(), d));
    const ESC = String.fromCharCode(27);
    assert.ok(tty.out.text.includes(`${ESC}[33mPending${ESC}[39m   0/1`), tty.out.text);
    const noColor = env({ isTTY: true, vars: { NO_COLOR: '1' } });
    await noColor.client.create(jobInput('hello'));
    await noColor.run((d) => runGet(get(), d));
    assert.ok(!noColor.out.text.includes(ESC));
    const flag = env({ isTTY: true });
    await flag.client.create(jobInput('hello'));
    await flag.run((d) => runGet(get({ noColor: true }), d));
    assert.ok(!flag.out.text.includes(ESC));
  });

  it('-w prints the list, then a line per change as other writes happen', async () => {
    const ac = new AbortController();
    const e = env({ signal: ac.signal });
    await e.client.create(jobInput('hello'));
    const done = e.run((d) => runGet(get({ watch: true }), d));
    await e.out.waitFor('ADDED');
    await e.client.create(jobInput('second'));
    await setJobStatus(e.client, 'hello', { phase: 'Running', active: 1 });
    await e.client.delete('job', 'default', 'second');
    await e.out.waitFor('DELETED');
    ac.abort();
    assert.equal(await done, 0);
    assert.equal(
      e.out.text,
      [
        // Names and phases get room to grow, so later rows stay aligned.
        // A deleted Job's last row says Terminating, as kubectl's rows for deleted objects.
        'EVENT      NAME                       STATUS        COMPLETIONS   DURATION   AGE',
        'ADDED      hello                      Pending       0/1                      0s',
        'ADDED      second                     Pending       0/1                      0s',
        'MODIFIED   hello                      Running       0/1                      0s',
        'DELETED    second                     Terminating   0/1                      0s',
        '',
      ].join('\n'),
    );
  });

  it('-w on a terminal prints the header again when a row outgrows the columns', async () => {
    const ac = new AbortController();
    const tty = env({ signal: ac.signal, isTTY: true, vars: { NO_COLOR: '1' } });
    await tty.client.create(jobInput('hello'));
    const done = tty.run((d) => runGet(get({ watch: true }), d));
    await tty.out.waitFor('ADDED');
    const long = 'a-rather-long-job-name-that-overflows';
    await tty.client.create(jobInput(long));
    await setJobStatus(tty.client, 'hello', { phase: 'Running', active: 1 });
    await tty.out.waitFor('MODIFIED');
    ac.abort();
    assert.equal(await done, 0);
    const lines = tty.out.text.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[0] ?? '', /^EVENT {6}NAME {23}STATUS/);
    assert.match(lines[2] ?? '', /^EVENT {6}NAME {36}STATUS/, 'the header at the new widths');
    // Every row after a header lines up with it.
    const statusAt = (l: string | undefined): number => (l ?? '').indexOf('STATUS');
    for (const [header, row] of [
      [0, 1],
      [2, 3],
      [2, 4],
    ] as const) {
      assert.equal((lines[row] ?? '').search(/Pending|Running/), statusAt(lines[header]));
    }
    // In a pipe the same rows keep one header.
    const ac2 = new AbortController();
    const pipe = env({ signal: ac2.signal });
    await pipe.client.create(jobInput('hello'));
    const done2 = pipe.run((d) => runGet(get({ watch: true }), d));
    await pipe.out.waitFor('ADDED');
    await pipe.client.create(jobInput(long));
    await pipe.out.waitFor(long);
    ac2.abort();
    assert.equal(await done2, 0);
    assert.equal(pipe.out.text.split('\n').filter((l) => l.startsWith('EVENT')).length, 1);
  });

  it('--watch-only skips the initial list; -w NAME follows one object', async () => {
    const ac = new AbortController();
    const e = env({ signal: ac.signal });
    await e.client.create(jobInput('hello'));
    await e.client.create(jobInput('other'));
    const done = e.run((d) =>
      runGet(get({ watchOnly: true, names: ['hello'], output: 'name' }), d),
    );
    // Nothing printed before a change; make two (one to another object).
    await e.client.update(jobInput('other', { parallelism: 2 }));
    await e.client.update(jobInput('hello', { parallelism: 2 }));
    await e.out.waitFor('\n');
    ac.abort();
    assert.equal(await done, 0);
    assert.equal(e.out.text, 'job.jobctl.dev/hello\n');
  });

  it('-w relists after Gone and reports what changed meanwhile', async () => {
    const ac = new AbortController();
    const e = env({ signal: ac.signal });
    await e.client.create(jobInput('hello'));
    const before = e.tc.store.snapshot();
    await e.client.create(jobInput('second'));
    const done = e.run((d) => runGet(get({ watch: true, output: 'name' }), d));
    await untilWatching(e.tc);
    // A node restored from a snapshot: every watch gets Gone and must relist.
    e.tc.store.restore(e.tc.store.revision + 1, before);
    await e.client.create(jobInput('third'));
    await e.out.waitFor((t) => t.split('\n').length >= 5);
    ac.abort();
    assert.equal(await done, 0);
    const lines = e.out.text.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 2), ['job.jobctl.dev/hello', 'job.jobctl.dev/second']);
    // After the relist: second is gone (DELETED), third is new; in either order.
    assert.deepEqual(lines.slice(2).sort(), ['job.jobctl.dev/second', 'job.jobctl.dev/third']);
  });
});
