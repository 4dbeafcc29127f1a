// DiskStorage keeps only the newest entries' data in memory (logMemoryBytes)
// and reads older ones back from the WAL: what it reads back is exactly what
// was saved, while running, after a restart, after a conflicting suffix was
// overwritten, after a snapshot from the leader, and after compaction removed
// WAL segments; a record that is not the entry expected stops the node.
import assert from 'node:assert/strict';
import { openSync, readdirSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DiskStorage } from '../../../../pkg/raft/storage/disk-storage.js';
import type { DiskStorageOptions } from '../../../../pkg/raft/storage/disk-storage.js';
import { StorageCorruptError } from '../../../../pkg/raft/storage/errors.js';
import type { Entry } from '../../../../pkg/raft/types.js';
import { ents, recordingLogger, tempDirsRemovedAfter, text } from './helpers.js';

const confState = { voters: [1], learners: [] };
const newDir = tempDirsRemovedAfter();

/** 1 KiB entries, 4 KiB of them held: most of any log here lives on disk only. */
function open(dir: string, extra: Partial<DiskStorageOptions> = {}): Promise<DiskStorage> {
  return DiskStorage.open({ dir, logger: recordingLogger(), logMemoryBytes: 4096, ...extra });
}

const KB = 1024;

/** [index, term, data] of entries. */
function triples(entries: readonly Entry[]): Array<[number, number, string]> {
  return entries.map((e) => [e.index, e.term, text(e.data)]);
}

/** The whole log, read in pieces of at most maxBytes as Raft would. */
function readAll(s: DiskStorage, maxBytes = Infinity): Array<[number, number, string]> {
  const out: Array<[number, number, string]> = [];
  for (let lo = s.firstIndex(); lo <= s.lastIndex();) {
    const got = s.entries(lo, s.lastIndex() + 1, maxBytes);
    assert.ok(got.length > 0, `no entries from ${lo}`);
    out.push(...triples(got));
    lo += got.length;
  }
  return out;
}

