// Event TTL: the GC reconciler deletes Events whose lastTimestamp is older
// than the TTL and otherwise asks to come back when they will be; registered
// with a Manager via addEventGc it does so on its own as the clock moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EVENT_GC_CONTROLLER, EventGcReconciler, addEventGc } from '../../../pkg/events/index.js';
import { Manager } from '../../../pkg/reconcile/index.js';
import type { Event } from '../../../pkg/store/index.js';
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
    events: {
      get: (ns, name) => env.tc.store.get('Event', ns, name) as unknown as Event,
    },
  });
}

describe('event GC', () => {
  it('requeues an Event until its TTL has passed, then deletes it', async () => {
    const env = recorderEnv();
    env.recorder.record(involved('Job', 'hello'), 'Normal', 'Scheduled', 'to node-1');
    await env.recorder.flush();
    const [ev] = storedEvents(env.tc);
    assert.ok(ev);
    const key = `default/${ev.metadata.name}`;
    const gc = reconcilerOf(env);
    assert.deepEqual(await gc.reconcile(key), { requeueAfter: TTL });
    env.clock.advance(TTL - 1000);
    assert.deepEqual(await gc.reconcile(key), { requeueAfter: 1000 });
    assert.equal(storedEvents(env.tc).length, 1);
    env.clock.advance(1000);
    assert.deepEqual(await gc.reconcile(key), {});
    assert.equal(storedEvents(env.tc).length, 0);
    // Gone already: nothing to do.
    assert.deepEqual(await gc.reconcile(key), {});
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
    const [ev] = storedEvents(env.tc);
    assert.ok(ev);
    assert.deepEqual(await reconcilerOf(env).reconcile(`default/${ev.metadata.name}`), {
      requeueAfter: TTL / 2,
    });
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
      events: { get: () => seen },
    });
    assert.deepEqual(await gc.reconcile(`default/${seen.metadata.name}`), {});
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
      await until(() => controller.stats.reconciles >= 2, 'both events reconciled');
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
