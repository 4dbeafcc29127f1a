// Events on a real node (in-process startNode: Raft, store, controllers, agent
// with the fake runtime) seen through the real CLI (child processes):
//   - a Job that runs leaves its events (SuccessfulCreate, Scheduled,
//     Started, Completed) in order; `get events --for job/NAME` shows only the
//     Job's, `describe job` shows the Job's and its Run's;
//   - a repeated event is one Event whose count is bumped (-o wide COUNT);
//   - with --event-ttl-ms (eventTtlMs) short, every Event is gone after it.
// The unit tests (test/unit/events, test/unit/cli/events.test.ts) cover the
// recorder, the TTL controller and the printers in detail on a fake clock.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StoreEventRecorder } from '../../pkg/events/index.js';
import { freePorts } from '../../pkg/node/local-cluster.js';
import { silentNodeLogger } from '../../pkg/node/logger.js';
import { startNode, type JobdNode } from '../../pkg/node/node.js';
import { type Event } from '../../pkg/store/index.js';
import { realClock } from '../../pkg/util/clock.js';
import { CliRunner } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

// Long enough that the first two tests (a Job's whole life plus a handful of
// CLI processes, 1-2 s each on a loaded machine) read their Events before the
// TTL controller deletes them; a 15 s TTL made `describe` show "Events: <none>"
// under load 20.
const TTL_MS = 45_000;

describe('events on a real node', { timeout: 300_000 }, () => {
  let dir: string;
  let node: JobdNode;
  let cli: CliRunner;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-events-'));
    const [grpcPort] = await freePorts(1);
    const listen = `127.0.0.1:${grpcPort}`;
    node = await startNode(
      {
        id: 1,
        listen,
        peers: new Map([[1, listen]]),
        dataDir: join(dir, 'node'),
        tickMs: 20,
        electionTick: 6,
        heartbeatTick: 1,
        snapshotEvery: 50_000,
        runtime: 'fake',
        eventTtlMs: TTL_MS,
        labels: {},
      },
      silentNodeLogger,
    );
    await node.raft.waitForLeader(10_000);
    cli = new CliRunner({ server: listen, dir });
  });

  after(async () => {
    cli?.killAll();
    await node?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const events = async (): Promise<Event[]> =>
    (await node.api.list('Event', { namespace: 'default' })).items as unknown as Event[];

  it('records a run’s events in order; get --for and describe show them', async () => {
    const r = await cli.run(['run', 'ev-hello', '--image', 'busybox', '--', 'echo', 'hi'], 60_000);
    assert.equal(r.code, 0, r.stderr);
    await eventually(
      'the Job succeeded and its events were written',
      async () => {
        const job = await node.api.get('Job', 'default', 'ev-hello');
        if ((job.status as { phase?: string })?.phase !== 'Succeeded') return undefined;
        const reasons = new Set((await events()).map((e) => e.spec.reason));
        return ['SuccessfulCreate', 'Scheduled', 'Started', 'Completed'].every((x) =>
          reasons.has(x),
        )
          ? true
          : undefined;
      },
      60_000,
    );

    // All events, oldest first by last seen: the lifecycle order.
    const all = await cli.run(['get', 'events']);
    assert.equal(all.code, 0, all.stderr);
    const reasons = all.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/)[2]);
    const at = (reason: string): number => reasons.indexOf(reason);
    assert.ok(at('SuccessfulCreate') >= 0, all.stdout);
    assert.ok(at('SuccessfulCreate') < at('Started'), all.stdout);
    assert.ok(at('Scheduled') < at('Started'), all.stdout);
    assert.ok(at('Started') < at('Completed'), all.stdout);

    const forJob = await cli.run(['get', 'events', '--for', 'job/ev-hello']);
    assert.equal(forJob.code, 0, forJob.stderr);
    const objects = forJob.stdout
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((l) => l.split(/\s{2,}/)[3]);
    assert.ok(objects.length > 0);
    assert.deepEqual(new Set(objects), new Set(['job/ev-hello']), forJob.stdout);

    const described = await cli.run(['describe', 'job', 'ev-hello']);
    assert.equal(described.code, 0, described.stderr);
    const section = described.stdout.slice(described.stdout.indexOf('Events:'));
    assert.match(section, /Normal\s+SuccessfulCreate\s.*Created run: ev-hello-0/);
    assert.match(section, /Normal\s+Scheduled\s.*run\/ev-hello-0: Successfully assigned/);
    assert.match(section, /Normal\s+Started\s.*run\/ev-hello-0: Started container/);
  });

  it('a repeated event bumps the count of one Event', async () => {
    const recorder = new StoreEventRecorder({
      client: node.api,
      clock: realClock,
      component: 'obs-test',
      flushMs: 10_000, // flushed by hand below
    });
    const job = await node.api.get('Job', 'default', 'ev-hello');
    try {
      for (let i = 0; i < 3; i++) {
        recorder.record(job, 'Warning', 'Probe', 'the same thing happened again');
        await recorder.flush();
      }
    } finally {
      await recorder.stop();
    }
    const probes = (await events()).filter((e) => e.spec.reason === 'Probe');
    assert.equal(probes.length, 1);
    assert.equal(probes[0]?.spec.count, 3);
    const wide = await cli.run(['get', 'events', '--for', 'job/ev-hello', '-o', 'wide']);
    assert.equal(wide.code, 0, wide.stderr);
    assert.match(wide.stdout, /Probe .* obs-test\s+\S+\s+3\s+ev-hello-[0-9a-f]+/);
  });

  it(`deletes every Event once its TTL (${TTL_MS} ms) has passed`, async () => {
    assert.ok((await events()).length > 0);
    await eventually(
      'every Event expired',
      async () => ((await events()).length === 0 ? true : undefined),
      TTL_MS + 90_000,
    );
    const r = await cli.run(['get', 'events']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /No resources found in default namespace/);
  });
});
