// The process runtime across a jobd crash, through real processes: a Run whose
// process the restarted jobd cannot adopt (not its child any more, exit status
// unobservable) is reported Lost/ContainerLost once the process has ended, not
// Failed, so the Job is retried without counting it against backoffLimit 0 and
// succeeds. One node; every wait is on a condition.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Job, Run } from '../../pkg/store/index.js';
import { E2ECluster, manifestDir, writeJob } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

describe(
  'process runtime: a Run it cannot adopt after a restart is Lost',
  { timeout: 180_000 },
  () => {
    let c: E2ECluster;
    let m: { dir: string; remove: () => void };

    before(async () => {
      c = await E2ECluster.start({
        nodes: 1,
        runtime: 'process',
        extraArgs: ['--backoff-base-ms', '100'],
      });
      m = manifestDir();
    });

    after(async () => {
      await c?.stop();
      m?.remove();
    });

    const run = async (name: string): Promise<Run | undefined> =>
      (
        JSON.parse(
          await c.cliOk(['get', 'runs', '-l', 'jobctl.dev/job-name=adopt', '-o', 'json']),
        ) as {
          items: Run[];
        }
      ).items.find((r) => r.metadata.name === name);

    it('kill -9 of jobd under a running process: Lost/ContainerLost, replaced, Job Succeeded with 0 failures', async () => {
      await c.cliOk([
        'apply',
        '-f',
        writeJob(m.dir, 'adopt', { command: ['sleep', '3'], backoffLimit: 0 }),
      ]);
      await eventually('adopt-0 Running', async () =>
        (await run('adopt-0'))?.status.phase === 'Running' ? true : undefined,
      );
      await c.kill(1, 'SIGKILL'); // the sleep lives on in its own process group
      c.restart(1);
      await c.waitForLeader();

      const lost = await eventually('adopt-0 to be reported', async () => {
        const r = await run('adopt-0');
        return r && r.status.phase !== 'Running' ? r : undefined;
      });
      assert.equal(lost.status.phase, 'Lost', JSON.stringify(lost.status));
      assert.equal(lost.status.reason, 'ContainerLost');
      const job = await eventually('the Job to finish', async () => {
        const j = await c.getJson<Job>('job', 'adopt');
        return j.status.phase === 'Succeeded' || j.status.phase === 'Failed' ? j : undefined;
      });
      assert.equal(job.status.phase, 'Succeeded', JSON.stringify(job.status));
      assert.equal(job.status.failed, 0);
      assert.equal((await run('adopt-1'))?.status.phase, 'Succeeded');
    });
  },
);
