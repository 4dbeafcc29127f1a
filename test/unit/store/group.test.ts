// Group commit in the store: many writers' commands in one entry, each with its
// own answer and its own revision, and a state that does not depend on how the
// commands were packed into entries.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeCommand,
  encodeGroup,
  ResourceStore,
  type Command,
  type CommandResult,
  type GroupResult,
  type WatchEvent,
} from '../../../pkg/store/index.js';
import { SeededRng } from '../../../pkg/util/rng.js';
import { Harness, input, jobInput, jobSpec, ok, seededCommands } from './fixtures.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function applyGroup(
  store: ResourceStore,
  index: number,
  commands: readonly Command[],
): GroupResult {
  const result = store.apply(index, encodeGroup(commands.map((c) => JSON.stringify(c))));
  assert.ok(result && result.ok && result.outcome === 'group', 'a group gets a group result');
  return result;
}

function answer(r: CommandResult): string {
  if (!r.ok) return r.reason;
  if (r.outcome === 'batch') return `batch(${r.results.map(answer).join(',')})`;
  return `${r.outcome}@${r.object.metadata.resourceVersion}`;
}

/** Packs `cmds` into entries of 1..maxGroup commands (seeded), applied from index 1. */
function replayGrouped(cmds: readonly Command[], seed: number, maxGroup: number) {
  const rng = new SeededRng(seed);
  const store = new ResourceStore();
  const results: CommandResult[] = [];
  let index = 0;
  for (let i = 0; i < cmds.length;) {
    const n = Math.min(rng.int(1, maxGroup), cmds.length - i);
    const items = cmds.slice(i, i + n);
    i += n;
    index += rng.int(1, 2); // the shell skips indexes it keeps to itself
    results.push(...applyGroup(store, index, items).results);
  }
  return { store, results, index };
}

