// DiskStorage durability: what a restart recovers, snapshots and segment
// management, group commit, write failures and the lock file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DiskStorage } from '../../../../pkg/raft/storage/disk-storage.js';
import type { DiskStorageOptions } from '../../../../pkg/raft/storage/disk-storage.js';
import { StorageFailedError, StorageLockedError } from '../../../../pkg/raft/storage/errors.js';
import { Reason } from '../../../../pkg/util/errors.js';
import {
  FaultyFs,
  ent,
  ents,
  recordingLogger,
  snapshotOf,
  tempDirsRemovedAfter,
  text,
} from './helpers.js';
import { UnavailableError } from '../../../../pkg/raft/storage/storage.js';

const confState = { voters: [1], learners: [] };
const newDir = tempDirsRemovedAfter();

function open(dir: string, extra: Partial<DiskStorageOptions> = {}): Promise<DiskStorage> {
  return DiskStorage.open({ dir, logger: recordingLogger(), ...extra });
}

/** Reopens the storage and returns [index, term, data] of its whole log. */
function dump(s: DiskStorage): Array<[number, number, string]> {
  if (s.lastIndex() < s.firstIndex()) return [];
  return s
    .entries(s.firstIndex(), s.lastIndex() + 1, Infinity)
    .map((e) => [e.index, e.term, text(e.data)]);
}

function segmentFiles(dir: string): string[] {
  return readdirSync(join(dir, 'wal')).filter((n) => n.endsWith('.wal'));
}

describe('DiskStorage restart', () => {
  it('recovers term, vote, commit and the log exactly', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 3, 1), hardState: { term: 1, vote: 2, commit: 0 } });
    await s.save({ entries: ents(4, 6, 2), hardState: { term: 2, vote: 3, commit: 5 } });
    const before = dump(s);
    await s.close();

    const r = await open(dir);
    assert.deepEqual(r.initialState().hardState, { term: 2, vote: 3, commit: 5 });
    assert.deepEqual(dump(r), before);
    assert.equal(r.lastIndex(), 6);
    await r.close();
  });

  it('recovers the log after a conflicting suffix was overwritten', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 10, 1), hardState: { term: 1, vote: 1, commit: 3 } });
    await s.save({ entries: ents(5, 7, 2), hardState: { term: 2, vote: 0, commit: 3 } });
    await s.save({ entries: ents(8, 8, 2) });
    await s.close();

    const r = await open(dir);
    assert.deepEqual(dump(r), [
      ...ents(1, 4, 1).map((e): [number, number, string] => [e.index, 1, text(e.data)]),
      [5, 2, 'e-5-2'],
      [6, 2, 'e-6-2'],
      [7, 2, 'e-7-2'],
      [8, 2, 'e-8-2'],
    ]);
    assert.deepEqual(r.initialState().hardState, { term: 2, vote: 0, commit: 3 });
    await r.close();
  });

  it('keeps a save that carries only a hard state', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: [], hardState: { term: 7, vote: 2, commit: 0 } });
    await s.close();
    const r = await open(dir);
    assert.deepEqual(r.initialState().hardState, { term: 7, vote: 2, commit: 0 });
    await r.close();
  });
});

