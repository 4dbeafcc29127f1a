// The Storage contract (pkg/raft/storage/storage.ts), one suite for every
// implementation: each *.test.ts calls runStorageContract with a factory.
// Only behaviour the contract states is checked here; durability and
// recovery are implementation-specific and tested next to each implementation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompactedError, UnavailableError } from '../../../../pkg/raft/storage/storage.js';
import type { LogStore } from '../../../../pkg/raft/storage/storage.js';
import type { Snapshot } from '../../../../pkg/raft/types.js';
import { ents, snapshotOf, text } from './helpers.js';

export interface ContractSubject {
  readonly store: LogStore;
  cleanup(): Promise<void>;
}

export type StorageFactory = () => Promise<ContractSubject>;

const confState = { voters: [1, 2, 3], learners: [] };

async function withStore(
  factory: StorageFactory,
  fn: (s: LogStore) => Promise<void>,
): Promise<void> {
  const subject = await factory();
  try {
    await fn(subject.store);
  } finally {
    await subject.cleanup();
  }
}

export function runStorageContract(name: string, factory: StorageFactory): void {
  describe(`Storage contract: ${name}`, () => {
    it('starts empty: firstIndex 1, lastIndex 0, term(0) = 0, zero hard state', () =>
      withStore(factory, async (s) => {
        assert.equal(s.firstIndex(), 1);
        assert.equal(s.lastIndex(), 0);
        assert.equal(s.term(0), 0);
        assert.equal((await snapshotOf(s)).metadata.index, 0);
        assert.deepEqual(s.initialState().hardState, { term: 0, vote: 0, commit: 0 });
      }));

    it('returns saved entries and terms; out-of-range reads throw the typed errors', () =>
      withStore(factory, async (s) => {
        await s.save({ entries: ents(1, 5, 1) });
        await s.save({ entries: ents(6, 8, 2), hardState: { term: 2, vote: 3, commit: 4 } });
        assert.equal(s.lastIndex(), 8);
        assert.deepEqual(
          s.entries(3, 7, Infinity).map((e) => [e.index, e.term, text(e.data)]),
          [
            [3, 1, 'e-3-1'],
            [4, 1, 'e-4-1'],
            [5, 1, 'e-5-1'],
            [6, 2, 'e-6-2'],
          ],
        );
        assert.equal(s.term(5), 1);
        assert.equal(s.term(6), 2);
        assert.deepEqual(s.initialState().hardState, { term: 2, vote: 3, commit: 4 });
        assert.throws(() => s.term(9), UnavailableError);
        assert.throws(() => s.entries(5, 10, Infinity), UnavailableError);
      }));

    it('limits entries() by maxBytes but always returns at least one', () =>
      withStore(factory, async (s) => {
        await s.save({ entries: ents(1, 6, 1, 10) }); // 10 bytes of data each
        assert.equal(s.entries(1, 7, 25).length, 2);
        assert.equal(s.entries(1, 7, 30).length, 3);
        assert.equal(s.entries(1, 7, 1).length, 1);
        assert.equal(s.entries(1, 7, 0).length, 1);
        assert.equal(s.entries(1, 7, Infinity).length, 6);
      }));

    it('lets an entry at index i replace everything from i on', () =>
      withStore(factory, async (s) => {
        await s.save({ entries: ents(1, 10, 1) });
        await s.save({ entries: ents(6, 7, 2) });
        assert.equal(s.lastIndex(), 7);
        assert.equal(s.term(5), 1);
        assert.equal(s.term(6), 2);
        assert.equal(text(s.entries(7, 8, Infinity)[0]!.data), 'e-7-2');
        assert.throws(() => s.term(8), UnavailableError);
      }));

    it('hands out arrays the caller may mutate', () =>
      withStore(factory, async (s) => {
        await s.save({ entries: ents(1, 3, 1) });
        const got = s.entries(1, 4, Infinity);
        got.length = 0;
        assert.equal(s.entries(1, 4, Infinity).length, 3);
      }));

    it('createSnapshot compacts: below firstIndex is CompactedError, term(first-1) is the snapshot term', () =>
      withStore(factory, async (s) => {
        await s.save({ entries: [...ents(1, 4, 1), ...ents(5, 10, 2)] });
        const snap = await s.createSnapshot(6, confState, new TextEncoder().encode('state@6'));
        assert.deepEqual(snap.metadata, { index: 6, term: 2, confState });
        assert.equal(s.firstIndex(), 7);
        assert.equal(s.lastIndex(), 10);
        assert.equal(s.term(6), 2);
        assert.throws(() => s.term(5), CompactedError);
        assert.throws(() => s.entries(6, 8, Infinity), CompactedError);
        assert.deepEqual(
          s.entries(7, 11, Infinity).map((e) => e.index),
          [7, 8, 9, 10],
        );
        assert.equal((await snapshotOf(s)).metadata.index, 6);
        assert.equal(text((await snapshotOf(s)).data), 'state@6');
        assert.deepEqual(s.initialState().confState, confState);
      }));

    it('answers an out-of-date createSnapshot with the current one; refuses one beyond the log', () =>
      withStore(factory, async (s) => {
        await s.save({ entries: ents(1, 5, 1) });
        await s.createSnapshot(4, confState, new TextEncoder().encode('state@4'));
        const again = await s.createSnapshot(2, confState, new TextEncoder().encode('old'));
        assert.equal(again.metadata.index, 4);
        assert.equal(text((await snapshotOf(s)).data), 'state@4');
        await assert.rejects(s.createSnapshot(9, confState, new Uint8Array()));
      }));

    it('ignores a received snapshot no newer than its own', () =>
      withStore(factory, async (s) => {
        await s.save({ entries: ents(1, 5, 1) });
        await s.createSnapshot(4, confState, new TextEncoder().encode('state@4'));
        const old: Snapshot = {
          metadata: { index: 3, term: 1, confState },
          data: new Uint8Array(),
        };
        await s.save({ snapshot: old, entries: [] });
        assert.equal((await snapshotOf(s)).metadata.index, 4);
        assert.equal(s.lastIndex(), 5);
      }));

    it('installs a received snapshot, discarding the log it covers', () =>
      withStore(factory, async (s) => {
        await s.save({ entries: ents(1, 5, 1) });
        const snap: Snapshot = {
          metadata: { index: 20, term: 3, confState },
          data: new TextEncoder().encode('state@20'),
        };
        await s.save({ snapshot: snap, entries: [], hardState: { term: 3, vote: 0, commit: 20 } });
        assert.equal(s.firstIndex(), 21);
        assert.equal(s.lastIndex(), 20);
        assert.equal(s.term(20), 3);
        assert.throws(() => s.term(5), CompactedError);
        await s.save({ entries: ents(21, 22, 3) });
        assert.equal(s.lastIndex(), 22);
        assert.equal((await snapshotOf(s)).metadata.index, 20);
        assert.deepEqual(s.initialState().hardState, { term: 3, vote: 0, commit: 20 });
      }));
  });
}
