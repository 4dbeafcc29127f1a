// The spinner line of `wait` / `apply --wait`: drawn on stderr only when
// stderr is a terminal (never in pipes: the other wait tests assert exact
// stderr), redrawn in place with the Job's state and its Runs' image pulls,
// erased before the result line; TERM=dumb disables it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressWanted, startProgress } from '../../../pkg/cli/progress.js';
import { runWait, type WaitOptions } from '../../../pkg/cli/verbs/wait.js';
import { StoreEventRecorder } from '../../../pkg/events/index.js';
import { env, jobInput, setJobStatus, succeeded, untilWatching } from './helpers.js';

const ESC = String.fromCharCode(27);
const ERASE = `\r${ESC}[2K`;

const wait = (o: Partial<WaitOptions> = {}): WaitOptions => ({
  namespace: 'default',
  refs: ['job/hello'],
  for: 'finished',
  ...o,
});

describe('progress line', () => {
  it('is wanted only on a terminal stderr that is not TERM=dumb', () => {
    assert.equal(progressWanted({ stderrIsTTY: true, env: {} }), true);
    assert.equal(progressWanted({ stderrIsTTY: false, env: {} }), false);
    assert.equal(progressWanted({ env: {} }), false);
    assert.equal(progressWanted({ stderrIsTTY: true, env: { TERM: 'dumb' } }), false);
  });

  it('writes nothing and arms no timer when stderr is not a terminal', () => {
    const e = env();
    const p = startProgress(e.deps, 'waiting');
    e.clock.advance(1_000);
    p.set('x');
    p.stop();
    assert.equal(e.err.text, '');
  });

  it('redraws in place with the elapsed time; stop() erases it', () => {
    const e = env();
    const p = startProgress({ ...e.deps, stderrIsTTY: true }, 'waiting for job/a');
    assert.equal(e.err.text, '', 'nothing before the first tick');
    e.clock.advance(100);
    assert.equal(e.err.text, `${ERASE}⠋ waiting for job/a (0s)`);
    p.set('waiting for job/a: Running 0/1');
    e.clock.advance(2_000);
    assert.ok(e.err.text.endsWith(` waiting for job/a: Running 0/1 (2s)`), e.err.text);
    assert.ok(!e.err.text.includes('\n'), 'one line, redrawn in place');
    p.stop();
    assert.ok(e.err.text.endsWith(ERASE));
    const before = e.err.text;
    e.clock.advance(1_000);
    assert.equal(e.err.text, before, 'no redraw after stop');
  });

  it('wait shows the Job state and an image pull of its Run, then the result on stdout', async () => {
    const e = env();
    const deps = { ...e.deps, stderrIsTTY: true };
    const job = await e.client.create(jobInput('hello'));
    const done = runWait(wait(), deps);
    await untilWatching(e.tc, 2); // the Job and the Events watch
    await setJobStatus(e.client, 'hello', { phase: 'Pending' });
    const recorder = new StoreEventRecorder({
      client: e.client,
      clock: e.clock,
      component: 'agent',
    });
    const run = { ...job, kind: 'Run', metadata: { ...job.metadata, name: 'hello-0', uid: 'r1' } };
    recorder.record(run, 'Normal', 'Pulling', 'Pulling image "busybox:latest"');
    await recorder.flush();
    // The watch delivers the Event asynchronously; each tick redraws.
    for (let i = 0; i < 10_000 && !e.err.text.includes('Pulling image'); i++) {
      await new Promise((resolve) => setImmediate(resolve));
      e.clock.advance(100);
    }
    e.clock.advance(100);
    assert.match(
      e.err.text,
      /waiting for job\/hello: Pending 0\/1 · Pulling image "busybox:latest" \(\ds\)$/,
    );
    await setJobStatus(e.client, 'hello', succeeded());
    assert.equal(await done, 0);
    await recorder.stop();
    assert.equal(e.out.text, 'job.jobctl.dev/hello succeeded\n');
    assert.ok(e.err.text.endsWith(ERASE), 'the line is erased at the end');
    assert.ok(!e.out.text.includes(ESC), 'stdout stays clean');
  });
});
