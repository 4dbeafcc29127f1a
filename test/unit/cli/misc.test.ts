// run, diff, explain, node cordon/uncordon/drain, and the printers' pure parts.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unifiedDiff } from '../../../pkg/cli/printers/diff.js';
import { humanDuration, parseDuration } from '../../../pkg/util/duration.js';
import { runDiff } from '../../../pkg/cli/verbs/diff.js';
import { runExplain } from '../../../pkg/cli/verbs/explain.js';
import { runNode } from '../../../pkg/cli/verbs/node.js';
import { runRun } from '../../../pkg/cli/verbs/run.js';
import {
  API_VERSION,
  DRY_RUN_PLACEMENT_ANNOTATION,
  type Resource,
  type ResourceInput,
} from '../../../pkg/store/index.js';
import { UnreachableError } from '../../../pkg/util/errors.js';
import { env, jobInput, jobYaml, tempDir, untilWatching, type Env } from './helpers.js';

const ns = { namespace: 'default' };

describe('durations', () => {
  it('prints like kubectl', () => {
    const cases: [number, string][] = [
      [0, '0s'],
      [5_000, '5s'],
      [119_000, '119s'],
      [120_000, '2m'],
      [182_000, '3m2s'],
      [15 * 60_000, '15m'],
      [4 * 3_600_000 + 5 * 60_000, '4h5m'],
      [20 * 3_600_000, '20h'],
      [48 * 3_600_000, '2d'],
      [76 * 3_600_000, '3d4h'],
      [400 * 86_400_000, '400d'],
      [(2 * 365 + 3) * 86_400_000, '2y3d'],
    ];
    for (const [ms, text] of cases) assert.equal(humanDuration(ms), text, String(ms));
  });

  it('parses timeouts', () => {
    assert.equal(parseDuration('200ms'), 200);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('45'), 45_000);
    assert.equal(parseDuration('5 minutes'), undefined);
  });
});

describe('unifiedDiff', () => {
  it('produces hunks with context, and nothing for equal texts', () => {
    assert.deepEqual(unifiedDiff('a\nb\n', 'a\nb\n'), []);
    assert.deepEqual(unifiedDiff('a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nc\nd\nE\nf\ng\nh\n'), [
      '@@ -2,7 +2,7 @@',
      ' b',
      ' c',
      ' d',
      '-e',
      '+E',
      ' f',
      ' g',
      ' h',
    ]);
    assert.deepEqual(unifiedDiff('', 'x\n'), ['@@ -0,0 +1 @@', '+x']);
  });
});

describe('run', () => {
  it('creates a Job from flags', async () => {
    const e = env();
    const code = await e.run((d) =>
      runRun(
        {
          ...ns,
          name: 'hi',
          image: 'busybox',
          command: ['echo', 'hi'],
          env: ['A=1'],
          parallelism: 2,
        },
        d,
      ),
    );
    assert.equal(code, 0);
    assert.equal(e.out.text, 'job.jobctl.dev/hi created\n');
    const job = (await e.client.get('job', 'default', 'hi')) as Resource;
    assert.deepEqual(job.spec.command, ['echo', 'hi']);
    assert.equal(job.spec.parallelism, 2);
    assert.equal(job.spec.completions, 1);
  });

  it('validates (exit 1), needs --image (exit 2), refuses a duplicate (exit 1), dry-runs', async () => {
    const e = env();
    assert.equal(
      await e.run((d) => runRun({ ...ns, name: 'hi', image: 'b', completions: 0 }, d)),
      1,
    );
    assert.equal(e.err.text, 'error: Job "hi": spec.completions: must be >= 1\n');
    e.reset();
    assert.equal(await e.run((d) => runRun({ ...ns, name: 'hi' }, d)), 2);
    assert.equal(e.err.text, 'error: required flag(s) "image" not set\n');
    e.reset();
    await e.run((d) => runRun({ ...ns, name: 'hi', image: 'b' }, d));
    assert.equal(await e.run((d) => runRun({ ...ns, name: 'hi', image: 'b' }, d)), 1);
    assert.equal(
      await e.run((d) => runRun({ ...ns, name: 'hi', image: 'b', dryRun: 'server' }, d)),
      1,
    );
    assert.equal(
      e.err.text,
      'Error from server (AlreadyExists): jobs "hi" already exists\n'.repeat(2),
    );
    e.reset();
    assert.equal(
      await e.run((d) => runRun({ ...ns, name: 'new', image: 'b', dryRun: 'client' }, d)),
      0,
    );
    assert.equal(
      await e.run((d) => runRun({ ...ns, name: 'new', image: 'b', dryRun: 'server' }, d)),
      0,
    );
    assert.equal(
      e.out.text,
      'job.jobctl.dev/new created (dry run)\njob.jobctl.dev/new created (server dry run)\n',
    );
    assert.equal((await e.client.list('job')).items.length, 1);
  });
});