describe('DiskStorage snapshots and segments', () => {
  it('rolls segments over, compacts after snapshots and survives restart', async () => {
    const dir = newDir();
    const s = await open(dir, { segmentBytes: 4096 });
    for (let i = 1; i <= 100; i++) {
      await s.save({ entries: [ent(i, 1, 200)], hardState: { term: 1, vote: 1, commit: i } });
    }
    const rolled = segmentFiles(dir).length;
    assert.ok(rolled >= 5, `expected several segments, got ${rolled}`);
    assert.equal(s.stats().segments, rolled);

    await s.createSnapshot(50, confState, new TextEncoder().encode('state@50'));
    const afterFirst = segmentFiles(dir).length;
    assert.ok(afterFirst < rolled, `segments below index 50 deleted (${rolled} -> ${afterFirst})`);
    assert.equal(s.firstIndex(), 51);

    // The second snapshot keeps the first as a fallback, so segments are
    // deleted up to the older one; a third moves that point on.
    await s.createSnapshot(80, confState, new TextEncoder().encode('state@80'));
    await s.createSnapshot(95, confState, new TextEncoder().encode('state@95'));
    const afterThird = segmentFiles(dir).length;
    assert.ok(
      afterThird < afterFirst,
      `segments below index 80 deleted (${afterFirst} -> ${afterThird})`,
    );
    assert.deepEqual(readdirSync(join(dir, 'snap')).sort(), [
      '0000000000000050-0000000000000001.snap',
      '000000000000005f-0000000000000001.snap',
    ]);
    const before = dump(s);
    await s.close();

    const r = await open(dir, { segmentBytes: 4096 });
    assert.equal(r.snapshot().metadata.index, 95);
    assert.equal(text(r.snapshot().data), 'state@95');
    assert.equal(r.firstIndex(), 96);
    assert.deepEqual(dump(r), before);
    assert.deepEqual(r.initialState().hardState, { term: 1, vote: 1, commit: 100 });
    // The log keeps growing after recovery, into the recovered last segment.
    await r.save({ entries: [ent(101, 2, 200)] });
    await r.close();
    const r2 = await open(dir, { segmentBytes: 4096 });
    assert.equal(r2.lastIndex(), 101);
    assert.equal(r2.term(101), 2);
    await r2.close();
  });

  it('keeps a durable snapshot on disk only, and reads it back when asked for it', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 5, 1) });
    await s.createSnapshot(4, confState, new TextEncoder().encode('state@4'));
    // Its data (as large as the state) left memory with the file durable.
    assert.throws(() => s.snapshot(), UnavailableError);
    assert.equal(text((await snapshotOf(s)).data), 'state@4');
    assert.equal(s.snapshot().metadata.index, 4, 'read back, it stays until the next snapshot');
    await s.save({
      snapshot: {
        metadata: { index: 9, term: 2, confState },
        data: new TextEncoder().encode('leader@9'),
      },
      entries: [],
    });
    assert.equal(text((await snapshotOf(s)).data), 'leader@9');
    await s.close();
  });

  it('installs a snapshot from the leader durably, with the entries that follow', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 5, 1), hardState: { term: 1, vote: 1, commit: 2 } });
    await s.save({
      snapshot: {
        metadata: { index: 50, term: 3, confState },
        data: new TextEncoder().encode('leader@50'),
      },
      entries: ents(51, 52, 3),
      hardState: { term: 3, vote: 0, commit: 51 },
    });
    await s.close();
    const r = await open(dir);
    assert.equal(r.snapshot().metadata.index, 50);
    assert.equal(text(r.snapshot().data), 'leader@50');
    assert.deepEqual(dump(r), [
      [51, 3, 'e-51-3'],
      [52, 3, 'e-52-3'],
    ]);
    assert.deepEqual(r.initialState().hardState, { term: 3, vote: 0, commit: 51 });
    await r.close();
  });

  it('answers an out-of-date createSnapshot with the current snapshot, writing nothing', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 5, 1) });
    await s.createSnapshot(4, confState, new TextEncoder().encode('state@4'));
    const again = await s.createSnapshot(3, confState, new Uint8Array());
    assert.equal(again.metadata.index, 4);
    assert.equal(s.stats().snapshotsWritten, 1);
    await s.close();
  });

  it('writes a snapshot given in pieces as createSnapshot would the whole, and recovers it', async () => {
    const pieces = ['{"a":', '[1,2', ',3]', '}'].map((p) => new TextEncoder().encode(p));
    async function* given(): AsyncGenerator<Uint8Array> {
      for (const p of pieces) yield p;
    }
    const whole = newDir();
    const a = await open(whole);
    await a.save({ entries: ents(1, 5, 1) });
    await a.createSnapshot(4, confState, new TextEncoder().encode('{"a":[1,2,3]}'));
    await a.close();
    const streamed = newDir();
    const s = await open(streamed);
    await s.save({ entries: ents(1, 5, 1) });
    assert.equal(await s.createSnapshotFrom(4, confState, given()), 13);
    assert.throws(() => s.snapshot(), UnavailableError, 'durable: its data is on disk only');
    assert.deepEqual(dump(s), [[5, 1, 'e-5-1']]);
    assert.equal(s.stats().snapshotsWritten, 1);
    // Out of date: nothing written.
    assert.equal(await s.createSnapshotFrom(3, confState, given()), 0);
    await s.close();
    const name = readdirSync(join(whole, 'snap'));
    assert.deepEqual(readdirSync(join(streamed, 'snap')), name);
    assert.deepEqual(
      readFileSync(join(streamed, 'snap', name[0] as string)),
      readFileSync(join(whole, 'snap', name[0] as string)),
    );
    const r = await open(streamed);
    assert.equal(text(r.snapshot().data), '{"a":[1,2,3]}');
    assert.deepEqual(dump(r), [[5, 1, 'e-5-1']]);
    await r.close();
  });

  it('installs nothing when the pieces of a snapshot end in an error', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 5, 1) });
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode('{"a":');
      throw new Error('stopped');
    }
    await assert.rejects(s.createSnapshotFrom(4, confState, broken()), /stopped/);
    assert.deepEqual(readdirSync(join(dir, 'snap')), []);
    assert.equal(s.stats().snapshotsWritten, 0);
    assert.equal(s.firstIndex(), 1, 'the log is kept');
    await s.save({ entries: ents(6, 6, 1) });
    await s.close();
  });
});

