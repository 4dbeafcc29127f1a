// Event TTL: a GC sweep deletes the Events whose lastTimestamp is older than
// the TTL and asks to come back when the next one will be (not sooner than
// TTL / SWEEPS_PER_TTL, not later than one TTL); it reads the Events in
// pages, not through a cache of them all. Registered with a Manager via
// addEventGc it does so on its own as the clock moves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceClient } from '../../../pkg/client/index.js';
import {
  EVENT_GC_CONTROLLER,
  EventGcReconciler,
  SWEEP_KEY,
  SWEEPS_PER_TTL,
  addEventGc,
} from '../../../pkg/controllers/gc/index.js';
import { LIST_PAGE_SIZE, Manager } from '../../../pkg/reconcile/index.js';
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

function reconcilerOf(env: RecorderEnv, client: ResourceClient = env.tc.client): EventGcReconciler {
  return new EventGcReconciler({ client, clock: env.clock, ttlMs: TTL });
}

/** `inner`, but its lists of Events show `events` (a stale view) and are noted in `limits`. */
function viewingClient(
  inner: ResourceClient,
  limits: (number | undefined)[],
  events?: () => Event[],
): ResourceClient {
  const client = Object.create(inner) as ResourceClient;
  client.list = (async (kind: string, opts?: { limit?: number }) => {
    limits.push(opts?.limit);
    if (events) return { items: events(), resourceVersion: '0' };
    return inner.list(kind, opts);
  }) as ResourceClient['list'];
  return client;
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
    // Nothing left: an Event written from now on expires a TTL from now at the soonest.
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), { requeueAfter: TTL });
    assert.equal(storedEvents(env.tc).length, 0);
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), { requeueAfter: TTL });
  });

  it('reads the Events in pages, deleting the expired ones of every page', async () => {
    const env = recorderEnv({ maxPending: 10_000 });
    const n = LIST_PAGE_SIZE * 2 + 7;
    for (let i = 0; i < n; i++)
      env.recorder.record(involved('Job', `old-${i}`), 'Normal', 'A', 'x');
    await env.recorder.flush();
    env.clock.advance(TTL / 2);
    for (let i = 0; i < 3; i++)
      env.recorder.record(involved('Job', `young-${i}`), 'Normal', 'A', 'x');
    await env.recorder.flush();
    env.clock.advance(TTL / 2);
    const limits: (number | undefined)[] = [];
    const gc = reconcilerOf(env, viewingClient(env.tc.client, limits));
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), { requeueAfter: TTL / 2 });
    assert.deepEqual(
      storedEvents(env.tc)
        .map((e) => e.spec.involvedObject.name)
        .sort(),
      ['young-0', 'young-1', 'young-2'],
    );
    // Never the whole kind at once: one page after another.
    assert.equal(limits.length, 3);
    assert.ok(limits.every((l) => l === LIST_PAGE_SIZE));
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
    // A stale read: still the first version.
    const gc = reconcilerOf(
      env,
      viewingClient(env.tc.client, [], () => [seen]),
    );
    assert.deepEqual(await gc.reconcile(SWEEP_KEY), { requeueAfter: TTL });
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
      // One sweep at the start, then one waits for the first expiry: not a timer per Event.
      await until(() => controller.queue.waitingCount === 1, 'a sweep to be due');
      assert.equal(controller.stats.reconciles, 1);
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