describe('diff', () => {
  it('exits 0 without differences and 1 with a unified diff', async () => {
    const e = env();
    const dir = tempDir({
      'a.yaml': jobYaml('hello'),
      'b.yaml': jobYaml('hello', { parallelism: 4 }),
    });
    assert.equal(await e.run((d) => runDiff({ ...ns, filenames: [join(dir, 'a.yaml')] }, d)), 1);
    assert.match(
      e.out.text,
      /^--- live\/jobctl\.dev\.v1\.Job\.default\.hello\n\+\+\+ merged\/jobctl\.dev\.v1\.Job\.default\.hello\n@@ -0,0 \+1,\d+ @@\n\+apiVersion: jobctl\.dev\/v1\n/,
    );
    await e.client.apply(jobInput('hello', { command: ['echo', 'hi'] }));
    e.reset();
    assert.equal(await e.run((d) => runDiff({ ...ns, filenames: [join(dir, 'a.yaml')] }, d)), 0);
    assert.equal(e.out.text, '');
    // A server's dry run of a Job says where it would be placed: not a difference.
    const apply = e.client.apply.bind(e.client);
    e.client.apply = async (input, opts) => {
      const r = await apply(input, opts);
      if (opts?.dryRun !== 'server') return r;
      const annotations = {
        ...r.object.metadata.annotations,
        [DRY_RUN_PLACEMENT_ANNOTATION]: 'n1',
      };
      return { ...r, object: { ...r.object, metadata: { ...r.object.metadata, annotations } } };
    };
    assert.equal(await e.run((d) => runDiff({ ...ns, filenames: [join(dir, 'a.yaml')] }, d)), 0);
    assert.equal(e.out.text, '');
    assert.equal(await e.run((d) => runDiff({ ...ns, filenames: [join(dir, 'b.yaml')] }, d)), 1);
    assert.match(e.out.text, /\n- {2}generation: 1\n\+ {2}generation: 2\n/);
    assert.match(e.out.text, /\n- {2}parallelism: 1\n\+ {2}parallelism: 4\n/);
    assert.equal(
      (await e.client.get('job', 'default', 'hello')).metadata.generation,
      1,
      'nothing written',
    );
  });
});

describe('explain', () => {
  it('prints field docs, and an error for an unknown field', async () => {
    const e = env();
    assert.equal(await e.run((d) => runExplain({ path: 'job.spec.parallelism' }, d)), 0);
    assert.match(
      e.out.text,
      /^KIND: {7}Job\nVERSION: {4}jobctl\.dev\/v1\n\nFIELD: spec\.parallelism <integer>\n/,
    );
    e.reset();
    assert.equal(await e.run((d) => runExplain({ path: 'job.spec.nope' }, d)), 1);
    assert.match(e.err.text, /^error: field "nope" does not exist in job\.spec; fields: /);
  });
});

async function node(e: Env, name: string, extra: Record<string, unknown> = {}): Promise<void> {
  await e.client.create({
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name },
    spec: {},
    status: { raft: { id: 1, role: 'leader', term: 2, address: 'a:1' }, ...extra },
  });
}

