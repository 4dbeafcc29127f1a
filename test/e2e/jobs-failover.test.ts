// Node loss with real containers: a real 3-node jobd cluster (--runtime docker,
// --node-grace-ms 2000, short back-off), driven through the real CLI.
//   - kill -9 of the node running a long Run: the Run becomes Lost (NodeLost) and a
//     replacement succeeds on another node, without counting against backoffLimit 0;
//     the restarted node kills the stale container and cannot report on the Lost Run
//     (the Run sleeps until stopped, so the stale container is always there to kill)
//   - kill -9 of the leader mid-way through 50 Jobs: all 50 finish Succeeded
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job, Run } from '../../pkg/store/index.js';
import {
  E2ECluster,
  containerEvents,
  containersOfRun,
  eventually,
  manifestDir,
  writeJob,
} from '../support/cluster.js';
import { E2E_IMAGE, dockerGate, getDocker } from '../support/docker.js';

const skip = await dockerGate();

describe('node loss on a 3-node docker cluster (CLI)', { skip, timeout: 600_000 }, () => {
  let c: E2ECluster;
  let m: { dir: string; remove: () => void };

  before(async () => {
    c = await E2ECluster.start({
      runtime: 'docker',
      // --max-runs 2: Docker here does about one container a second however many are
      // in flight, so 6 at a time finish the 50 Jobs as fast as 48 would, without
      // flooding the engine that the other e2e files share.
      extraArgs: [
        '--node-grace-ms',
        '2000',
        '--backoff-base-ms',
        '100',
        '--backoff-max-ms',
        '500',
        '--max-runs',
        '2',
      ],
    });
    m = manifestDir();
  });

  after(async () => {
    await c?.stop();
    m?.remove();
  });

  const runsOf = (job: string): Promise<Run[]> => c.runsOf(job);
  const runNamed = async (job: string, name: string): Promise<Run | undefined> =>
    (await runsOf(job)).find((r) => r.metadata.name === name);

  it('kill -9 of the node running a long Run: Lost, replaced elsewhere, stale container killed', async (t) => {
    // Sleeps until stopped, then exits 0: it cannot end by itself before the
    // restarted node gets to the stale container, however slow the machine, and
    // the test ends the replacement with a SIGTERM (docker stop) when it is done.
    const file = writeJob(m.dir, 'long', {
      image: E2E_IMAGE,
      command: ['sh', '-c', "trap 'exit 0' TERM; sleep 600 & wait"],
      backoffLimit: 0,
    });
    await c.cliOk(['apply', '-f', file]);
    const first = await eventually('long-0 to be Running', async () => {
      const r = await runNamed('long', 'long-0');
      return r?.status?.phase === 'Running' ? r : undefined;
    });
    const victim = c.byName(first.spec.nodeName);
    const startedAt = Date.now();
    const sinceS = Math.floor(startedAt / 1000) - 30;
    await c.kill(victim.id, 'SIGKILL');

    // The Run is declared Lost once the grace period passes (a new leader, if the
    // victim led, waits one more grace period), and a replacement is placed elsewhere.
    const lost = await eventually(
      'long-0 to become Lost',
      async () => {
        const r = await runNamed('long', 'long-0');
        return r?.status?.phase === 'Lost' ? r : undefined;
      },
      60_000,
    );
    assert.equal(lost.status?.reason, 'NodeLost');
    t.diagnostic(`Run Lost ${Date.now() - startedAt} ms after kill -9 of ${victim.name}`);
    const replacement = await eventually(
      'a replacement Run bound to a node',
      async () => {
        const r = (await runsOf('long')).find((x) => x.metadata.name !== 'long-0');
        return r?.spec.nodeName ? r : undefined;
      },
      60_000,
    );
    assert.notEqual(replacement.spec.nodeName, victim.name, 'replacement on the dead node');

    // The old node comes back while its container still sleeps: its report on the
    // Lost Run is refused, so it kills that container instead (Docker records a kill).
    const stale = await containersOfRun(lost.metadata.uid);
    assert.ok(
      stale.some((x) => x.state === 'running'),
      `the stale container is not running before the restart: ${JSON.stringify(stale)}`,
    );
    c.restart(victim.id);
    await c.waitNodesReady([victim.id]);
    await eventually(
      'the stale container on the restarted node to stop',
      async () => {
        const cs = await containersOfRun(lost.metadata.uid);
        return cs.every((x) => x.state !== 'running') ? true : undefined;
      },
      120_000,
    );
    const kills = await containerEvents(lost.metadata.uid, sinceS, 'kill');
    t.diagnostic(`stale container stopped; Docker kill events: ${kills}`);
    assert.ok(kills > 0, 'the stale container stopped without being killed');

    // The replacement runs elsewhere until told to stop; stopped, it exits 0.
    const running = await eventually(
      'the replacement Run to be Running',
      async () => {
        const r = await runNamed('long', replacement.metadata.name);
        return r?.status?.phase === 'Running' ? r : undefined;
      },
      120_000,
    );
    for (const x of await containersOfRun(running.metadata.uid)) {
      if (x.state === 'running') await getDocker().getContainer(x.id).stop({ t: 30 });
    }

    const w = await c.cliRetry(['wait', 'job/long', '--for=condition=finished', '--timeout=300s']);
    assert.equal(w.code, 0, `wait: ${w.code} ${w.stderr}\n${c.logTail()}`);
    const runs = await runsOf('long');
    const byName = new Map(runs.map((r) => [r.metadata.name, r]));
    assert.equal(byName.get('long-0')?.status?.phase, 'Lost', 'the Lost Run stays Lost (fenced)');
    const done = runs.filter((r) => r.status?.phase === 'Succeeded');
    assert.equal(
      done.length,
      1,
      runs.map((r) => `${r.metadata.name}:${r.status?.phase}`).join(' '),
    );
    assert.notEqual(done[0]?.spec.nodeName, victim.name);
    const job = await c.getJson<Job>('job', 'long');
    assert.equal(job.status?.phase, 'Succeeded');
    assert.ok(!job.status?.failed, `a Lost Run counted as failed: ${JSON.stringify(job.status)}`);
    await c.waitNodesReady();
  });

  it('kill -9 of the leader mid-way through 50 Jobs: all 50 Succeed', async (t) => {
    const n = 50;
    const docs: string[] = [];
    for (let i = 0; i < n; i++) {
      docs.push(
        JSON.stringify({
          apiVersion: 'jobctl.dev/v1',
          kind: 'Job',
          metadata: { name: `many-${i}`, labels: { suite: 'many' } },
          spec: { image: E2E_IMAGE, command: ['true'], resources: { cpu: '100m', memory: '32Mi' } },
        }),
      );
    }
    const file = join(m.dir, 'many.yaml');
    writeFileSync(file, docs.join('\n---\n'));
    await c.waitNodesReady();
    const applied = await c.cliOk(['apply', '-f', file]);
    assert.equal(applied.trim().split('\n').length, n);

    const client = c.client();
    const succeeded = async (): Promise<Job[]> =>
      (
        (await client.list('jobs', { labelSelector: 'suite=many' })).items as unknown as Job[]
      ).filter((j) => j.status?.phase === 'Succeeded');
    const before = await eventually(
      'some of the 50 Jobs to succeed',
      async () => {
        const ok = (await succeeded()).length;
        return ok >= 5 ? ok : undefined;
      },
      120_000,
      50,
    );
    assert.ok(before < n, `all ${n} Jobs finished before the leader could be killed`);
    const leader = await c.leader();
    const killedAt = Date.now();
    await c.kill(leader, 'SIGKILL');
    await c.waitForLeader({ not: leader });
    t.diagnostic(`leader ${leader} killed with ${before}/${n} Jobs Succeeded`);

    await eventually(
      'all 50 Jobs to succeed after the leader died',
      async () => ((await succeeded()).length === n ? true : undefined),
      300_000,
      200,
    );
    t.diagnostic(`all ${n} Succeeded ${Date.now() - killedAt} ms after the kill`);
    const runs = (await client.list('runs')).items as unknown as Run[];
    const failed = runs.filter(
      (r) => r.spec.jobName.startsWith('many-') && r.status?.phase === 'Failed',
    );
    assert.deepEqual(
      failed.map((r) => `${r.metadata.name}: ${r.status?.message}`),
      [],
    );
    for (const j of (await client.list('jobs', { labelSelector: 'suite=many' }))
      .items as unknown as Job[])
      assert.equal(j.status?.succeeded, 1, j.metadata.name);
    c.restart(leader);
    await c.waitNodesReady();
  });
});
