// wait: Complete → 0, a failed Job → 4, timeout → 5, --for=Failed, finished,
// delete, and a Job that is missing or deleted meanwhile.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWait, type WaitOptions } from '../../../pkg/cli/verbs/wait.js';
import { realClock } from '../../../pkg/util/clock.js';
import { env, failed, jobInput, setJobStatus, succeeded, untilWatching } from './helpers.js';

const wait = (o: Partial<WaitOptions> & { for: string }): WaitOptions => ({
  namespace: 'default',
  refs: ['job/hello'],
  ...o,
});

describe('wait', () => {
  it('exits 0 when the Job completes while waiting', async () => {
    const e = env();
    await e.client.create(jobInput('hello'));
    const done = e.run((d) => runWait(wait({ for: 'condition=Complete' }), d));
    await setJobStatus(e.client, 'hello', { phase: 'Running', active: 1 });
    await setJobStatus(e.client, 'hello', succeeded());
    assert.equal(await done, 0);
    assert.equal(e.out.text, 'job.jobctl.dev/hello condition met\n');
  });

  it('returns at once when the condition already holds', async () => {
    const e = env();
    await e.client.create(jobInput('hello'));
    await setJobStatus(e.client, 'hello', succeeded());
    assert.equal(await e.run((d) => runWait(wait({ for: 'condition=complete' }), d)), 0);
  });

  it('exits 4 when the waited-for Job fails', async () => {
    const e = env();
    await e.client.create(jobInput('hello'));
    const done = e.run((d) => runWait(wait({ for: 'condition=Complete' }), d));
    await setJobStatus(e.client, 'hello', failed());
    assert.equal(await done, 4);
    assert.equal(
      e.err.text,
      'error: job.jobctl.dev/hello failed: BackoffLimitExceeded: Job has reached the specified backoff limit\n',
    );
  });

  it('--for=finished: 0 on success, 4 on failure; --for=condition=Failed: 0 on failure', async () => {
    const ok = env();
    await ok.client.create(jobInput('hello'));
    await setJobStatus(ok.client, 'hello', succeeded());
    assert.equal(await ok.run((d) => runWait(wait({ for: 'finished' }), d)), 0);
    assert.equal(ok.out.text, 'job.jobctl.dev/hello succeeded\n');
    const bad = env();
    await bad.client.create(jobInput('hello'));
    await setJobStatus(bad.client, 'hello', failed());
    assert.equal(await bad.run((d) => runWait(wait({ for: 'condition=finished' }), d)), 4);
    assert.equal(await bad.run((d) => runWait(wait({ for: 'condition=Failed' }), d)), 0);
  });

  it("exits 5 on timeout with kubectl's message (real clock, 200ms)", async () => {
    const e = env({ clock: realClock });
    await e.client.create(jobInput('hello'));
    const code = await e.run((d) =>
      runWait(wait({ for: 'condition=Complete', timeout: '200ms' }), d),
    );
    assert.equal(code, 5);
    assert.equal(e.err.text, 'error: timed out waiting for the condition on jobs/hello\n');
  });

  it('exits 5 on timeout with an injected clock', async () => {
    const e = env();
    await e.client.create(jobInput('hello'));
    const armed = e.clock.nextTimer();
    const done = e.run((d) => runWait(wait({ for: 'condition=Complete', timeout: '60s' }), d));
    await armed;
    e.clock.advance(60_000);
    assert.equal(await done, 5);
  });

  it('fails (exit 1) for a missing Job or one deleted while waiting; --for=delete succeeds', async () => {
    const e = env();
    assert.equal(await e.run((d) => runWait(wait({ for: 'condition=Complete' }), d)), 1);
    assert.equal(e.err.text, 'Error from server (NotFound): jobs "hello" not found\n');
    e.reset();
    await e.client.create(jobInput('hello'));
    const done = e.run((d) => runWait(wait({ for: 'condition=Complete' }), d));
    await untilWatching(e.tc);
    await e.client.delete('job', 'default', 'hello');
    assert.equal(await done, 1);
    assert.match(e.err.text, /was deleted while waiting/);
    e.reset();
    await e.client.create(jobInput('hello'));
    const gone = e.run((d) => runWait(wait({ for: 'delete' }), d));
    await e.client.delete('job', 'default', 'hello');
    assert.equal(await gone, 0);
  });

  it('refuses an unknown condition or timeout as usage errors (exit 2)', async () => {
    const e = env();
    assert.equal(await e.run((d) => runWait(wait({ for: 'condition=Ready' }), d)), 2);
    assert.equal(await e.run((d) => runWait(wait({ for: 'finished', timeout: 'soon' }), d)), 2);
    assert.match(e.err.text, /^error: unrecognized condition: "condition=Ready"/);
  });
});
