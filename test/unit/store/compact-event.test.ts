import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactEvent, compactEvent } from '../../../pkg/store/compact-event.js';
import {
  API_VERSION,
  ResourceStore,
  WatchEventType,
  type Resource,
  type ResourceInput,
} from '../../../pkg/store/index.js';
import { objectOf } from '../../../pkg/store/table.js';
import { SeededRng } from '../../../pkg/util/rng.js';
import { Harness, jobInput, ok } from './fixtures.js';

const REASONS = [
  ['Job', 'Normal', 'SuccessfulCreate'],
  ['Run', 'Warning', 'FailedScheduling'],
  ['Run', 'Normal', 'Scheduled'],
  ['Node', 'Warning', 'NodeNotReady'],
] as const;

function hex(rng: SeededRng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += '0123456789abcdef'[rng.int(0, 16)];
  return s;
}

/** An Event as a recorder writes it, with random values where Events differ. */
function randomEventInput(rng: SeededRng, i: number): ResourceInput {
  const [kind, type, reason] = rng.pick(REASONS);
  const namespace = kind === 'Node' ? '' : rng.pick(['default', 'team-a', 'b']);
  const involvedName = `${kind.toLowerCase()}-${i}-${hex(rng, rng.int(0, 8))}`;
  const first = new Date(Date.UTC(2026, 0, 1) + rng.int(0, 1e9)).toISOString();
  const last = rng.chance(0.5)
    ? first
    : new Date(Date.parse(first) + rng.int(1, 1e6)).toISOString();
  const source: Record<string, string> = { component: rng.pick(['agent', 'job-controller']) };
  if (rng.chance(0.7)) source.node = rng.pick(['', 'node-1', 'node-2']);
  return {
    apiVersion: API_VERSION,
    kind: 'Event',
    metadata: { name: `${involvedName}-${hex(rng, 10)}`, namespace: namespace || 'default' },
    spec: {
      involvedObject: { kind, namespace, name: involvedName, uid: rng.chance(0.9) ? `u-${i}` : '' },
      type,
      reason,
      message: rng.chance(0.3) ? '' : `${reason} of ${involvedName}: "quoted" \u00e9\n${i}`,
      count: rng.chance(0.8) ? 1 : rng.int(2, 1e6),
      firstTimestamp: first,
      lastTimestamp: last,
      source,
    },
  };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Frozen all the way down, as every stored object is. */
function assertDeepFrozen(value: unknown, path = 'event'): void {
  if (typeof value !== 'object' || value === null) return;
  assert.ok(Object.isFrozen(value), `${path} is frozen`);
  for (const [k, v] of Object.entries(value)) assertDeepFrozen(v, `${path}.${k}`);
}

/** A store holding `n` random Events (and a Job some of them are about), their create results. */
function storeWithEvents(seed: number, n: number): { h: Harness; created: Resource[] } {
  const rng = new SeededRng(seed);
  const h = new Harness();
  ok(h.create(jobInput('job-0')));
  const created: Resource[] = [];
  for (let i = 0; i < n; i++) created.push(ok(h.create(randomEventInput(rng, i))).object);
  return { h, created };
}

const keyOf = (o: Resource) => `${o.metadata.namespace}/${o.metadata.name}`;

describe('compact Events', () => {
  it('give back 2,000 random stored Events key for key and byte for byte, frozen', () => {
    const { created } = storeWithEvents(7, 2000);
    for (const e of created) {
      const compact = compactEvent(e, keyOf(e), () => undefined);
      assert.ok(compact instanceof CompactEvent, `${keyOf(e)} has the usual shape`);
      const back = compact.event();
      assert.equal(JSON.stringify(back), JSON.stringify(e));
      assert.deepEqual(back, e);
      assert.equal(JSON.stringify(compact), JSON.stringify(e), 'JSON.stringify writes the Event');
      assertDeepFrozen(back);
    }
  });

  it('keep an Event of another shape as it is', () => {
    const h = new Harness();
    const base = randomEventInput(new SeededRng(3), 1) as ResourceInput & {
      spec: Record<string, unknown>;
    };
    const unusual: ResourceInput[] = [
      { ...base, metadata: { ...base.metadata, name: 'l', labels: { a: 'b' } } },
      { ...base, metadata: { ...base.metadata, name: 'a', annotations: { a: 'b' } } },
      { ...base, metadata: { ...base.metadata, name: 'x' }, spec: { ...base.spec, extra: 1 } },
      { ...base, metadata: { ...base.metadata, name: 'm' }, spec: { ...base.spec, message: 3 } },
      {
        ...base,
        metadata: { ...base.metadata, name: 'o' },
        spec: { ...base.spec, involvedObject: { kind: 'Job', name: 'j' } },
      },
    ];
    for (const input of unusual) {
      const stored = ok(h.create(input)).object;
      assert.equal(
        compactEvent(stored, keyOf(stored), () => undefined),
        undefined,
        input.metadata.name,
      );
      assert.deepEqual(
        h.store.get('Event', stored.metadata.namespace, stored.metadata.name),
        stored,
      );
    }
    const job = ok(h.create(jobInput('not-an-event'))).object;
    assert.equal(
      compactEvent(job, keyOf(job), () => undefined),
      undefined,
    );
  });

  it('are what the store keeps, and every read gives back what was written', () => {
    const { h, created } = storeWithEvents(11, 600);
    const byKey = new Map(created.map((e) => [keyOf(e), e]));
    const table = (
      h.store as unknown as { index: { table(k: string): { values(): unknown[] } } }
    ).index.table('Event');
    assert.ok(
      table.values().every((v) => v instanceof CompactEvent),
      'every Event of the usual shape is kept compact',
    );
    // get
    for (const e of created) {
      assert.deepEqual(h.store.get('Event', e.metadata.namespace, e.metadata.name), e);
    }
    // paged lists, whole and by field
    const listed: Resource[] = [];
    let token: string | undefined;
    do {
      const page = h.store.list('Event', { limit: 37, continue: token });
      listed.push(...page.items);
      token = page.continue;
    } while (token);
    assert.deepEqual(
      listed,
      [...created].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : 1)),
    );
    const warnings = h.store.list('Event', { fieldSelector: 'spec.type=Warning' }).items;
    assert.deepEqual(
      warnings.map(keyOf),
      listed.filter((e) => (e.spec as { type: string }).type === 'Warning').map(keyOf),
    );
    assert.ok(warnings.length > 0);
    // a watch that replays history, from before the first Event
    const seen: Resource[] = [];
    const w = h.store.watch('Event', { resourceVersion: '1' }, (ev) => {
      if (ev.type === WatchEventType.Added) seen.push(ev.object);
    });
    w.cancel();
    assert.deepEqual(seen, created);
    // a snapshot: the Events as written, and a restored store writes the same bytes
    const snap = h.store.snapshot();
    const doc = JSON.parse(text(snap)) as { kinds: Record<string, Resource[]> };
    assert.deepEqual(
      doc.kinds.Event?.map((e) => byKey.get(keyOf(e))),
      doc.kinds.Event,
    );
    assert.equal(doc.kinds.Event?.length, created.length);
    const restored = new ResourceStore();
    restored.restore(h.index, snap);
    assert.equal(text(restored.snapshot()), text(snap));
    for (const e of created.slice(0, 50)) {
      assert.deepEqual(restored.get('Event', e.metadata.namespace, e.metadata.name), e);
    }
  });

  it('are updated and deleted with the preconditions a read gave (the recorder, the event GC)', () => {
    const { h, created } = storeWithEvents(5, 20);
    const e = h.store.get('Event', created[3]!.metadata.namespace, created[3]!.metadata.name)!;
    const spec = e.spec as Record<string, unknown>;
    const bumped = ok(
      h.update({
        ...e,
        metadata: { ...e.metadata },
        spec: {
          ...spec,
          count: (spec.count as number) + 1,
          lastTimestamp: '2027-01-01T00:00:00.000Z',
        },
      } as ResourceInput),
    ).object;
    assert.equal((bumped.spec as { count: number }).count, (spec.count as number) + 1);
    assert.deepEqual(h.store.get('Event', e.metadata.namespace, e.metadata.name), bumped);
    // a stale resourceVersion is refused, the current one deletes
    const stale = h.delete('Event', e.metadata.namespace, e.metadata.name, {
      uid: e.metadata.uid,
      resourceVersion: e.metadata.resourceVersion,
    });
    assert.equal(stale.ok, false);
    const listed = h.store.list('Event', {}).items.find((x) => keyOf(x) === keyOf(e))!;
    ok(
      h.delete('Event', e.metadata.namespace, e.metadata.name, {
        uid: listed.metadata.uid,
        resourceVersion: listed.metadata.resourceVersion,
      }),
    );
    assert.equal(h.store.get('Event', e.metadata.namespace, e.metadata.name), undefined);
    assert.equal(h.store.counts().Event, created.length - 1);
    assert.equal(h.store.hasUid(e.metadata.uid), false);
  });

  it('objectOf gives the object for both forms a table holds', () => {
    const { created } = storeWithEvents(9, 1);
    const e = created[0]!;
    assert.equal(objectOf(e), e);
    assert.deepEqual(objectOf(compactEvent(e, keyOf(e), () => undefined)!), e);
  });
});