describe('DiskStorage: the log beyond logMemoryBytes is read back from the WAL', () => {
  it('holds only the newest entries and reads the rest back exactly', async () => {
    const s = await open(newDir());
    const saved = ents(1, 200, 1, KB);
    for (let i = 0; i < saved.length; i += 10) await s.save({ entries: saved.slice(i, i + 10) });
    const held = s.logStats();
    assert.equal(held.entries, 200);
    assert.ok(held.heldBytes <= 4 * KB + KB, `held ${held.heldBytes} bytes`);
    assert.ok(held.heldEntries <= 5, `held ${held.heldEntries} entries`);

    assert.deepEqual(readAll(s), triples(saved));
    assert.deepEqual(readAll(s, 3 * KB), triples(saved), 'in pieces of 3 entries');
    assert.equal(s.term(17), 1);
    const after = s.logStats();
    assert.ok(after.readBack >= 2 * 195, `read back ${after.readBack} entries`);
    // Entries of one save lie together: one read per run, not one per entry.
    assert.ok(after.reads < after.readBack / 2, `${after.reads} reads for ${after.readBack}`);
    await s.close();
  });

  it('serves entries not yet written from memory (an unsynced save in flight)', async () => {
    const s = await open(newDir(), { logMemoryBytes: 0 });
    await s.save({ entries: ents(1, 5, 1, KB) });
    const pending = s.save({ entries: ents(6, 8, 1, KB) }, { sync: false });
    assert.deepEqual(readAll(s), triples(ents(1, 8, 1, KB)));
    await pending;
    assert.deepEqual(readAll(s), triples(ents(1, 8, 1, KB)));
    assert.equal(s.logStats().heldEntries, 0);
    await s.close();
  });

  it('reads back the same log after a restart, across several segments', async () => {
    const dir = newDir();
    const s = await open(dir, { segmentBytes: 16 * KB });
    const saved = ents(1, 120, 1, KB);
    for (let i = 0; i < saved.length; i += 7) {
      await s.save({ entries: saved.slice(i, i + 7), hardState: { term: 1, vote: 1, commit: i } });
    }
    const segments = readdirSync(join(dir, 'wal')).length;
    assert.ok(segments >= 5, `${segments} segments`);
    await s.close();

    const r = await open(dir, { segmentBytes: 16 * KB });
    assert.ok(r.logStats().heldEntries <= 5, 'a restart holds only the tail too');
    assert.deepEqual(readAll(r), triples(saved));
    assert.deepEqual(readAll(r, 5 * KB), triples(saved));
    // And what is appended after the restart goes on from there.
    await r.save({ entries: ents(121, 140, 2, KB) });
    assert.deepEqual(readAll(r), triples([...saved, ...ents(121, 140, 2, KB)]));
    await r.close();
  });

  it('reads back the replacement of a conflicting suffix, before and after a restart', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 30, 1, KB) });
    await s.save({ entries: ents(20, 25, 2, KB) });
    await s.save({ entries: ents(26, 40, 3, KB) });
    const want = triples([...ents(1, 19, 1, KB), ...ents(20, 25, 2, KB), ...ents(26, 40, 3, KB)]);
    assert.deepEqual(readAll(s), want);
    assert.equal(s.term(22), 2);
    await s.close();
    const r = await open(dir);
    assert.deepEqual(readAll(r), want);
    await r.close();
  });

  it('reads back entries after WAL segments were removed by compaction, and after a restart', async () => {
    const dir = newDir();
    const s = await open(dir, { segmentBytes: 8 * KB });
    for (let i = 1; i <= 160; i += 5) await s.save({ entries: ents(i, i + 4, 1, KB) });
    const before = readdirSync(join(dir, 'wal')).length;
    await s.createSnapshot(50, confState, new TextEncoder().encode('state@50'));
    await s.createSnapshot(100, confState, new TextEncoder().encode('state@100'));
    const left = readdirSync(join(dir, 'wal')).length;
    assert.ok(left < before, `segments ${before} -> ${left}`);
    assert.equal(s.firstIndex(), 101);
    assert.deepEqual(readAll(s), triples(ents(101, 160, 1, KB)));
    await s.close();

    const r = await open(dir, { segmentBytes: 8 * KB });
    assert.equal(r.firstIndex(), 101);
    assert.deepEqual(readAll(r), triples(ents(101, 160, 1, KB)));
    await r.close();
  });

  it('reads back the entries that follow a snapshot from the leader', async () => {
    const dir = newDir();
    const s = await open(dir);
    await s.save({ entries: ents(1, 20, 1, KB) });
    const snapshot = {
      metadata: { index: 50, term: 3, confState },
      data: new TextEncoder().encode('state@50'),
    };
    await s.save({ entries: ents(51, 80, 3, KB), snapshot });
    assert.equal(s.firstIndex(), 51);
    assert.equal(s.term(50), 3);
    assert.deepEqual(readAll(s), triples(ents(51, 80, 3, KB)));
    await s.close();
    const r = await open(dir);
    assert.deepEqual(readAll(r), triples(ents(51, 80, 3, KB)));
    await r.close();
  });

  it('stops with StorageCorruptError when a record read back is not the entry expected', async () => {
    const dir = newDir();
    const s = await open(dir, { logMemoryBytes: 0 });
    await s.save({ entries: ents(1, 10, 1, KB) });
    const segment = join(dir, 'wal', readdirSync(join(dir, 'wal'))[0] as string);
    // Overwrite every byte after the segment's first frame: no record there is intact.
    const fd = openSync(segment, 'r+');
    writeSync(fd, Buffer.alloc(8 * KB, 0x07), 0, 8 * KB, 64);
    closeSync(fd);
    assert.throws(() => s.entries(1, 11, Infinity), StorageCorruptError);
    assert.throws(() => s.entries(5, 6, Infinity), /wal: entry 5 \(term 1\) read back from/);
    await s.close();
  });
});
