// Queues end to end, as the README walk-through shows them: 3 jobd nodes
// (--runtime docker) driven by the real CLI. manifests/examples/queue.yaml (a
// Queue running 2 at a time, 6 Jobs) is applied; `get queues`, `describe
// queue` and `describe job` show who runs, who waits and where; at most 2 of
// its containers run at once; `apply --dry-run=server` says why
// manifests/examples/node-selector.yaml would not be placed.
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { E2ECluster, eventually } from '../support/cluster.js';
import { dockerGate, getDocker } from '../support/docker.js';

const skip = await dockerGate();
const EXAMPLES = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'manifests',
  'examples',
);

describe('queues on 3 docker nodes (CLI, README walk-through)', { skip, timeout: 300_000 }, () => {
  let c: E2ECluster;

  before(async () => {
    c = await E2ECluster.start({ runtime: 'docker' });
    await c.waitNodesReady();
  });

  after(async () => {
    await c?.stop();
  });

  it('get queues, describe queue, describe job, and containers capped at 2', async () => {
    const applied = await c.cliOk(['apply', '-f', join(EXAMPLES, 'queue.yaml')]);
    assert.equal(
      applied,
      [
        'queue.jobctl.dev/batch created',
        ...[1, 2, 3, 4, 5, 6].map((i) => `job.jobctl.dev/render-${i} created`),
        '',
      ].join('\n'),
    );
    const table = await eventually('get queues to show 2 running and 4 pending', async () => {
      const out = await c.cliOk(['get', 'queues']);
      return /^batch\s+2\s+4\s+2\s+\S+$/m.test(out) ? out : undefined;
    });
    assert.match(table, /^NAME\s+RUNNING\s+PENDING\s+LIMIT\s+AGE$/m);

    const queue = await c.cliOk(['describe', 'queue', 'batch']);
    const rows = queue
      .slice(queue.indexOf('Waiting:'))
      .split('\n')
      .slice(2, 6)
      .map((l) => l.trim().split(/\s+/).slice(0, 3).join(' '));
    assert.deepEqual(rows, [
      '1 render-3-0 render-3',
      '2 render-4-0 render-4',
      '3 render-5-0 render-5',
      '4 render-6-0 render-6',
    ]);
    assert.match(
      await c.cliOk(['describe', 'job', 'render-5']),
      /^Waiting:\s+queue batch is full \(2\/2 running\), position 3 of 4$/m,
    );

    // The cluster's containers of this queue: never more than 2 at once, checked a few times.
    const ours = async (): Promise<number> => {
      const list = await getDocker().listContainers({
        filters: { label: ['jobctl.run.uid'], status: ['running'] },
      });
      return list.filter(
        (x) =>
          (x.Labels['jobctl.node'] ?? '').startsWith(c.prefix) &&
          (x.Labels['jobctl.job.name'] ?? '').startsWith('render-'),
      ).length;
    };
    await eventually(
      '2 render containers running',
      async () => ((await ours()) === 2 ? true : undefined),
      60_000,
    );
    for (let i = 0; i < 5; i++) assert.ok((await ours()) <= 2);
  });

  it('apply --dry-run=server says where the first Run would go, or why not', async () => {
    const out = await c.cliOk([
      'apply',
      '-f',
      join(EXAMPLES, 'node-selector.yaml'),
      '--dry-run=server',
    ]);
    assert.equal(
      out,
      'job.jobctl.dev/ssd-only created (server dry run)\n' +
        "  first Run: 0/3 nodes available: 3 node(s) didn't match nodeSelector\n",
    );
    assert.match(
      await c.cliOk(['apply', '-f', join(EXAMPLES, 'hello.yaml'), '--dry-run=server']),
      /^job\.jobctl\.dev\/hello created \(server dry run\)\n {2}first Run: would be placed on \S+\n$/,
    );
  });
});
