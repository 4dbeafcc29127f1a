// Waiting on many Jobs (`wait job/a job/b ...`, `apply --wait` of many): one
// watch per namespace however many Jobs, no MaxListenersExceededWarning, results
// in order for `wait` and as they come for `apply`, and a progress line that
// counts done, running, pending and failed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runApply } from '../../../pkg/cli/verbs/apply.js';
import { runWait } from '../../../pkg/cli/verbs/wait.js';
import { countsText } from '../../../pkg/cli/verbs/wait-progress.js';
import type { Job } from '../../../pkg/store/index.js';
import {
  env,
  failed,
  jobInput,
  jobYaml,
  setJobStatus,
  succeeded,
  tempDir,
  untilWatching,
  type Env,
} from './helpers.js';

const N = 60;
const names = Array.from({ length: N }, (_, i) => `job-${String(i).padStart(2, '0')}`);

/** Collects process warnings while `fn` runs. */
async function warningsDuring(fn: () => Promise<void>): Promise<string[]> {
  const seen: string[] = [];
  const onWarning = (w: Error): void => {
    seen.push(`${w.name}: ${w.message}`);
  };
  process.on('warning', onWarning);
  try {
    await fn();
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', onWarning);
  }
  return seen;
}

async function finishAll(e: Env, which: readonly string[]): Promise<void> {
  for (const [i, n] of which.entries())
    await setJobStatus(e.client, n, i === 7 ? failed() : succeeded());
}

describe('waiting on many Jobs', () => {
  it('wait: 60 Jobs on one watch, no listener warning, results in the order named', async () => {
    const e = env();
    for (const n of names) await e.client.create(jobInput(n));
    const warnings = await warningsDuring(async () => {
      const done = e.run((d) =>
        runWait({ namespace: 'default', refs: names.map((n) => `job/${n}`), for: 'finished' }, d),
      );
      await untilWatching(e.tc, 1);
      assert.equal(e.tc.store.stats().watchers, 1);
      // Finished in reverse order: printed in the order named all the same.
      await finishAll(e, [...names].reverse());
      assert.equal(await done, 4, 'one of them failed');
    });
    assert.deepEqual(warnings, []);
    const failedName = [...names].reverse()[7];
    assert.equal(
      e.out.text,
      names
        .filter((n) => n !== failedName)
        .map((n) => `job.jobctl.dev/${n} succeeded\n`)
        .join(''),
    );
    assert.match(e.err.text, new RegExp(`^error: job.jobctl.dev/${failedName} failed: `));
    assert.equal(e.tc.store.stats().watchers, 0, 'the watch is closed');
  });

  it('apply --wait: 60 Jobs on one watch, each reported as it finishes', async () => {
    const e = env();
    const dir = tempDir({ 'jobs.yaml': names.map((n) => jobYaml(n)).join('---\n') });
    const warnings = await warningsDuring(async () => {
      const done = e.run((d) =>
        runApply({ namespace: 'default', filenames: [join(dir, 'jobs.yaml')], wait: true }, d),
      );
      await untilWatching(e.tc, 1);
      assert.equal(e.tc.store.stats().watchers, 1);
      await setJobStatus(e.client, 'job-42', succeeded());
      await e.out.waitFor('job.jobctl.dev/job-42 succeeded\n');
      assert.ok(!e.out.text.includes('job-00 succeeded'), 'reported as it finishes');
      await finishAll(
        e,
        names.filter((n) => n !== 'job-42'),
      );
      assert.equal(await done, 4);
    });
    assert.deepEqual(warnings, []);
    assert.equal(e.out.text.match(/ succeeded\n/g)?.length, N - 1);
  });

  it('a Job deleted and created again under its name while waited for is "deleted"', async () => {
    const e = env();
    await e.client.create(jobInput('a'));
    await e.client.create(jobInput('b'));
    const done = e.run((d) =>
      runWait({ namespace: 'default', refs: ['job/a', 'job/b'], for: 'finished' }, d),
    );
    await untilWatching(e.tc, 1);
    await e.client.delete('job', 'default', 'a');
    await e.client.create(jobInput('a'));
    await setJobStatus(e.client, 'a', succeeded());
    await setJobStatus(e.client, 'b', succeeded());
    assert.equal(await done, 1);
    assert.equal(e.err.text, 'error: jobs "a" was deleted while waiting for the condition\n');
    assert.equal(e.out.text, 'job.jobctl.dev/b succeeded\n');
  });

  it('a missing Job among several is one NotFound line at once (exit 1)', async () => {
    const e = env();
    await e.client.create(jobInput('a'));
    const code = await e.run((d) =>
      runWait(
        { namespace: 'default', refs: ['job/a', 'job/nope'], for: 'finished', timeout: '0' },
        d,
      ),
    );
    assert.equal(code, 1);
    assert.equal(e.err.text, 'Error from server (NotFound): jobs "nope" not found\n');
  });

  it('the progress line counts done, running, pending and failed', () => {
    const job = (phase: string, conditions: { type: string; status: string }[] = []): Job =>
      ({ spec: {}, status: { phase, conditions } }) as unknown as Job;
    assert.equal(
      countsText([
        job('Succeeded', [{ type: 'Complete', status: 'True' }]),
        job('Running'),
        job('Running'),
        job('Pending'),
        undefined,
        job('Failed', [{ type: 'Failed', status: 'True' }]),
      ]),
      '1 done, 2 running, 2 pending, 1 failed',
    );
  });

  it('on a terminal, wait over several Jobs draws the counts', async () => {
    const e = env();
    const deps = { ...e.deps, stderrIsTTY: true };
    for (const n of ['a', 'b', 'c']) await e.client.create(jobInput(n));
    const done = runWait(
      { namespace: 'default', refs: ['job/a', 'job/b', 'job/c'], for: 'finished' },
      deps,
    );
    await untilWatching(e.tc, 2); // the Jobs and the Events watch
    await setJobStatus(e.client, 'a', succeeded());
    await setJobStatus(e.client, 'b', { phase: 'Running', active: 1 });
    for (let i = 0; i < 10_000 && !e.err.text.includes('1 running'); i++) {
      await new Promise((resolve) => setImmediate(resolve));
      e.clock.advance(100);
    }
    assert.match(e.err.text, /waiting for 3 jobs: 1 done, 1 running, 1 pending, 0 failed \(\ds\)$/);
    await setJobStatus(e.client, 'b', succeeded());
    await setJobStatus(e.client, 'c', succeeded());
    assert.equal(await done, 0);
  });
});