describe('DiskStorage group commit', () => {
  it('coalesces 200 concurrent saves into far fewer fsyncs, all durable', async () => {
    const dir = newDir();
    const s = await open(dir);
    const saves = [];
    for (let i = 1; i <= 200; i++) {
      saves.push(s.save({ entries: [ent(i, 1)], hardState: { term: 1, vote: 1, commit: i - 1 } }));
    }
    await Promise.all(saves);
    const { fsyncs, saves: count } = s.stats();
    assert.equal(count, 200);
    assert.ok(fsyncs < 20, `200 saves took ${fsyncs} fsyncs`);
    await s.close();

    const r = await open(dir);
    assert.equal(r.lastIndex(), 200);
    assert.deepEqual(
      dump(r).map(([i, , d]) => [i, d]),
      ents(1, 200, 1).map((e) => [e.index, text(e.data)]),
    );
    assert.deepEqual(r.initialState().hardState, { term: 1, vote: 1, commit: 199 });
    await r.close();
  });
});

describe('DiskStorage write failures', () => {
  it('rejects on ENOSPC with a clear message, stays failed, and loses nothing acknowledged', async () => {
    const dir = newDir();
    const fs = new FaultyFs();
    const s = await open(dir, { fs });
    await s.save({ entries: ents(1, 5, 1), hardState: { term: 1, vote: 1, commit: 4 } });

    fs.failWrites = 'ENOSPC';
    fs.partialBytes = 20; // the disk took part of the batch before filling up
    const failed = s.save({ entries: ents(6, 7, 1) });
    await assert.rejects(failed, (err: unknown) => {
      assert.ok(err instanceof StorageFailedError);
      assert.equal(err.reason, Reason.Unavailable);
      assert.equal(err.code, 'ENOSPC');
      assert.equal(
        err.message,
        `wal: write to ${join(dir, 'wal')} failed: no space left on device (ENOSPC)`,
      );
      return true;
    });

    // Space is back, but the storage stays failed: the shell must stop the node.
    fs.failWrites = undefined;
    await assert.rejects(s.save({ entries: ents(6, 6, 1) }), /no space left on device \(ENOSPC\)/);
    await assert.rejects(s.save({ entries: [] }), StorageFailedError);
    await assert.rejects(s.createSnapshot(3, confState, new Uint8Array()), StorageFailedError);
    await s.close();

    const logger = recordingLogger();
    const r = await open(dir, { logger });
    assert.deepEqual(
      dump(r),
      ents(1, 5, 1).map((e): [number, number, string] => [e.index, 1, text(e.data)]),
    );
    assert.deepEqual(r.initialState().hardState, { term: 1, vote: 1, commit: 4 });
    assert.equal(logger.warnings.length, 1, 'the partial batch is a torn tail');
    await r.close();
  });

  it('rejects every save of a batch whose fsync failed (EIO)', async () => {
    const dir = newDir();
    const fs = new FaultyFs();
    const s = await open(dir, { fs });
    await s.save({ entries: ents(1, 2, 1) });
    fs.failSyncs = 'EIO';
    const results = await Promise.allSettled(
      [3, 4, 5].map((i) => s.save({ entries: [ent(i, 1)] })),
    );
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.match(String((r as PromiseRejectedResult).reason), /input\/output error \(EIO\)/);
    }
    fs.failSyncs = undefined;
    await assert.rejects(s.save({ entries: [ent(6, 1)] }), StorageFailedError);
    await s.close();
    const r = await open(dir);
    assert.ok(r.lastIndex() >= 2);
    assert.equal(text(r.entries(2, 3, Infinity)[0]!.data), 'e-2-1');
    await r.close();
  });

  it('fails the storage when a snapshot file cannot be written', async () => {
    const dir = newDir();
    const fs = new FaultyFs();
    const s = await open(dir, { fs });
    await s.save({ entries: ents(1, 5, 1) });
    fs.failWrites = 'ENOSPC';
    await assert.rejects(
      s.createSnapshot(3, confState, new Uint8Array(100)),
      new RegExp(`snap: write to ${join(dir, 'snap')} failed: no space left on device`),
    );
    fs.failWrites = undefined;
    await assert.rejects(s.save({ entries: [ent(6, 1)] }), StorageFailedError);
    assert.equal(s.firstIndex(), 1, 'nothing compacted');
    await s.close();
    const r = await open(dir);
    assert.equal(r.lastIndex(), 5);
    assert.equal(r.snapshot().metadata.index, 0);
    await r.close();
  });
});

