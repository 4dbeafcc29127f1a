// CronJobs on a real 3-node jobd cluster (FAKE runtime, real CLI):
//   - an invalid schedule or time zone is refused at apply, one line naming the field;
//   - the leader is killed -9 right at a tick: a new leader fires that slot (or finds
//     it fired), and a watch opened before the tick sees exactly one Job created for
//     it and none deleted; the next tick fires under the new leader;
//   - `get cronjobs`, `describe cronjob` and `create job --from=cronjob/X`.
// Waiting for the tick is waiting for a wall-clock instant (the point of the test),
// not for a condition; every other wait is on a condition.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CRONJOB_SCHEDULED_AT_ANNOTATION, type CronJob, type Job } from '../../pkg/store/index.js';
import type { WatchEvent } from '../../pkg/store/index.js';
import { E2ECluster, manifestDir } from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

const MIN = 60_000;

function cronManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({
    apiVersion: 'jobctl.dev/v1',
    kind: 'CronJob',
    metadata: { name },
    spec: {
      schedule: '* * * * *',
      successfulJobsHistoryLimit: 10,
      jobTemplate: { metadata: { labels: { app: name } }, spec: { command: ['echo', name] } },
      ...spec,
    },
  });
}

describe('CronJob on a 3-node cluster (fake runtime, CLI)', { timeout: 300_000 }, () => {
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
    const path = join(m.dir, `${name}.json`);
    writeFileSync(path, text);
    return path;
  };

  it('refuses an invalid schedule or time zone at apply with one line naming field and value', async () => {
    const bad = await c.cli([
      'apply',
      '-f',
      write('bad', cronManifest('bad', { schedule: '61 * * * *' })),
    ]);
    assert.equal(bad.code, 1);
    assert.equal(
      bad.stderr,
      `${join(m.dir, 'bad.json')}: CronJob "bad": spec.schedule: "61 * * * *": minute 61 out of range 0-59\n`,
    );
    const zone = await c.cli([
      'apply',
      '-f',
      write('zone', cronManifest('zone', { timeZone: 'Mars/Olympus' })),
    ]);
    assert.equal(zone.code, 1);
    assert.match(
      zone.stderr.trim(),
      /zone\.json: CronJob "zone": spec\.timeZone: "Mars\/Olympus" is not a known IANA time zone/,
    );
    assert.equal(zone.stderr.trim().split('\n').length, 1);
  });

  it('kill -9 of the leader at a tick: exactly one Job for that slot, and the next tick fires', async () => {
    const jobs = c.client();
    const list = await jobs.list('Job');
    const added = new Map<string, number>();
    const deleted: string[] = [];
    const ac = new AbortController();
    const watching = (async () => {
      try {
        for await (const ev of jobs.watch('Job', {
          resourceVersion: list.resourceVersion,
          signal: ac.signal,
        })) {
          const e = ev as WatchEvent<Job>;
          if (e.type === 'ADDED')
            added.set(e.object.metadata.name, (added.get(e.object.metadata.name) ?? 0) + 1);
          if (e.type === 'DELETED') deleted.push(e.object.metadata.name);
        }
      } catch (err) {
        if (!ac.signal.aborted) throw err;
      }
    })();

    await c.cliOk(['apply', '-f', write('tick', cronManifest('tick', {}))]);
    // The next minute boundary at least 10 s away: controllers have seen the CronJob.
    const tick = Math.ceil((Date.now() + 10_000) / MIN) * MIN;
    const leader = await c.leader();
    await new Promise((resolve) => setTimeout(resolve, tick - Date.now()));
    await c.kill(leader, 'SIGKILL');
    const next = await c.waitForLeader({ not: leader });

    const slotJob = `tick-${tick / MIN}`;
    const nextJob = `tick-${tick / MIN + 1}`;
    await eventually(
      `${slotJob} to be created`,
      () => (added.has(slotJob) ? true : undefined),
      60_000,
    );
    await eventually(
      `${nextJob} to be created by node ${next}`,
      () => (added.has(nextJob) ? true : undefined),
      120_000,
    );
    ac.abort();
    await watching;

    const ticks = [...added.keys()].filter((n) => n.startsWith('tick-'));
    assert.deepEqual(
      ticks.filter((n) => added.get(n) !== 1),
      [],
      `every slot's Job was created once: ${JSON.stringify([...added])}`,
    );
    assert.deepEqual(deleted, []);
    const job = await c.getJson<Job>('job', slotJob);
    assert.equal(
      job.metadata.annotations[CRONJOB_SCHEDULED_AT_ANNOTATION],
      new Date(tick).toISOString(),
    );
    const cj = await c.getJson<CronJob>('cronjob', 'tick');
    assert.ok(
      Date.parse(cj.status.lastScheduleTime ?? '') >= tick + MIN,
      `lastScheduleTime ${cj.status.lastScheduleTime}`,
    );
    await eventually(`${slotJob} to succeed`, async () =>
      (await c.getJson<Job>('job', slotJob)).status.phase === 'Succeeded' ? true : undefined,
    );
    c.restart(leader);
  });

  it('get cronjobs, describe cronjob, create job --from=cronjob/X', async () => {
    await c.cliOk([
      'apply',
      '-f',
      write(
        'nightly',
        cronManifest('nightly', {
          schedule: '30 2 * * *',
          timeZone: 'Europe/Berlin',
          suspend: true,
        }),
      ),
    ]);
    const table = await c.cliOk(['get', 'cronjobs', 'nightly']);
    const [header, row] = table.trimEnd().split('\n');
    assert.match(
      header ?? '',
      /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+NEXT\s+AGE$/,
    );
    assert.match(
      row ?? '',
      /^nightly\s+30 2 \* \* \*\s+Europe\/Berlin\s+True\s+0\s+<none>\s+<none>\s+/,
    );

    await c.cliOk([
      'apply',
      '-f',
      write(
        'nightly',
        cronManifest('nightly', { schedule: '30 2 * * *', timeZone: 'Europe/Berlin' }),
      ),
    ]);
    const text = await c.cliOk(['describe', 'cronjob', 'nightly']);
    const next = text.split('\n').filter((l) => / 02:30 \+0[12]:00 \(in /.test(l));
    assert.equal(next.length, 3, text);

    assert.equal(
      await c.cliOk(['create', 'job', 'nightly-now', '--from=cronjob/nightly']),
      'job.jobctl.dev/nightly-now created\n',
    );
    await eventually('nightly-now to succeed', async () =>
      (await c.getJson<Job>('job', 'nightly-now')).status.phase === 'Succeeded' ? true : undefined,
    );
    const cj = await c.getJson<CronJob>('cronjob', 'nightly');
    await eventually('the CronJob to record the manual run as successful', async () =>
      (await c.getJson<CronJob>('cronjob', 'nightly')).status.lastSuccessfulTime ? true : undefined,
    );
    assert.equal(cj.status.lastScheduleTime, undefined, 'a manual run is not a scheduled one');
  });
});
