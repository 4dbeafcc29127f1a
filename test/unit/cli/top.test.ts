// `jobctl top nodes` through the CLI's injected streams: allocated (requests of
// the unfinished Runs bound to each node, every namespace) vs allocatable (or
// capacity), percentages, status, -o json, names, and usage errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runTop, type TopOptions } from '../../../pkg/cli/verbs/top.js';
import { API_VERSION, type ResourceInput } from '../../../pkg/store/index.js';
import { env, jobInput, type Env } from './helpers.js';

const top = (o: Partial<TopOptions> = {}): TopOptions => ({
  namespace: 'default',
  kind: 'nodes',
  names: [],
  ...o,
});

const ready = (status: 'True' | 'False') => [
  { type: 'Ready', status, lastTransitionTime: '2025-01-01T00:00:00Z' },
];

async function seed(e: Env): Promise<void> {
  await e.client.create({
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name: 'n1' },
    status: {
      conditions: ready('True'),
      capacity: { cpu: '8', memory: '16Gi', runs: 16 },
      allocatable: { cpu: '4', memory: '8Gi', runs: 8 },
    },
  } as ResourceInput);
  await e.client.create({
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name: 'n2' },
    spec: { unschedulable: true },
    status: { conditions: ready('False'), capacity: { cpu: '2', memory: '2Gi', runs: 4 } },
  } as ResourceInput);
  const run = async (
    name: string,
    node: string,
    phase: string,
    resources?: Record<string, string>,
    namespace = 'default',
  ): Promise<void> => {
    const job = await e.client.create(jobInput(name.replace(/-\d+$/, ''), {}, { namespace }));
    const created = await e.client.create({
      apiVersion: API_VERSION,
      kind: 'Run',
      metadata: { name, namespace },
      spec: {
        jobName: job.metadata.name,
        jobUid: job.metadata.uid,
        attempt: 0,
        nodeName: node,
        container: { ...(job.spec as object), ...(resources ? { resources } : {}) },
      },
    } as ResourceInput);
    await e.client.updateStatus({ ...created, status: { phase } } as unknown as ResourceInput);
  };
  await run('big-0', 'n1', 'Running', { cpu: '1500m', memory: '512Mi' });
  await run('small-0', 'n1', 'Scheduled'); // defaults: 500m, 256Mi
  await run('done-0', 'n1', 'Succeeded', { cpu: '2', memory: '1Gi' }); // finished: not counted
  await run('other-0', 'n2', 'Running', { cpu: '1', memory: '1Gi' }, 'team-a');
}

describe('top nodes', () => {
  it('prints allocated vs allocatable (else capacity) per node, from every namespace', async () => {
    const e = env();
    await seed(e);
    assert.equal(await e.run((d) => runTop(top(), d)), 0);
    assert.equal(
      e.out.text,
      [
        'NAME   STATUS                        CPU(alloc/cap)   CPU%   MEMORY(alloc/cap)   MEMORY%   RUNS(active/cap)   RUNS%',
        'n1     Ready                         2/4              50%    768Mi/8192Mi        9%        2/8                25%',
        'n2     NotReady,SchedulingDisabled   1/2              50%    1024Mi/2048Mi       50%       1/4                25%',
        '',
      ].join('\n'),
    );
    assert.equal(e.err.text, '');
  });

  it('-o json gives the raw numbers; names select nodes', async () => {
    const e = env();
    await seed(e);
    assert.equal(await e.run((d) => runTop(top({ names: ['n1'], output: 'json' }), d)), 0);
    const { items } = JSON.parse(e.out.text) as { items: unknown[] };
    assert.deepEqual(items, [
      {
        name: 'n1',
        status: 'Ready',
        cpu: { allocated: 2000, capacity: 4000 },
        memory: { allocated: 768 * 1024 * 1024, capacity: 8 * 1024 * 1024 * 1024 },
        runs: { active: 2, capacity: 8 },
      },
    ]);
  });

  it('names a missing node, refuses other kinds, says when there are no nodes', async () => {
    const e = env();
    await seed(e);
    assert.equal(await e.run((d) => runTop(top({ names: ['n9'] }), d)), 1);
    assert.equal(e.err.text, 'Error from server (NotFound): nodes "n9" not found\n');
    e.reset();
    assert.equal(await e.run((d) => runTop(top({ kind: 'jobs' }), d)), 2);
    assert.match(e.err.text, /top supports nodes only, not "jobs"/);
    const empty = env();
    assert.equal(await empty.run((d) => runTop(top(), d)), 0);
    assert.equal(empty.out.text, '');
    assert.equal(empty.err.text, 'No resources found\n');
  });

  it('colours the status only on a TTY', async () => {
    const ESC = String.fromCharCode(27);
    const tty = env({ isTTY: true });
    await seed(tty);
    await tty.run((d) => runTop(top(), d));
    assert.ok(tty.out.text.includes(ESC));
    const plain = env({ isTTY: true, vars: { NO_COLOR: '1' } });
    await seed(plain);
    await plain.run((d) => runTop(top(), d));
    assert.ok(!plain.out.text.includes(ESC));
  });
});
