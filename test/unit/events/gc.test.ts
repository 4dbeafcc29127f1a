// Event TTL: a GC sweep deletes the Events whose lastTimestamp is older than
// the TTL and asks to come back when the next one will be (not sooner than
// TTL / SWEEPS_PER_TTL); registered with a Manager via addEventGc it does so
// on its own as the clock moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EVENT_GC_CONTROLLER,
  EventGcReconciler,
  SWEEP_KEY,
  SWEEPS_PER_TTL,
  addEventGc,
} from '../../../pkg/controllers/gc/index.js';
import { Manager } from '../../../pkg/reconcile/index.js';
import { involved, recorderEnv, storedEvents, type RecorderEnv } from './helpers.js';

const TTL = 60_000;

/** Yields to the event loop until `cond` holds (no timers involved). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (cond()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function reconcilerOf(env: RecorderEnv): EventGcReconciler {
  return new EventGcReconciler({
    client: env.tc.client,
    clock: env.clock,
    ttlMs: TTL,
    events: { list: () => storedEvents(env.tc) },
  });
}

describe('event GC', () => {
  it('a sweep comes back when the next Event expires, and then deletes it', async () => {
    const env = recorderEnv();
    env.recorder.record(involved('Job', 'hello'), 'Normal', 'Scheduled', 'to node-1');
    await env.recorder.flush();
    assert.equal(storedEvents(env.tc).length, 1);
    const gc = reconcilerOf(env);
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), { requeueAfter: TTL });
    env.clock.advance(TTL - 5000);
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), { requeueAfter: 5000 });
    assert.equal(storedEvents(env.tc).length, 1);
    env.clock.advance(5000);
    // Nothing left: no sweep is due until an Event asks for one.
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), {});
    assert.equal(storedEvents(env.tc).length, 0);
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), {});
  });

  it('deletes every expired Event in one sweep and keeps the others', async () => {
    const env = recorderEnv();
    for (let i = 0; i < 40; i++)
      env.recorder.record(involved('Job', `old-${i}`), 'Normal', 'A', 'x');
    await env.recorder.flush();
    env.clock.advance(TTL / 2);
    env.recorder.record(involved('Job', 'young'), 'Normal', 'A', 'x');
    await env.recorder.flush();
    env.clock.advance(TTL / 2);
    assert.deepEqual(await reconcilerOf(env).reconcile(SWEEP_KEY), { requeueAfter: TTL / 2 });
    assert.deepEqual(
      storedEvents(env.tc).map((e) => e.spec.involvedObject.name),
      ['young'],
    );
  });

  it('sweeps no more often than TTL / SWEEPS_PER_TTL, however close the expiries', async () => {
    const env = recorderEnv();
    env.recorder.record(involved('Job', 'a'), 'Normal', 'A', 'x');
    await env.recorder.flush();
    env.clock.advance(1);
    env.recorder.record(involved('Job', 'b'), 'Normal', 'A', 'x');
    await env.recorder.flush();
    env.clock.advance(TTL - 1);
    const gc = reconcilerOf(env);
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), { requeueAfter: TTL / SWEEPS_PER_TTL });
    assert.equal(storedEvents(env.tc).length, 1);
  });

  it('counts from lastTimestamp: a repeated event lives on', async () => {
    const env = recorderEnv();
    const hello = involved('Job', 'hello');
    env.recorder.record(hello, 'Warning', 'BackOff', 'back-off');
    await env.recorder.flush();
    env.clock.advance(TTL / 2);
    env.recorder.record(hello, 'Warning', 'BackOff', 'back-off');
    await env.recorder.flush();
    env.clock.advance(TTL / 2);
    assert.deepEqual(await reconcilerOf(env).reconcile(SWEEP_KEY), { requeueAfter: TTL / 2 });
    assert.equal(storedEvents(env.tc).length, 1);
  });

  it('does not delete an Event bumped after the cache saw it (Conflict)', async () => {
    const env = recorderEnv();
    const hello = involved('Job', 'hello');
    env.recorder.record(hello, 'Normal', 'Started', 'x');
    await env.recorder.flush();
    const [seen] = storedEvents(env.tc);
    assert.ok(seen);
    env.clock.advance(TTL);
    env.recorder.record(hello, 'Normal', 'Started', 'x');
    await env.recorder.flush();
    const gc = new EventGcReconciler({
      client: env.tc.client,
      clock: env.clock,
      ttlMs: TTL,
      // A stale cache: still the first version.
      events: { list: () => [seen] },
    });
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), {});
    assert.equal(storedEvents(env.tc)[0]?.spec.count, 2);
  });

  it('runs under a Manager: expired Events go as the clock passes their TTL', async () => {
    const env = recorderEnv();
    env.recorder.record(involved('Job', 'a'), 'Normal', 'Scheduled', 'to node-1');
    await env.recorder.flush();
    env.clock.advance(TTL / 2);
    env.recorder.record(involved('Job', 'b'), 'Normal', 'Scheduled', 'to node-1');
    await env.recorder.flush();

    const manager = new Manager({ client: env.tc.client, clock: env.clock, resyncMs: 0 });
    addEventGc(manager, { ttlMs: TTL });
    await manager.start();
    try {
      const controller = manager.controller(EVENT_GC_CONTROLLER);
      assert.ok(controller);
      // One sweep waits for the first expiry: not a timer per Event, and no work before.
      await until(() => controller.queue.waitingCount === 1, 'a sweep to be due');
      assert.equal(controller.stats.reconciles, 0);
      assert.equal(storedEvents(env.tc).length, 2);

      env.clock.advance(TTL / 2);
      await until(() => storedEvents(env.tc).length === 1, 'the first event to expire');
      assert.equal(storedEvents(env.tc)[0]?.spec.involvedObject.name, 'b');

      env.clock.advance(TTL / 2);
      await until(() => storedEvents(env.tc).length === 0, 'the second event to expire');
    } finally {
      await manager.stop();
    }
  });
});
