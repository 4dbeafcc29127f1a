// Cold objects kept packed (pkg/store/packed.ts): only memory changes. What
// a read returns, what a snapshot holds and what a cascade does are the same
// as for objects kept parsed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '../../../pkg/reconcile/cache.js';
import { isCold, pack, packedOrigin, PackedObject, unpack } from '../../../pkg/store/packed.js';
import { storeCompactor } from '../../../pkg/store/compactor.js';
import { ResourceStore, type Resource } from '../../../pkg/store/index.js';
import { SeededRng } from '../../../pkg/util/rng.js';
import { Harness, input, jobInput, ok } from './fixtures.js';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A random JSON value: the awkward cases (escapes, SEP, integer keys, empties) included. */
function randomJson(rng: SeededRng, depth: number): unknown {
  const strings = ['', 'a', 'busybox:latest', '"q"', 'back\\slash', '\u0001sep', 'é✓', '\n', '0'];
  const numbers = [0, 1, -1, 2.5, 1e21, -0.125, 42];
  switch (depth <= 0 ? rng.int(0, 3) : rng.int(0, 5)) {
    case 0:
      return rng.pick(strings);
    case 1:
      return rng.pick(numbers);
    case 2:
      return rng.pick([true, false, null]);
    case 3:
      return `${rng.pick(strings)}${rng.int(0, 3)}`;
    case 4:
      return Array.from({ length: rng.int(0, 3) }, () => randomJson(rng, depth - 1));
    default: {
      const out: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) {
        out[rng.pick(['a', 'b', 'z', '10', '2', 'key"q', 'sp ace'])] = randomJson(rng, depth - 1);
      }
      return out;
    }
  }
}

function randomObject(rng: SeededRng, i: number): Resource {
  return Object.freeze({
    apiVersion: 'jobctl.dev/v1',
    kind: 'Event',
    metadata: {
      name: `e${i % 7}`,
      namespace: 'ns',
      uid: `u${i}`,
      labels: {},
      extra: randomJson(rng, 2),
    },
    spec: randomJson(rng, 3),
    status: randomJson(rng, 2),
  }) as unknown as Resource;
}

describe('packed objects', () => {
  it('unpack gives back an equal object with the same JSON, for 2,000 random objects', () => {
    const rng = new SeededRng(7);
    for (let i = 0; i < 2000; i++) {
      const object = randomObject(rng, i);
      const packed = pack(object, `ns/e${i % 7}`);
      assert.equal(packed.json(), JSON.stringify(object), `seed 7, object ${i}`);
      const back = unpack(packed);
      assert.deepEqual(back, JSON.parse(JSON.stringify(object)));
      assert.equal(JSON.stringify(back), JSON.stringify(object));
      assert.ok(Object.isFrozen(back) && Object.isFrozen(back.metadata));
    }
  });

  it('an object packed or unpacked maps back to its packed form', () => {
    const object = randomObject(new SeededRng(1), 1);
    const packed = pack(object, 'ns/e1');
    assert.equal(pack(object, 'ns/e1'), packed);
    const back = unpack(packed);
    assert.equal(packedOrigin(back), packed);
    assert.equal(storeCompactor.pack(back), packed);
  });

  it('finished Runs and Jobs, and Events, are cold; the rest is not', () => {
    const obj = (kind: string, status: object) =>
      ({ kind, status, metadata: {} }) as unknown as Resource;
    assert.equal(isCold(obj('Run', { phase: 'Succeeded' })), true);
    assert.equal(isCold(obj('Run', { phase: 'Lost' })), true);
    assert.equal(isCold(obj('Run', { phase: 'Running' })), false);
    assert.equal(isCold(obj('Run', {})), false);
    assert.equal(isCold(obj('Job', { phase: 'Failed' })), true);
    assert.equal(isCold(obj('Job', { phase: 'Suspended' })), false);
    assert.equal(isCold(obj('Event', {})), true);
    assert.equal(isCold(obj('Node', {})), false);
  });
});

/** A store with finished Jobs, their finished Runs and Events: most of it packed. */
function finishedStore(): { h: Harness; written: Map<string, Resource> } {
  const h = new Harness();
  const written = new Map<string, Resource>();
  const keep = (o: Resource) => written.set(`${o.kind}/${o.metadata.name}`, o);
  for (let i = 0; i < 30; i++) {
    const job = ok(h.create(jobInput(`job-${i}`))).object;
    const owner = {
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      name: job.metadata.name,
      uid: job.metadata.uid,
      controller: true,
    };
    for (let a = 0; a < (i % 3) + 1; a++) {
      const run = ok(
        h.create(
          input('Run', `job-${i}-${a}`, {
            ownerReferences: [owner],
            spec: { jobName: `job-${i}`, attempt: a },
          }),
        ),
      ).object;
      keep(
        ok(
          h.updateStatus(input('Run', run.metadata.name), {
            phase: a % 2 ? 'Failed' : 'Succeeded',
            exitCode: a,
          }),
        ).object,
      );
      keep(
        ok(
          h.create(
            input('Event', `job-${i}-${a}-e${a}`, {
              spec: {
                reason: 'Started',
                message: `Started ${a} "q" \u0001`,
                involvedObject: { kind: 'Run', name: run.metadata.name },
              },
            }),
          ),
        ).object,
      );
    }
    const done = i % 5 === 0 ? { phase: 'Running' } : { phase: 'Succeeded', succeeded: 1 };
    keep(ok(h.updateStatus(jobInput(`job-${i}`), done)).object);
  }
  return { h, written };
}

