import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobctlError } from '../../../pkg/util/errors.js';
import { encodeCommand, ResourceStore, type Command } from '../../../pkg/store/index.js';
import { Harness, input, jobInput, jobSpec, ok, seededCommands } from './fixtures.js';

// Finished Runs: deleting their owner removes it at once (an active Run only marks it).
const FINISHED = { phase: 'Succeeded' };

function replay(cmds: readonly Command[]): { store: ResourceStore; results: unknown[] } {
  const store = new ResourceStore();
  const results = cmds.map((c, i) => store.apply(i + 1, encodeCommand(c)));
  return { store, results };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('determinism', () => {
  for (const seed of [11, 22, 33]) {
    it(`two stores fed the same commands agree byte for byte (seed ${seed})`, () => {
      const cmds = seededCommands(seed, 400);
      const a = replay(cmds);
      const b = replay(cmds);
      assert.deepEqual(a.results, b.results);
      assert.equal(text(a.store.snapshot()), text(b.store.snapshot()));
      assert.ok((a.store.counts().Job ?? 0) > 0, 'the stream leaves some objects behind');
    });
  }

  it('commands applied as entries (kept by the store) or in process (copied) give the same bytes', () => {
    const cmds = seededCommands(44, 400);
    const entries = replay(cmds);
    const inProcess = new ResourceStore();
    const results = cmds.map((c, i) => inProcess.applyCommand(i + 1, structuredClone(c)));
    assert.deepEqual(entries.results, results);
    assert.equal(text(entries.store.snapshot()), text(inProcess.snapshot()));
  });

  it('snapshot bytes do not depend on the key order a client sent', () => {
    const spec = jobSpec();
    const reversed = Object.fromEntries(Object.entries(spec).reverse());
    const a = new Harness();
    const b = new Harness();
    ok(a.create(jobInput('x', { labels: { a: '1', b: '2' }, spec })));
    ok(b.create(jobInput('x', { labels: { b: '2', a: '1' }, spec: reversed })));
    assert.equal(text(a.store.snapshot()), text(b.store.snapshot()));
  });
});

describe('snapshot and restore', () => {
  it('round-trips: a restored store lists the same and snapshots to the same bytes', () => {
    const cmds = seededCommands(7, 500);
    const { store } = replay(cmds);
    const bytes = store.snapshot();
    const restored = new ResourceStore();
    restored.restore(store.revision, bytes);
    assert.equal(restored.revision, store.revision);
    assert.deepEqual(restored.counts(), store.counts());
    for (const kind of ['Job', 'Run', 'Node', 'CronJob']) {
      assert.deepEqual(restored.list(kind), store.list(kind));
      assert.deepEqual(
        restored.list(kind, { limit: 3, labelSelector: 'team=x' }),
        store.list(kind, { limit: 3, labelSelector: 'team=x' }),
      );
    }
    assert.equal(text(restored.snapshot()), text(bytes));
    // Restored objects are frozen like any others.
    const first = restored.list('Job').items[0];
    assert.ok(first && Object.isFrozen(first.metadata.labels));
  });

  it('continues identically after restore (indexes rebuilt: cascade still works)', () => {
    const h = new Harness();
    const job = ok(h.create(jobInput('j'))).object;
    const owner = {
      apiVersion: job.apiVersion,
      kind: 'Job',
      name: 'j',
      uid: job.metadata.uid,
      controller: true,
    };
    ok(h.create(input('Run', 'j-0', { status: FINISHED, ownerReferences: [owner] })));
    const restored = new ResourceStore();
    restored.restore(h.store.revision, h.store.snapshot());
    const del = encodeCommand({
      op: 'delete',
      now: 't',
      kind: 'Job',
      namespace: 'default',
      name: 'j',
    });
    h.store.apply(3, del);
    restored.apply(3, del);
    assert.equal(restored.counts().Run, 0);
    assert.equal(text(restored.snapshot()), text(h.store.snapshot()));
  });

  it('restarts watch history at the snapshot index and stops current watchers with Gone', () => {
    const h = new Harness();
    for (const n of ['a', 'b', 'c']) ok(h.create(jobInput(n)));
    const target = new Harness();
    ok(target.create(jobInput('old')));
    const errors: unknown[] = [];
    const handle = target.store.watch(
      'Job',
      { resourceVersion: '0', onError: (e) => errors.push(e) },
      () => {},
    );
    target.store.restore(3, h.store.snapshot());
    assert.equal(handle.active, false);
    assert.ok(errors[0] instanceof JobctlError && errors[0].reason === 'Gone');
    assert.throws(
      () => target.store.watch('Job', { resourceVersion: '2' }, () => {}),
      /too old resource version: 2 \(oldest available: 3\)/,
    );
    const seen: string[] = [];
    target.store.watch('Job', { resourceVersion: '3' }, (e) =>
      seen.push(`${e.type} ${e.object.metadata.name}`),
    );
    target.store.apply(
      4,
      encodeCommand({ op: 'delete', now: 't', kind: 'Job', namespace: 'default', name: 'b' }),
    );
    assert.deepEqual(seen, ['DELETED b']);
    assert.equal(target.store.get('Job', 'default', 'old'), undefined);
  });

  it('refuses bytes that are not a store snapshot', () => {
    const store = new ResourceStore();
    assert.throws(
      () => store.restore(1, new TextEncoder().encode('{"hello":1}')),
      /not a .* snapshot/,
    );
  });
});

describe('captured snapshots', () => {
  it('encode the captured revision even if the store moves on before the pieces are produced', () => {
    const { store } = replay(seededCommands(5, 300));
    const expected = text(store.snapshot());
    const capture = store.captureSnapshot();
    store.apply(
      store.appliedIndex + 1,
      encodeCommand({ op: 'create', now: 't', uid: 'late', object: jobInput('late-comer') }),
    );
    store.apply(
      store.appliedIndex + 1,
      encodeCommand({ op: 'delete', now: 't', kind: 'Job', namespace: 'default', name: 'a' }),
    );
    const pieces = [...capture.pieces(3)];
    assert.ok(pieces.length > 3);
    assert.equal(pieces.map(text).join(''), expected);
    assert.equal(capture.revision, JSON.parse(expected).revision);
  });
});