describe('group entries', () => {
  it('answer each write on its own: a conflicting or invalid write in the middle fails alone', () => {
    const h = new Harness();
    const b = ok(h.create(jobInput('b'))).object; // revision 1
    ok(h.update(jobInput('b', { labels: { v: '2' } }))); // revision 2: b's rv moves on
    const events: WatchEvent[] = [];
    h.store.watch('Job', { resourceVersion: '2' }, (e) => events.push(e));

    h.index++;
    const result = applyGroup(h.store, h.index, [
      { op: 'create', now: 't', uid: 'ua', object: jobInput('a') },
      // Stale: b's resourceVersion is 2 now.
      {
        op: 'update',
        object: jobInput('b', { labels: { v: '3' }, resourceVersion: b.metadata.resourceVersion }),
      },
      { op: 'create', now: 't', uid: 'ubad', object: jobInput('Not_A_Name') },
      // The writer after the conflict sees what the writers before it did.
      { op: 'apply', now: 't', uid: 'ua2', object: jobInput('a') },
      { op: 'apply', now: 't', uid: 'ua3', object: jobInput('a', { labels: { x: 'y' } }) },
      { op: 'create', now: 't', uid: 'ub2', object: jobInput('b') },
      { op: 'delete', now: 't', kind: 'Job', namespace: 'default', name: 'missing' },
      {
        op: 'batch',
        atomic: true,
        commands: [
          { op: 'create', now: 't', uid: 'uc', object: jobInput('c') },
          { op: 'update', object: jobInput('missing') },
        ],
      },
      { op: 'create', now: 't', uid: 'ud', object: jobInput('d') },
      {
        op: 'batch',
        commands: [
          { op: 'create', now: 't', uid: 'ue', object: jobInput('e') },
          { op: 'update', object: jobInput('missing') },
        ],
      },
    ]);
    assert.deepEqual(result.results.map(answer), [
      'created@3',
      'Conflict',
      'Invalid',
      'unchanged@3',
      'configured@4',
      'AlreadyExists',
      'NotFound',
      'NotFound',
      // The atomic batch's undone create gave its revision back.
      'created@5',
      'batch(created@6,NotFound)',
    ]);
    assert.equal(h.store.get('Job', 'default', 'c'), undefined);
    assert.equal(h.store.get('Job', 'default', 'b')?.metadata.labels.v, '2');
    assert.equal(h.store.revision, 6);
    assert.equal(h.store.appliedIndex, h.index);
    // One event per change, revisions strictly increasing.
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`),
      ['ADDED a@3', 'MODIFIED a@4', 'ADDED d@5', 'ADDED e@6'],
    );
  });

  it('refuses a group inside a group, and a group that is not a list, as Invalid', () => {
    const store = new ResourceStore();
    const inner = JSON.stringify({ op: 'group', commands: [] });
    const nested = applyGroup(store, 1, []);
    assert.deepEqual(nested.results, []);
    const r = store.apply(2, encodeGroup([inner]));
    assert.ok(r && r.ok && r.outcome === 'group');
    assert.equal(r.results[0]?.ok, false);
    const bad = store.apply(3, new TextEncoder().encode('{"op":"group","commands":7}'));
    assert.equal(bad?.ok, false);
    assert.equal(store.appliedIndex, 3);
  });

  for (const seed of [3, 5, 8]) {
    it(`packing does not change the state, the answers or the revisions (seed ${seed})`, () => {
      const cmds = seededCommands(seed, 600);
      const single = new ResourceStore();
      const singles = cmds.map((c, i) => single.apply(i + 1, encodeCommand(c)));
      const grouped = replayGrouped(cmds, seed, 40);
      assert.deepEqual(grouped.results, singles);
      assert.equal(text(grouped.store.snapshot()), text(single.snapshot()));
      assert.equal(grouped.store.revision, single.revision);
    });
  }

  it('every change has a revision above the one before, across entries', () => {
    const { store } = replayGrouped(seededCommands(13, 500), 13, 25);
    const all: number[] = [];
    const h = new ResourceStore();
    h.watch('Job', { resourceVersion: '0' }, (e) =>
      all.push(Number(e.object.metadata.resourceVersion)),
    );
    // Replaying into a watched store: every event of every entry, in order.
    const rng = new SeededRng(13);
    const cmds = seededCommands(13, 500);
    let index = 0;
    for (let i = 0; i < cmds.length;) {
      const n = Math.min(rng.int(1, 25), cmds.length - i);
      index += rng.int(1, 2);
      applyGroup(h, index, cmds.slice(i, i + n));
      i += n;
    }
    assert.ok(all.length > 100);
    for (let i = 1; i < all.length; i++) {
      assert.ok(
        (all[i] as number) > (all[i - 1] as number),
        `revision ${all[i]} after ${all[i - 1]}`,
      );
    }
    assert.equal(all[all.length - 1], store.revision);
  });

  it('a node restored from a snapshot mid-log continues with the same revisions and events', () => {
    const cmds = seededCommands(21, 600);
    const rng = new SeededRng(21);
    const entries: { index: number; data: Uint8Array }[] = [];
    let index = 0;
    for (let i = 0; i < cmds.length;) {
      const n = Math.min(rng.int(1, 30), cmds.length - i);
      index += 1;
      entries.push({
        index,
        data: encodeGroup(cmds.slice(i, i + n).map((c) => JSON.stringify(c))),
      });
      i += n;
    }
    const half = Math.floor(entries.length / 2);
    // Node A applies the whole log; node B restores A's snapshot at the middle.
    const a = new ResourceStore();
    for (const e of entries.slice(0, half)) a.apply(e.index, e.data);
    const snap = a.snapshot();
    const at = a.appliedIndex;
    const from = String(a.revision);
    const seenA: string[] = [];
    const seenB: string[] = [];
    const tag = (e: WatchEvent) =>
      `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}@${e.object.metadata.resourceVersion}`;
    a.watch('Job', { resourceVersion: from }, (e) => seenA.push(tag(e)));
    const b = new ResourceStore();
    b.restore(at, snap);
    assert.equal(b.revision, a.revision);
    assert.equal(b.appliedIndex, at);
    b.watch('Job', { resourceVersion: from }, (e) => seenB.push(tag(e)));
    for (const e of entries.slice(half)) {
      a.apply(e.index, e.data);
      b.apply(e.index, e.data);
    }
    assert.ok(seenA.length > 50);
    assert.deepEqual(seenB, seenA);
    assert.equal(text(b.snapshot()), text(a.snapshot()));
    // A watch from a revision in the middle of a group entry resumes exactly there.
    const mid = Number(from) + Math.floor(seenA.length / 2);
    const resumed: string[] = [];
    b.watch('Job', { resourceVersion: String(mid) }, (e) => resumed.push(tag(e)));
    assert.deepEqual(
      resumed,
      seenA.filter((s) => Number(s.slice(s.lastIndexOf('@') + 1)) > mid),
    );
  });

  it('keeps the history window exact per change: a watch from before it gets Gone', () => {
    const store = new ResourceStore({ historySize: 5 });
    const group: Command[] = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => ({
      op: 'create',
      now: 't',
      uid: `u-${n}`,
      object: input('Job', n, { spec: jobSpec() }),
    }));
    applyGroup(store, 1, group);
    assert.equal(store.revision, 7);
    // Revisions 3..7 are still held: a watch from 2 is served exactly.
    const events: string[] = [];
    store.watch('Job', { resourceVersion: '2' }, (e) => events.push(e.object.metadata.name));
    assert.deepEqual(events, ['c', 'd', 'e', 'f', 'g']);
    assert.throws(
      () => store.watch('Job', { resourceVersion: '1' }, () => {}),
      /too old resource version/,
    );
  });
});
