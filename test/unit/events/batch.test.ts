// StoreEventRecorder in batch mode (a proposer given): a flush is one store
// batch command (one Raft entry per 256 events); items that lose a race fall
// back to careful one-by-one writes; a failing proposer never escapes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_BATCH } from '../../../pkg/events/recorder.js';
import { cloneResource, type Command, type CommandResult } from '../../../pkg/store/index.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import { involved, recorderEnv, storedEvents, type RecorderEnv } from './helpers.js';

const hello = involved('Job', 'hello');

/** A recorder env whose recorder proposes batches through the test proposer, counted. */
function batchEnv(fail?: () => never): RecorderEnv & { proposals: Command[] } {
  const proposals: Command[] = [];
  let uid = 0;
  const env = recorderEnv({
    newUid: () => `ev-uid-${++uid}`,
    proposer: {
      propose: (command: Command): Promise<CommandResult> => {
        proposals.push(command);
        if (fail) fail();
        return env.tc.proposer.propose(command);
      },
    },
  });
  return Object.assign(env, { proposals });
}

describe('StoreEventRecorder batch mode', () => {
  it('writes a whole flush as one batch entry, creates and count bumps alike', async () => {
    const env = batchEnv();
    for (let i = 0; i < 40; i++)
      env.recorder.record(involved('Run', `r-${i}`), 'Normal', 'Started', 'x');
    env.recorder.record(hello, 'Normal', 'Scheduled', 'to node-1');
    const before = env.tc.store.revision;
    await env.recorder.flush();
    assert.equal(env.tc.store.revision, before + 1, 'one Raft entry');
    assert.equal(storedEvents(env.tc).length, 41);
    env.clock.advance(5000);
    env.recorder.record(hello, 'Normal', 'Scheduled', 'to node-1');
    env.recorder.record(hello, 'Normal', 'Scheduled', 'to node-1');
    env.recorder.record(hello, 'Normal', 'Completed', 'done');
    env.clock.advance(200);
    await env.recorder.flush();
    assert.equal(env.proposals.length, 2);
    const byReason = new Map(
      storedEvents(env.tc)
        .filter((e) => e.spec.involvedObject.name === 'hello')
        .map((e) => [e.spec.reason, e]),
    );
    assert.equal(byReason.get('Scheduled')?.spec.count, 3);
    assert.equal(byReason.get('Completed')?.spec.count, 1);
    assert.equal(byReason.get('Completed')?.metadata.uid, 'ev-uid-42');
    assert.deepEqual(
      { created: env.recorder.stats.created, updated: env.recorder.stats.updated },
      { created: 42, updated: 1 },
    );
  });

  it(`splits more than ${MAX_BATCH} events into several entries`, async () => {
    const env = batchEnv();
    for (let i = 0; i < MAX_BATCH + 10; i++) {
      env.recorder.record(involved('Run', `r-${i}`), 'Normal', 'Started', 'x');
    }
    await env.recorder.flush();
    assert.equal(env.proposals.length, 2);
    assert.equal(storedEvents(env.tc).length, MAX_BATCH + 10);
  });

  it('falls back to one-by-one writes for items that lost a race (Conflict)', async () => {
    const env = batchEnv();
    env.recorder.record(hello, 'Warning', 'BackOff', 'back-off');
    env.recorder.record(hello, 'Normal', 'Pulling', 'pulling');
    await env.recorder.flush();
    const backoff = storedEvents(env.tc).find((e) => e.spec.reason === 'BackOff');
    assert.ok(backoff);
    const other = cloneResource(backoff) as unknown as typeof backoff;
    other.spec.count = 7;
    await env.tc.client.update(other as never);
    env.recorder.record(hello, 'Warning', 'BackOff', 'back-off');
    env.recorder.record(hello, 'Normal', 'Pulling', 'pulling');
    await env.recorder.flush();
    const counts = Object.fromEntries(
      storedEvents(env.tc).map((e) => [e.spec.reason, e.spec.count]),
    );
    assert.deepEqual(counts, { BackOff: 8, Pulling: 2 });
  });

  it('never throws when the proposer fails; retries at later flushes, then drops', async () => {
    const env = batchEnv(() => {
      throw new JobctlError(Reason.Unavailable, 'not leader');
    });
    assert.doesNotThrow(() => env.recorder.record(hello, 'Normal', 'Started', 'x'));
    for (let i = 0; i < 3; i++) {
      env.clock.advance(200);
      await env.recorder.flush();
    }
    assert.equal(env.proposals.length, 3);
    assert.equal(env.recorder.stats.dropped, 1);
    assert.equal(storedEvents(env.tc).length, 0);
  });
});