describe('DiskStorage lock file', () => {
  it('refuses a second open of the same directory', async () => {
    const dir = newDir();
    const s = await open(dir);
    await assert.rejects(open(dir), (err: unknown) => {
      assert.ok(err instanceof StorageLockedError);
      assert.match(err.message, /is locked by this process/);
      assert.equal(err.pid, process.pid);
      return true;
    });
    await s.close();
    const again = await open(dir);
    await again.close();
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 2, 1) });
    await s.close();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(dir, 'LOCK'), `${dead}\n`);
    const logger = recordingLogger();
    const r = await open(dir, { logger });
    assert.equal(r.lastIndex(), 2);
    assert.equal(logger.warnings.length, 1);
    assert.match(logger.warnings[0]!, /taking over stale lock/);
    await r.close();
  });
});

describe('DiskStorage unsynced saves (Ready.mustSync false)', () => {
  it('writes a commit-only save without an fsync of its own; it is there after close and reopen', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 3, 1), hardState: { term: 1, vote: 1, commit: 0 } });
    const synced = s.stats().fsyncs;
    await s.save({ entries: [], hardState: { term: 1, vote: 1, commit: 3 } }, { sync: false });
    assert.equal(s.stats().fsyncs, synced, 'no fsync for the commit index alone');
    assert.deepEqual(s.initialState().hardState, { term: 1, vote: 1, commit: 3 });
    // The next synced save carries it to disk with its own fsync.
    await s.save({ entries: ents(4, 4, 1), hardState: { term: 1, vote: 1, commit: 3 } });
    assert.equal(s.stats().fsyncs, synced + 1);
    await s.save({ entries: [], hardState: { term: 1, vote: 1, commit: 4 } }, { sync: false });
    await s.close(); // and close() syncs what is left
    const r = await open(dir);
    assert.equal(r.lastIndex(), 4);
    assert.deepEqual(r.initialState().hardState, { term: 1, vote: 1, commit: 4 });
    await r.close();
  });
});
