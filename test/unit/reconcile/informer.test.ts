import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTestClient } from '../../../pkg/client/testing.js';
import {
  Informer,
  Manager,
  Controller,
  enqueueObject,
  keyOf,
} from '../../../pkg/reconcile/index.js';
import { API_VERSION, type Resource, type ResourceInput } from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { flush, until } from './helpers.js';

function node(name: string, labels: Record<string, string> = {}): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'Node',
    metadata: { name, labels },
    spec: {},
    status: {},
  };
}

function recorder() {
  const events: string[] = [];
  return {
    events,
    handler: {
      onAdd: (o: Resource) => events.push(`add ${keyOf(o)}`),
      onUpdate: (a: Resource, b: Resource) =>
        events.push(`${a === b ? 'resync' : 'update'} ${keyOf(b)}`),
      onDelete: (o: Resource) => events.push(`delete ${keyOf(o)}`),
    },
  };
}

describe('Informer', () => {
  it('lists, syncs, then follows the watch into a frozen cache', async () => {
    const clock = new FakeClock();
    const { client } = newTestClient({ clock });
    await client.create(node('a'));
    const inf = new Informer({ client, kind: 'Node', clock });
    const rec = recorder();
    inf.addHandler(rec.handler);
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    assert.equal(inf.hasSynced(), false);
    await inf.waitForSync();
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(rec.events, ['add a']);
    await client.create(node('b'));
    await client.update(node('a', { x: 'y' }));
    await client.delete('Node', '', 'b');
    await until(() => rec.events.length === 4);
    assert.deepEqual(rec.events, ['add a', 'add b', 'update a', 'delete b']);
    const a = inf.cache.get('', 'a') as Resource;
    assert.equal(a.metadata.labels.x, 'y');
    assert.throws(() => {
      (a.metadata.labels as Record<string, string>).x = 'z';
    }, TypeError);
    assert.equal(inf.cache.get('', 'b'), undefined);
    ac.abort();
    await run;
  });

  it('resyncs: every cached object is replayed to the handlers each resyncMs', async () => {
    const clock = new FakeClock();
    const { client } = newTestClient({ clock });
    await client.create(node('a'));
    await client.create(node('b'));
    const inf = new Informer({ client, kind: 'Node', clock, resyncMs: 1_000 });
    const rec = recorder();
    inf.addHandler(rec.handler);
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await inf.waitForSync();
    rec.events.length = 0;
    // The replay runs in slices of the turn budget: it may finish on later turns.
    clock.advance(999);
    await flush();
    assert.deepEqual(rec.events, []);
    clock.advance(1);
    await until(() => rec.events.length === 2);
    assert.deepEqual(rec.events.sort(), ['resync a', 'resync b']);
    clock.advance(1_000);
    await until(() => rec.events.length === 4);
    ac.abort();
    await run;
  });

  it('relists when the watch is too old (Gone) and reports what changed in between', async () => {
    const clock = new FakeClock();
    // A tiny watch buffer: a burst of writes the informer cannot drain in time gets Gone.
    const { client, proposer } = newTestClient({ clock, watchBuffer: 2 });
    await client.create(node('keep'));
    await client.create(node('doomed'));
    const inf = new Informer({ client, kind: 'Node', clock });
    const rec = recorder();
    inf.addHandler(rec.handler);
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await inf.waitForSync();
    await flush();
    rec.events.length = 0;
    const now = new Date(clock.now()).toISOString();
    // Synchronous writes: no chance for the informer to read in between.
    for (let i = 0; i < 5; i++)
      proposer.apply({ op: 'create', now, uid: `u${i}`, object: node(`n${i}`) });
    proposer.apply({ op: 'delete', now, kind: 'Node', namespace: '', name: 'doomed' });
    await until(() => inf.lists === 2 && inf.cache.size === 6, 'relist');
    assert.deepEqual(inf.cache.keys().sort(), ['keep', 'n0', 'n1', 'n2', 'n3', 'n4']);
    assert.ok(rec.events.includes('delete doomed'), rec.events.join());
    assert.ok(rec.events.includes('add n4'), rec.events.join());
    // And it keeps watching after the relist.
    await client.create(node('later'));
    await until(() => inf.cache.get('', 'later') !== undefined, 'watch after relist');
    ac.abort();
    await run;
  });
});

describe('Manager', () => {
  it('starts controllers after caches sync, stops them, and starts afresh', async () => {
    const clock = new FakeClock();
    const { client } = newTestClient({ clock });
    await client.create(node('a'));
    const seen: string[] = [];
    let built = 0;
    const m = new Manager({ client, clock });
    m.add('nodes', (ctx) => {
      built++;
      const inf = ctx.informer('Node');
      const c = new Controller({
        name: 'nodes',
        clock: ctx.clock,
        reconciler: {
          async reconcile(key) {
            // Workers only run once the cache is synced.
            assert.ok(inf.hasSynced());
            seen.push(key);
            return {};
          },
        },
      });
      inf.addHandler(enqueueObject(c));
      return c;
    });
    await m.start();
    assert.equal(m.isStarted, true);
    await until(() => seen.length === 1);
    await client.create(node('b'));
    await until(() => seen.length === 2);
    await m.stop();
    assert.equal(m.isRunning, false);
    await client.create(node('c'));
    await flush();
    assert.deepEqual(seen, ['a', 'b'], 'nothing reconciled after stop');
    // Leadership again: a new session lists everything afresh.
    await m.start();
    await until(() => seen.length === 5);
    assert.deepEqual(seen.slice(2).sort(), ['a', 'b', 'c']);
    assert.equal(built, 2);
    // stop() right after start() (leadership lost during sync) is clean.
    await m.stop();
    void m.start();
    await m.stop();
    assert.equal(m.isRunning, false);
  });
});
