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
import type { ListOptions, ResourceClient } from '../../../pkg/client/index.js';
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

/** `inner`, with `between(page)` run before each list call after the first, and the limits noted. */
function pagingClient(
  inner: ResourceClient,
  between: (page: number) => Promise<void>,
): { client: ResourceClient; limits: (number | undefined)[] } {
  const limits: (number | undefined)[] = [];
  const client = Object.create(inner) as ResourceClient;
  client.list = (async (kind: string, opts?: ListOptions) => {
    if (limits.length > 0) await between(limits.length);
    limits.push(opts?.limit);
    return inner.list(kind, opts);
  }) as ResourceClient['list'];
  return { client, limits };
}

describe('Informer lists in pages', () => {
  it('reads a kind a page at a time, never the whole of it in one call', async () => {
    const clock = new FakeClock();
    const { client: inner } = newTestClient({ clock });
    for (let i = 0; i < 25; i++) await inner.create(node(`n${String(i).padStart(2, '0')}`));
    const { client, limits } = pagingClient(inner, async () => {});
    const inf = new Informer({ client, kind: 'Node', clock, pageSize: 10 });
    const rec = recorder();
    inf.addHandler(rec.handler);
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await inf.waitForSync();
    assert.deepEqual(limits, [10, 10, 10]);
    assert.equal(inf.cache.size, 25);
    assert.equal(rec.events.length, 25);
    assert.ok(rec.events.every((e) => e.startsWith('add ')));
    ac.abort();
    await run;
  });

  it('converges on what changed between pages, and no handler sees an object go back in time', async () => {
    const clock = new FakeClock();
    const { client: inner, store } = newTestClient({ clock });
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f']) await inner.create(node(n));
    // Between the first page (a, b) and the next ones: two changes to a later
    // object, one to an object already read, a delete and a recreate of a later
    // object, a new object before and after the cursor.
    const { client } = pagingClient(inner, async (page) => {
      if (page !== 1) return;
      await inner.update(node('e', { v: '1' }));
      await inner.update(node('e', { v: '2' }));
      await inner.update(node('a', { v: '1' }));
      await inner.delete('Node', '', 'd');
      await inner.delete('Node', '', 'c');
      await inner.create(node('c', { v: 'new' }));
      await inner.create(node('aa'));
      await inner.create(node('z'));
    });
    const inf = new Informer({ client, kind: 'Node', clock, pageSize: 2 });
    const seen = new Map<string, number>();
    const regressions: string[] = [];
    const note = (o: Resource): void => {
      const rv = Number(o.metadata.resourceVersion);
      const before = seen.get(o.metadata.name) ?? 0;
      if (rv < before) regressions.push(`${o.metadata.name} ${before} -> ${rv}`);
      seen.set(o.metadata.name, rv);
    };
    inf.addHandler({ onAdd: note, onUpdate: (_old, o) => note(o), onDelete: note });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    await inf.waitForSync();
    const want = (): string[] =>
      store.list('Node').items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`);
    const have = (): string[] =>
      inf.cache
        .list()
        .map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)
        .sort();
    await until(() => have().join() === want().join(), 'the cache to converge');
    assert.deepEqual(regressions, []);
    assert.equal(inf.cache.get('', 'c')?.metadata.labels.v, 'new');
    assert.equal(inf.cache.get('', 'd'), undefined);
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
