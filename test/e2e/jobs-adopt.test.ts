// Agent restart with a container still running: a real 3-node jobd cluster
// (--runtime docker, a node grace period long enough that the restarted node is
// never declared lost), driven through the real CLI. kill -9 of the node whose
// container runs, then restart it: the new agent adopts the container (same
// container id, output before and after the restart in one log), the Run finishes
// Succeeded, and Docker's own event stream shows exactly one container creation
// for that Run.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job, Run } from '../../pkg/store/index.js';
import {
  E2ECluster,
  containerCreations,
  containersOfRun,
  eventually,
  manifestDir,
  writeJob,
} from '../support/cluster.js';
import { E2E_IMAGE, dockerGate } from '../support/docker.js';

const skip = await dockerGate();

describe('agent restart adopts its container (CLI, docker)', { skip, timeout: 400_000 }, () => {
  let c: E2ECluster;
  let m: { dir: string; remove: () => void };

  before(async () => {
    c = await E2ECluster.start({
      runtime: 'docker',
      extraArgs: [
        '--node-grace-ms',
        '30000',
        '--backoff-base-ms',
        '100',
        '--backoff-max-ms',
        '500',
      ],
    });
    m = manifestDir();
  });

  after(async () => {
    await c?.stop();
    m?.remove();
  });

  const runsOf = (job: string): Promise<Run[]> => c.runsOf(job);

  it('kill -9 of the node while its container runs, restart: adopted, started once', async () => {
    const sinceS = Math.floor(Date.now() / 1000) - 1;
    const file = writeJob(m.dir, 'adopt', {
      image: E2E_IMAGE,
      command: ['sh', '-c', 'echo before; sleep 8; echo after'],
      backoffLimit: 0,
    });
    await c.cliOk(['apply', '-f', file]);
    const run = await eventually('adopt-0 to be Running', async () => {
      const r = (await runsOf('adopt'))[0];
      return r?.status?.phase === 'Running' && r.status.containerID ? r : undefined;
    });
    const node = c.byName(run.spec.nodeName);
    await c.kill(node.id, 'SIGKILL');

    // The container outlives its agent.
    const during = await containersOfRun(run.metadata.uid);
    assert.equal(during.length, 1);
    assert.equal(during[0]?.state, 'running', 'the container kept running without its agent');

    c.restart(node.id);
    const w = await c.cliRetry(['wait', 'job/adopt', '--for=condition=finished', '--timeout=300s']);
    assert.equal(w.code, 0, `wait: ${w.code} ${w.stderr}\n${c.logTail()}`);

    const runs = await runsOf('adopt');
    assert.equal(runs.length, 1, runs.map((r) => r.metadata.name).join(' '));
    const done = runs[0] as Run;
    assert.equal(done.metadata.uid, run.metadata.uid);
    assert.equal(done.status?.phase, 'Succeeded');
    assert.equal(done.status?.exitCode, 0);
    assert.equal(done.status?.containerID, run.status?.containerID, 'same container adopted');
    assert.equal(done.spec.nodeName, node.name);
    const job = await c.getJson<Job>('job', 'adopt');
    assert.equal(job.status?.succeeded, 1);

    assert.equal(await containerCreations(run.metadata.uid, sinceS), 1, 'containers created');

    const logs = await c.cliRetry(['logs', 'job/adopt']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.deepEqual(logs.stdout.trim().split('\n'), ['before', 'after']);
  });
});
