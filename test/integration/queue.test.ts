// Queues on a real 3-node jobd cluster (FAKE runtime, real CLI):
//   - a Job naming a Queue that does not exist is refused at apply, one line;
//   - a Queue with maxRunning 2 and 6 Jobs: a watch on the Runs never sees more
//     than 2 of them bound and unfinished at once; `get queues` and `describe
//     queue` show who waits, in order, and the Runs' messages their positions;
//   - the leader is killed -9 while Runs wait: the new leader starts them in
//     the same order (each Run starts only after every Run ahead of it);
//   - `apply --dry-run=server` says where a Job's first Run would go, or why not.
// The leader is cordoned first, so killing it loses no Run (a lost Run would be
// replaced by a new, younger one: a different order on purpose, not this test's).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isFinalRunPhase, type Queue, type Run, type WatchEvent } from '../../pkg/store/index.js';
import { E2ECluster, manifestDir } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

const JOBS = ['q1', 'q2', 'q3', 'q4', 'q5', 'q6'];

function manifests(queue: Record<string, unknown>, jobs: readonly string[], sleep: number): string {
  const docs = [
    { apiVersion: 'jobctl.dev/v1', kind: 'Queue', metadata: { name: 'batch' }, spec: queue },
    ...jobs.map((name) => ({
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      metadata: { name },
      spec: { queue: 'batch', command: ['sh', '-c', `echo ${name}; sleep ${sleep}`] },
    })),
  ];
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

describe('Queues on a 3-node cluster (fake runtime, CLI)', { timeout: 300_000 }, () => {
  let c: E2ECluster;
  let m: { dir: string; remove: () => void };

  before(async () => {
    c = await E2ECluster.start({ runtime: 'fake', extraArgs: ['--node-grace-ms', '2000'] });
    await c.waitNodesReady();
    m = manifestDir();
  });

  after(async () => {
    await c?.stop();
    m?.remove();
  });

  const write = (name: string, text: string): string => {
    const path = join(m.dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('refuses a Job naming a Queue that does not exist, in one line', async () => {
    const path = write(
      'lost.yaml',
      JSON.stringify({
        apiVersion: 'jobctl.dev/v1',
        kind: 'Job',
        metadata: { name: 'lost' },
        spec: { queue: 'nope', command: ['true'] },
      }),
    );
    const r = await c.cli(['apply', '-f', path]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      'Error from server (Invalid): Job "lost": spec.queue: queue "nope" not found (create the Queue first: jobctl explain queue)\n',
    );
  });

  it('never runs more than maxRunning, shows positions, and keeps the order through a leader kill', async () => {
    const leader = await c.leader();
    await c.cliOk(['node', 'cordon', c.member(leader).name]);
    const follower = c.members.find((x) => x.id !== leader)?.id ?? 0;
    const client = c.client([follower]);
    const start = await client.list('Run');

    // Every Run state the cluster commits, in order, from a node that stays up.
    const states = new Map<string, Run>();
    let maxRunning = 0;
    const boundOrder: string[] = [];
    const messages = new Set<string>();
    const ac = new AbortController();
    const watching = (async () => {
      try {
        for await (const ev of client.watch('Run', {
          resourceVersion: start.resourceVersion,
          signal: ac.signal,
        })) {
          const e = ev as WatchEvent<Run>;
          const run = e.object;
          const name = run.metadata.name;
          if (e.type === 'DELETED') states.delete(name);
          else states.set(name, run);
          if (run.spec.nodeName && !boundOrder.includes(name)) boundOrder.push(name);
          if (run.status.message) messages.add(run.status.message);
          const running = [...states.values()].filter(
            (r) => r.spec.queue === 'batch' && r.spec.nodeName && !isFinalRunPhase(r.status.phase),
          ).length;
          maxRunning = Math.max(maxRunning, running);
        }
      } catch (err) {
        if (!ac.signal.aborted) throw err;
      }
    })();

    await c.cliOk(['apply', '-f', write('queue.yaml', manifests({ maxRunning: 2 }, JOBS, 8))]);

    // Positions: the Queue lists who waits, in order; the waiting Runs say where they are.
    const described = await eventually('describe queue to list 4 waiting Runs', async () => {
      const out = await c.cliOk(['describe', 'queue', 'batch']);
      return /^Pending:\s+4$/m.test(out) ? out : undefined;
    });
    const rows = described
      .slice(described.indexOf('Waiting:'))
      .split('\n')
      .slice(2, 6)
      .map((l) => l.trim().split(/\s+/).slice(0, 3));
    assert.deepEqual(rows, [
      ['1', 'q3-0', 'q3'],
      ['2', 'q4-0', 'q4'],
      ['3', 'q5-0', 'q5'],
      ['4', 'q6-0', 'q6'],
    ]);
    assert.match(
      await c.cliOk(['get', 'queues']),
      /^NAME\s+RUNNING\s+PENDING\s+LIMIT\s+AGE\nbatch\s+2\s+4\s+2\s+/,
    );
    const q5 = await c.cliOk(['describe', 'job', 'q5']);
    assert.match(q5, /^Waiting:\s+queue batch is full \(2\/2 running\), position 3 of 4$/m);

    // A server dry run meanwhile: the queue is full; a Job too big fits no node.
    const dry = await c.cliOk([
      'apply',
      '--dry-run=server',
      '-f',
      write('dry.yaml', manifests({ maxRunning: 2 }, ['q7'], 1)),
    ]);
    assert.match(dry, /^job\.jobctl\.dev\/q7 created \(server dry run\)$/m);
    // Last in line (how long the line is depends on how far the Runs got meanwhile).
    assert.match(
      dry,
      /^ {2}first Run: queue batch is full \(2\/2 running\), position (\d) of \1$/m,
    );
    const dryRunJob = async (name: string, memory: string): Promise<string> => {
      const spec = { command: ['true'], resources: { cpu: '100m', memory } };
      const doc = { apiVersion: 'jobctl.dev/v1', kind: 'Job', metadata: { name }, spec };
      const path = write(`${name}.yaml`, JSON.stringify(doc));
      return c.cliOk(['apply', '--dry-run=server', '-f', path]);
    };
    assert.match(
      await dryRunJob('big', '100000Gi'),
      /^ {2}first Run: 0\/3 nodes available: 2 insufficient memory, 1 node\(s\) were unschedulable$/m,
    );
    assert.match(
      await dryRunJob('small', '64Mi'),
      /^ {2}first Run: would be placed on e2e[0-9a-f]+-[0-9]$/m,
    );
    assert.equal((await c.cli(['get', 'job', 'q7'])).code, 1, 'a dry run stores nothing');

    // Kill the leader while 4 Runs wait; the new leader carries on in the same order.
    await c.kill(leader, 'SIGKILL');
    await c.waitForLeader({ not: leader });
    await eventually(
      'all 6 Jobs to succeed',
      async () => {
        const jobs = await client.list('Job');
        const done = jobs.items.filter(
          (j) =>
            JOBS.includes(j.metadata.name) &&
            (j.status as { phase?: string }).phase === 'Succeeded',
        );
        return done.length === JOBS.length ? true : undefined;
      },
      180_000,
      500,
    );
    ac.abort();
    await watching;

    assert.ok(maxRunning <= 2, `at most 2 running at once, saw ${maxRunning}`);
    assert.equal(maxRunning, 2, 'the queue was used to its limit');
    const runs = JOBS.map((j) => `${j}-0`);
    assert.deepEqual(
      boundOrder.filter((n) => runs.includes(n)).map((n) => n.split('-')[0]),
      JOBS,
      'each Run started after every Run ahead of it',
    );
    for (const pos of [1, 2, 3, 4]) {
      assert.ok(
        [...messages].some((msg) => msg.endsWith(`position ${pos} of 4`)),
        `a Run was told position ${pos} of 4: ${[...messages].join(' | ')}`,
      );
    }
    const queue = await c.getJson<Queue>('queue', 'batch');
    assert.equal(queue.status.pending ?? 0, 0);
    c.restart(leader);
  });
});
