// Ordered deletion with real containers (DESIGN §3), on a real 3-node docker cluster
// through the real CLI:
//   - `jobctl delete job X` of a Job whose container runs returns only once the Job
//     and its Runs are gone, and by then the container is no longer running; the Run
//     was stopped first (Cancelled, reason Deleted, seen by a watch);
//   - --wait=false returns at once, the Job still there and marked (deletionTimestamp);
//   - a Job whose node is down is still removed, after the node grace period;
//   - deleting a CronJob whose Job runs stops that container before the CronJob
//     and its Jobs are gone.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Job, Run, WatchEvent } from '../../pkg/store/index.js';
import {
  E2ECluster,
  containersOfRun,
  eventually,
  manifestDir,
  writeJob,
} from '../support/cluster.js';
import { E2E_IMAGE, dockerGate } from '../support/docker.js';

const skip = await dockerGate();
const sel = (job: string): string => `jobctl.dev/job-name=${job}`;
const SLEEPER = ['sh', '-c', "trap 'exit 0' TERM; sleep 600 & wait"];

describe('ordered deletion on a 3-node docker cluster (CLI)', { skip, timeout: 600_000 }, () => {
  let c: E2ECluster;
  let m: { dir: string; remove: () => void };

  before(async () => {
    c = await E2ECluster.start({ runtime: 'docker', extraArgs: ['--node-grace-ms', '2000'] });
    m = manifestDir();
  });

  after(async () => {
    await c?.stop();
    m?.remove();
  });

  const runningRun = async (job: string): Promise<Run> =>
    eventually(`${job}-0 to be Running`, async () => {
      const list = JSON.parse(await c.cliOk(['get', 'runs', '-l', sel(job), '-o', 'json'])) as {
        items: Run[];
      };
      const r = list.items.find((x) => x.metadata.name === `${job}-0`);
      return r?.status.phase === 'Running' ? r : undefined;
    });

  it('delete waits until the container is stopped and the Job and its Runs are gone', async () => {
    await c.cliOk(['apply', '-f', writeJob(m.dir, 'busy', { image: E2E_IMAGE, command: SLEEPER })]);
    const run = await runningRun('busy');
    const client = c.client();
    const seen: string[] = [];
    const ac = new AbortController();
    const list = await client.list('Run', { namespace: 'default' });
    const watching = (async () => {
      try {
        for await (const ev of client.watch('Run', {
          namespace: 'default',
          resourceVersion: list.resourceVersion,
          signal: ac.signal,
        })) {
          const e = ev as WatchEvent<Run>;
          if (e.object.metadata.name === 'busy-0')
            seen.push(
              `${e.type} ${e.object.status.phase ?? ''} ${e.object.status.reason ?? ''}`.trim(),
            );
        }
      } catch (err) {
        if (!ac.signal.aborted) throw err;
      }
    })();

    const r = await c.cli(['delete', 'job', 'busy']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'job.jobctl.dev "busy" deleted\n');
    const containers = await containersOfRun(run.metadata.uid);
    assert.ok(
      containers.every((x) => x.state !== 'running'),
      `a container still runs after delete returned: ${JSON.stringify(containers)}`,
    );
    const gone = await c.cli(['get', 'job', 'busy']);
    assert.equal(gone.code, 1);
    assert.equal((await c.cliOk(['get', 'runs', '-l', sel('busy'), '-o', 'name'])).trim(), '');
    await eventually('the watch to see busy-0 deleted', () =>
      seen.includes('DELETED Cancelled Deleted') ? true : undefined,
    );
    ac.abort();
    await watching;
    assert.ok(
      seen.includes('MODIFIED Cancelled Deleted'),
      `stopped before removal: ${seen.join(', ')}`,
    );
  });

  it('--wait=false returns at once with the Job marked; it goes once its Run has stopped', async () => {
    await c.cliOk([
      'apply',
      '-f',
      writeJob(m.dir, 'quick', { image: E2E_IMAGE, command: SLEEPER }),
    ]);
    await runningRun('quick');
    const r = await c.cli(['delete', 'job', 'quick', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'job.jobctl.dev "quick" deleted\n');
    const marked = await c.getJson<Job>('job', 'quick').catch(() => undefined);
    assert.ok(marked === undefined || marked.metadata.deletionTimestamp, 'marked, or already gone');
    await eventually('quick to be gone', async () =>
      (await c.cli(['get', 'job', 'quick'])).code === 1 ? true : undefined,
    );
  });

  it('delete cronjob stops its running Job first, then removes the CronJob and its Jobs', async () => {
    const file = join(m.dir, 'nightly.yaml');
    writeFileSync(
      file,
      JSON.stringify({
        apiVersion: 'jobctl.dev/v1',
        kind: 'CronJob',
        metadata: { name: 'nightly' },
        spec: {
          schedule: '@yearly',
          suspend: true,
          jobTemplate: { spec: { image: E2E_IMAGE, command: SLEEPER } },
        },
      }),
    );
    await c.cliOk(['apply', '-f', file]);
    await c.cliOk(['create', 'job', 'nightly-now', '--from=cronjob/nightly']);
    const run = await runningRun('nightly-now');
    const r = await c.cli(['delete', 'cronjob', 'nightly']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'cronjob.jobctl.dev "nightly" deleted\n');
    const containers = await containersOfRun(run.metadata.uid);
    assert.ok(
      containers.every((x) => x.state !== 'running'),
      `a container still runs after delete returned: ${JSON.stringify(containers)}`,
    );
    assert.equal((await c.cli(['get', 'cronjob', 'nightly'])).code, 1);
    assert.equal((await c.cli(['get', 'job', 'nightly-now'])).code, 1);
    assert.equal(
      (await c.cliOk(['get', 'runs', '-l', sel('nightly-now'), '-o', 'name'])).trim(),
      '',
    );
  });

  it('a Job whose node is down is removed after the node grace period', async () => {
    await c.cliOk([
      'apply',
      '-f',
      writeJob(m.dir, 'stranded', { image: E2E_IMAGE, command: SLEEPER }),
    ]);
    const run = await runningRun('stranded');
    const victim = c.byName(run.spec.nodeName);
    await c.kill(victim.id, 'SIGKILL');
    await c.waitForLeader();
    const r = await c.cliRetry(['delete', 'job', 'stranded', '--timeout=120s']);
    assert.equal(r.code, 0, `${r.stderr}\n${c.logTail()}`);
    assert.equal(r.stdout.trim().split('\n').at(-1), 'job.jobctl.dev "stranded" deleted');
    assert.equal((await c.cli(['get', 'job', 'stranded'])).code, 1);
    c.restart(victim.id);
    await c.waitNodesReady([victim.id]);
    await eventually('the stale container on the restarted node to stop', async () =>
      (await containersOfRun(run.metadata.uid)).every((x) => x.state !== 'running')
        ? true
        : undefined,
    );
  });
});
