// What a Job costs in store changes, counted on a real node in process (Raft on
// disk, every controller, the agent, the recorder, the fake runtime), so that the
// count cannot grow back silently (hack/bench/exec-changes.ts counts, the bench
// prints the same for bigger waves). A Job that runs once makes: its creation
// (API); its Run with its first status, one atomic batch (job controller); the
// bind (scheduler); the Run's final status (agent); the Job's final status (job
// controller); four Events (SuccessfulCreate, Scheduled, Started, Completed). A
// Run seen Running before it ends adds its own Running (the agent); its Job's
// Running waits a second (STARTED_WRITE_DELAY_MS), so a Run shorter than that
// adds nothing to its Job. The bounds leave room for what a loaded machine
// changes (a Running report that goes alone when the agent falls behind; a
// final report that comes more than a second after the Running one).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { countJobChanges, type JobChangeCount } from '../../hack/bench/exec-changes.js';

const JOBS = 40;

/** Changes per Job of one kind ("Run created (job controller)"), 0 when none. */
const per = (c: JobChangeCount, what: string): number => (c.byChange[what] ?? 0) / c.jobs;

/** What every Job makes exactly once, whatever the timing. */
const ONCE = [
  'Job created (api)',
  'Job status -> Pending (job controller)',
  'Run created (job controller)',
  'Run bound (Scheduled) (scheduler)',
  'Run status -> Succeeded (agent)',
  'Job status -> Succeeded (job controller)',
  'Event SuccessfulCreate created (recorder)',
  'Event Scheduled created (recorder)',
  'Event Started created (recorder)',
  'Event Completed created (recorder)',
];

describe('store changes per Job (one node in process)', { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-job-changes-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a Job whose container ends at once: ten changes, nothing twice', async () => {
    const c = await countJobChanges({ jobs: JOBS, dir: join(dir, 'instant') });
    for (const what of ONCE)
      assert.equal(per(c, what), 1, `${what}: ${JSON.stringify(c.byChange)}`);
    assert.ok(
      c.changes / JOBS <= 10.5,
      `changes per Job ${c.changes / JOBS}: ${JSON.stringify(c.byChange)}`,
    );
    assert.ok(c.entries < c.changes, 'the writers share entries');
  });

  it('a Job whose container runs 0.3 s: its Run shows Running, its Job goes to Succeeded in one write', async () => {
    const c = await countJobChanges({ jobs: JOBS, dir: join(dir, 'short'), sleepS: 0.3 });
    for (const what of ONCE)
      assert.equal(per(c, what), 1, `${what}: ${JSON.stringify(c.byChange)}`);
    // Most Runs are seen Running first (a loaded agent may see some end before it reports).
    assert.ok(per(c, 'Run status -> Running (agent)') > 0.25, JSON.stringify(c.byChange));
    assert.ok(
      per(c, 'Job status -> Running (job controller)') <= 0.25,
      `the Job's Running is held: ${JSON.stringify(c.byChange)}`,
    );
    assert.ok(
      c.changes / JOBS <= 11.5,
      `changes per Job ${c.changes / JOBS}: ${JSON.stringify(c.byChange)}`,
    );
  });
});