async function runOn(e: Env, name: string, nodeName: string, phase: string): Promise<Resource> {
  const r = await e.client.create({
    apiVersion: API_VERSION,
    kind: 'Run',
    metadata: { name },
    spec: { jobName: 'j', jobUid: 'u', attempt: 0, nodeName, container: {} },
  });
  return e.client.updateStatus({ ...r, status: { phase } } as unknown as ResourceInput);
}

describe('node', () => {
  it('cordons and uncordons (idempotently)', async () => {
    const e = env();
    await node(e, 'n1');
    for (const action of ['cordon', 'cordon', 'uncordon', 'uncordon']) {
      assert.equal(await e.run((d) => runNode({ action, name: 'n1' }, d)), 0);
    }
    assert.equal(
      e.out.text,
      'node/n1 cordoned\nnode/n1 already cordoned\nnode/n1 uncordoned\nnode/n1 already uncordoned\n',
    );
    assert.equal(await e.run((d) => runNode({ action: 'cordon', name: 'n9' }, d)), 1);
    assert.equal(e.err.text, 'Error from server (NotFound): nodes "n9" not found\n');
  });

  it('drains: waits for active Runs on the node, then hands off leadership', async () => {
    let transferred = 0;
    const e = env();
    const client = Object.assign(Object.create(e.client) as typeof e.client, {
      clusterStatus: async () => ({ nodes: [], leader: 1, responder: 1 }),
      transferLeader: async () => {
        transferred++;
        return { from: 1, to: 2, term: 3 };
      },
    });
    await node(e, 'n1');
    const busy = await runOn(e, 'r1', 'n1', 'Running');
    await runOn(e, 'r2', 'n1', 'Succeeded');
    await runOn(e, 'r3', 'n2', 'Running');
    const done = e.run((d) => runNode({ action: 'drain', name: 'n1' }, { ...d, client }));
    await untilWatching(e.tc);
    assert.equal(transferred, 0);
    await e.client.updateStatus({
      ...busy,
      status: { phase: 'Succeeded' },
    } as unknown as ResourceInput);
    assert.equal(await done, 0);
    assert.equal(transferred, 1);
    assert.equal(
      e.out.text,
      [
        'node/n1 cordoned',
        'waiting for 1 run(s) on node/n1 to finish: default/r1',
        'node/n1: leadership transferred from 1 to 2 (term 3)',
        'node/n1 drained',
        '',
      ].join('\n'),
    );
    assert.equal(
      ((await e.client.get('node', '', 'n1')).spec as { unschedulable?: boolean }).unschedulable,
      true,
    );
  });

  it('drain times out with exit 5', async () => {
    const e = env();
    await node(e, 'n1');
    await runOn(e, 'r1', 'n1', 'Running');
    const armed = e.clock.nextTimer();
    const done = e.run((d) => runNode({ action: 'drain', name: 'n1', timeout: '10s' }, d));
    await armed;
    e.clock.advance(10_000);
    assert.equal(await done, 5);
    assert.equal(e.err.text, 'error: timed out waiting for the condition on nodes/n1\n');
  });
});

describe('unreachable cluster', () => {
  it('is one line and exit 3, whichever verb meets it', async () => {
    const e = env();
    const down = new UnreachableError('a:1,b:2', 'connect ECONNREFUSED a:1');
    const client = Object.assign(Object.create(e.client) as typeof e.client, {
      list: () => Promise.reject(down),
      get: () => Promise.reject(down),
      apply: () => Promise.reject(down),
    });
    const { runGet } = await import('../../../pkg/cli/verbs/get.js');
    const f = join(tempDir({ 'a.yaml': jobYaml('a') }), 'a.yaml');
    const { runApply } = await import('../../../pkg/cli/verbs/apply.js');
    assert.equal(await e.run((d) => runGet({ ...ns, kind: 'jobs' }, { ...d, client })), 3);
    assert.equal(await e.run((d) => runApply({ ...ns, filenames: [f] }, { ...d, client })), 3);
    assert.equal(e.err.text, `${down.message}\n`.repeat(2));
  });
});
