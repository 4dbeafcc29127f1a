// Graceful shutdown of a real jobd (DESIGN.md §5), through real processes and
// Docker: SIGTERM to the leader while two of its Runs are running. The node
// cordons itself, lets the short Run finish inside --shutdown-grace, stops the
// long one and reports it Lost/NodeShutdown, hands off leadership and exits 0.
// The job controller replaces the stopped Run at once on another node (the
// node grace period is far longer than the test), without counting it against
// backoffLimit 0. Started again, the node lifts the cordon it set itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job, Node, Run } from '../../pkg/store/index.js';
import { E2ECluster, eventually, manifestDir, writeJob } from '../support/cluster.js';
import { E2E_IMAGE, dockerGate } from '../support/docker.js';

const skip = await dockerGate();

const GRACE_S = 10;
const NODE_GRACE_MS = 300_000;

describe('jobd SIGTERM drains its Runs (CLI, docker)', { skip, timeout: 400_000 }, () => {
  let c: E2ECluster;
  let m: { dir: string; remove: () => void };

  before(async () => {
    c = await E2ECluster.start({
      runtime: 'docker',
      extraArgs: ['--shutdown-grace', `${GRACE_S}s`, '--node-grace-ms', String(NODE_GRACE_MS)],
    });
    m = manifestDir();
  });

  after(async () => {
    await c?.stop();
    m?.remove();
  });

  const runsOf = (job: string): Promise<Run[]> => c.runsOf(job);

  it('finishes what fits in the grace period, replaces the rest at once, exits 0', async () => {
    const victim = c.member(await c.waitForLeader());
    // Only the victim takes the two Jobs: the others are cordoned until both run.
    const others = c.members.filter((x) => x.id !== victim.id);
    for (const o of others) await c.cliOk(['node', 'cordon', o.name]);
    const short = writeJob(m.dir, 'short', {
      image: E2E_IMAGE,
      command: ['sh', '-c', 'sleep 4; echo finished'],
      backoffLimit: 0,
    });
    const long = writeJob(m.dir, 'long', {
      image: E2E_IMAGE,
      // Exits at once on SIGTERM, so the stop does not wait for the kill grace.
      command: ['sh', '-c', 'trap "exit 0" TERM; sleep 3600 & wait'],
      backoffLimit: 0,
    });
    await c.cliOk(['apply', '-f', short, '-f', long]);
    for (const job of ['short', 'long']) {
      await eventually(`${job} running on ${victim.name}`, async () => {
        const r = (await runsOf(job))[0];
        return r?.status?.phase === 'Running' && r.spec.nodeName === victim.name ? r : undefined;
      });
    }
    for (const o of others) await c.cliOk(['node', 'uncordon', o.name]);
    const first = (await runsOf('long'))[0] as Run;

    const sent = Date.now();
    await c.kill(victim.id, 'SIGTERM');
    const took = Date.now() - sent;
    assert.equal(victim.proc?.exitCode, 0, `jobd exit code\n${c.logTail()}`);
    assert.ok(took >= (GRACE_S - 1) * 1000, `stopped after ${took} ms, before the grace period`);

    const shortRun = (await runsOf('short'))[0] as Run;
    assert.equal(shortRun.status?.phase, 'Succeeded', 'the short Run finished inside the grace');
    const stopped = await c.getJson<Run>('run', first.metadata.name);
    assert.equal(stopped.status?.phase, 'Lost');
    assert.equal(stopped.status?.reason, 'NodeShutdown');

    // Replaced at once on another node (the node grace period is still far off).
    const replacement = await eventually('a replacement Run running elsewhere', async () => {
      const r = (await runsOf('long')).find((x) => x.metadata.uid !== first.metadata.uid);
      return r?.status?.phase === 'Running' ? r : undefined;
    });
    assert.notEqual(replacement.spec.nodeName, victim.name);
    assert.ok(Date.now() - sent < NODE_GRACE_MS);
    // The Job's own Running follows its Run's within a second (STARTED_WRITE_DELAY_MS).
    const job = await eventually('the Job Running again', async () => {
      const j = await c.getJson<Job>('job', 'long');
      return j.status?.phase === 'Running' || j.status?.phase === 'Failed' ? j : undefined;
    });
    assert.equal(job.status?.phase, 'Running', 'a NodeShutdown Run is not a failure');
    assert.equal(job.status?.failed ?? 0, 0);

    // Down, the node stays cordoned; back, it lifts the cordon it set itself.
    const down = await c.getJson<Node>('node', victim.name);
    assert.equal(down.spec?.unschedulable, true);
    c.restart(victim.id);
    await eventually('the restarted node uncordoned', async () => {
      const n = await c.getJson<Node>('node', victim.name);
      return n.spec?.unschedulable === false ? true : undefined;
    });
  });
});