describe('a store keeping cold objects packed', () => {
  it('gets and lists what was written; snapshots hold it byte for byte and restore alike', () => {
    const { h, written } = finishedStore();
    const store = h.store;
    for (const [id, object] of written) {
      const [kind] = id.split('/') as [string];
      const got = store.get(kind, 'default', object.metadata.name);
      assert.deepEqual(got, object, id);
      assert.ok(Object.isFrozen(got));
    }
    for (const kind of ['Job', 'Run', 'Event']) {
      const listed = store.list(kind).items;
      const paged: Resource[] = [];
      let token: string | undefined;
      do {
        const page = store.list(kind, { limit: 4, continue: token });
        paged.push(...page.items);
        token = page.continue;
      } while (token);
      assert.deepEqual(paged, listed);
      for (const o of listed) assert.deepEqual(o, written.get(`${kind}/${o.metadata.name}`));
    }
    const bytes = store.snapshot();
    const doc = JSON.parse(text(bytes)) as { kinds: Record<string, Resource[]> };
    assert.deepEqual(doc.kinds.Run, store.list('Run').items);
    assert.equal(text(bytes), text(Buffer.concat([...store.captureSnapshot().pieces(3)])));
    const restored = new ResourceStore();
    restored.restore(h.index, bytes);
    assert.equal(text(restored.snapshot()), text(bytes));
    for (const kind of ['Job', 'Run', 'Event']) {
      assert.deepEqual(restored.list(kind).items, store.list(kind).items);
    }
  });

  it('replays packed objects to a watch from a revision and as the initial state', () => {
    const { h } = finishedStore();
    const seen: Resource[] = [];
    h.store.watch('Run', { resourceVersion: '0' }, (e) => seen.push(e.object)).cancel();
    const finished = seen.filter((r) => r.status.phase !== undefined);
    assert.ok(finished.length > 0);
    const initial: Resource[] = [];
    h.store.watch('Run', {}, (e) => initial.push(e.object)).cancel();
    assert.deepEqual(initial, h.store.list('Run').items);
  });

  it('cascades through packed owners and dependents', () => {
    const { h } = finishedStore();
    const store = h.store;
    const job1 = store.get('Job', 'default', 'job-1') as Resource;
    const job2 = store.get('Job', 'default', 'job-2') as Resource;
    const ref = (j: Resource) => ({
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      name: j.metadata.name,
      uid: j.metadata.uid,
    });
    // A finished Run owned by two finished (packed) Jobs survives the first one's deletion.
    const shared = ok(
      h.create(input('Run', 'shared', { ownerReferences: [ref(job1), ref(job2)] })),
    ).object;
    ok(h.updateStatus(input('Run', shared.metadata.name), { phase: 'Succeeded' }));
    const gone = ok(h.delete('Job', 'default', 'job-1'));
    assert.deepEqual(
      gone.deleted?.map((o) => o.metadata.name),
      ['job-1-0', 'job-1-1', 'job-1'],
    );
    const survivor = store.get('Run', 'default', 'shared') as Resource;
    assert.deepEqual(
      survivor.metadata.ownerReferences.map((r) => r.name),
      ['job-2'],
    );
    ok(h.delete('Job', 'default', 'job-2'));
    assert.equal(store.get('Run', 'default', 'shared'), undefined);
    assert.equal(store.get('Run', 'default', 'job-2-2'), undefined);
  });
});

describe('an informer cache with the store compactor', () => {
  it('keeps the store packed form, and reads give equal objects', () => {
    const { h } = finishedStore();
    const cache = new Cache<Resource>({ compactor: storeCompactor });
    const plain = new Cache<Resource>();
    cache.addIndex('job', (r) => [String((r.spec as { jobName?: string }).jobName)]);
    plain.addIndex('job', (r) => [String((r.spec as { jobName?: string }).jobName)]);
    for (const run of h.store.list('Run').items) {
      cache.upsert(run);
      plain.upsert(run);
      assert.ok(cache.holds(run));
    }
    assert.deepEqual(cache.list(), plain.list());
    assert.deepEqual(cache.byIndex('job', 'job-2'), plain.byIndex('job', 'job-2'));
    assert.deepEqual(cache.byIndex('job', 'job-3'), plain.byIndex('job', 'job-3'));
    const run = cache.get('default', 'job-2-1') as Resource;
    assert.ok(storeCompactor.pack(run) instanceof PackedObject);
    // The cache keeps the very packed form the store keeps.
    assert.equal(
      storeCompactor.pack(run),
      storeCompactor.pack(h.store.get('Run', 'default', 'job-2-1') as Resource),
    );
    const removed = cache.remove('default/job-2-1');
    assert.deepEqual(removed, run);
    assert.equal(cache.holds(run), false);
    assert.deepEqual(
      cache.byIndex('job', 'job-2').map((r) => r.metadata.name),
      ['job-2-0', 'job-2-2'],
    );
  });
});
