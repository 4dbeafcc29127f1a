// Recovery from damaged files: a torn tail is cut away with one warning;
// damage to acknowledged data refuses to start, naming the file and offset.
import assert from 'node:assert/strict';
import {
  appendFileSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DiskStorage } from '../../../../pkg/raft/storage/disk-storage.js';
import { StorageCorruptError } from '../../../../pkg/raft/storage/errors.js';
import { ent, ents, recordingLogger, tempDirsRemovedAfter, text } from './helpers.js';

const confState = { voters: [1], learners: [] };
const newDir = tempDirsRemovedAfter();

const firstSegment = (dir: string): string => join(dir, 'wal', '0000000000000001.wal');

/** Saves entries 1..n one per save; returns the segment size after each save (index 0: before any). */
async function writeLog(dir: string, n: number, segmentBytes?: number): Promise<number[]> {
  const s = await DiskStorage.open({ dir, logger: recordingLogger(), segmentBytes });
  const sizes = [0];
  for (let i = 1; i <= n; i++) {
    await s.save({ entries: [ent(i, 1, 64)], hardState: { term: 1, vote: 1, commit: i } });
    sizes.push(statSync(firstSegment(dir)).size);
  }
  await s.close();
  return sizes;
}

describe('WAL tail damage', () => {
  it('truncates a torn last record (chopped in half, garbage appended) with one warning', async () => {
    const dir = newDir();
    const sizes = await writeLog(dir, 10);
    const start = sizes[9]!;
    const end = sizes[10]!;
    truncateSync(firstSegment(dir), start + Math.floor((end - start) / 2));
    appendFileSync(firstSegment(dir), Buffer.from('garbage garbage garbage \x00\xff\x13'));

    const logger = recordingLogger();
    const s = await DiskStorage.open({ dir, logger });
    assert.equal(logger.warnings.length, 1);
    assert.match(
      logger.warnings[0]!,
      new RegExp(`truncated torn tail of .*0000000000000001\\.wal at offset ${start}`),
    );
    assert.equal(s.lastIndex(), 9);
    assert.deepEqual(s.initialState().hardState, { term: 1, vote: 1, commit: 9 });
    assert.equal(statSync(firstSegment(dir)).size, start);

    // The node carries on from there, and the new write survives a restart.
    await s.save({ entries: [ent(10, 2)] });
    await s.close();
    const logger2 = recordingLogger();
    const r = await DiskStorage.open({ dir, logger: logger2 });
    assert.equal(logger2.warnings.length, 0);
    assert.equal(r.lastIndex(), 10);
    assert.equal(text(r.entries(10, 11, Infinity)[0]!.data), 'e-10-2');
    await r.close();
  });

  it('truncates a zero-filled tail (a write whose pages never reached the disk)', async () => {
    const dir = newDir();
    await writeLog(dir, 3);
    appendFileSync(firstSegment(dir), Buffer.alloc(4096));
    const logger = recordingLogger();
    const s = await DiskStorage.open({ dir, logger });
    assert.equal(s.lastIndex(), 3);
    assert.equal(logger.warnings.length, 1);
    await s.close();
  });
});

describe('WAL damage before the tail', () => {
  it('refuses to start on a CRC mismatch followed by valid records', async () => {
    const dir = newDir();
    const sizes = await writeLog(dir, 10);
    const offset = sizes[3]!; // the frame of entry 4
    const buf = readFileSync(firstSegment(dir));
    buf[offset + 40] = buf[offset + 40]! ^ 0xff; // inside its payload
    writeFileSync(firstSegment(dir), buf);

    await assert.rejects(DiskStorage.open({ dir, logger: recordingLogger() }), (err: unknown) => {
      assert.ok(err instanceof StorageCorruptError);
      assert.equal(err.file, firstSegment(dir));
      assert.equal(err.offset, offset);
      assert.match(
        err.message,
        new RegExp(
          `^wal: corrupt record at ${firstSegment(dir)} offset ${offset} \\(crc mismatch\\) before the tail .*refusing to start$`,
        ),
      );
      return true;
    });
    // The refusal released the lock: fixing the file lets the node start.
    buf[offset + 40] = buf[offset + 40]! ^ 0xff;
    writeFileSync(firstSegment(dir), buf);
    const s = await DiskStorage.open({ dir, logger: recordingLogger() });
    assert.equal(s.lastIndex(), 10);
    await s.close();
  });

  it('refuses to start on damage at the end of an earlier (sealed) segment', async () => {
    const dir = newDir();
    await writeLog(dir, 40, 1024);
    const seg = firstSegment(dir);
    assert.ok(readdirSync(join(dir, 'wal')).length > 2);
    const size = statSync(seg).size;
    truncateSync(seg, size - 5);
    await assert.rejects(
      DiskStorage.open({ dir, logger: recordingLogger() }),
      new RegExp(
        `wal: corrupt record at ${seg} offset \\d+ \\(.*\\) in a sealed segment; refusing to start`,
      ),
    );
  });
});

describe('missing files', () => {
  it('refuses to start when a segment in the middle is missing', async () => {
    const dir = newDir();
    await writeLog(dir, 40, 1024);
    const second = join(dir, 'wal', '0000000000000002.wal');
    unlinkSync(second);
    await assert.rejects(
      DiskStorage.open({ dir, logger: recordingLogger() }),
      new RegExp(`wal: segment ${second} is missing .*refusing to start`),
    );
  });

  it('removes a snapshot .tmp left by a crash mid-write', async () => {
    const dir = newDir();
    await writeLog(dir, 3);
    const tmp = join(dir, 'snap', '0000000000000002-0000000000000001.snap.tmp');
    writeFileSync(tmp, 'half a snapshot');
    const s = await DiskStorage.open({ dir, logger: recordingLogger() });
    assert.equal(s.snapshot().metadata.index, 0);
    assert.equal(s.lastIndex(), 3);
    assert.deepEqual(readdirSync(join(dir, 'snap')), []);
    await s.close();
  });
});

describe('snapshot file damage', () => {
  it('falls back to the older snapshot when the newest is corrupt, and keeps the bad file aside', async () => {
    const dir = newDir();
    const s = await DiskStorage.open({ dir, logger: recordingLogger() });
    await s.save({ entries: ents(1, 100, 1) });
    await s.createSnapshot(40, confState, new TextEncoder().encode('state@40'));
    await s.createSnapshot(80, confState, new TextEncoder().encode('state@80'));
    await s.close();

    const newest = join(dir, 'snap', '0000000000000050-0000000000000001.snap');
    const buf = readFileSync(newest);
    buf[20] = buf[20]! ^ 0x01;
    writeFileSync(newest, buf);

    const logger = recordingLogger();
    const r = await DiskStorage.open({ dir, logger });
    assert.equal(r.snapshot().metadata.index, 40);
    assert.equal(text(r.snapshot().data), 'state@40');
    assert.equal(r.firstIndex(), 41);
    assert.equal(r.lastIndex(), 100);
    assert.equal(text(r.entries(41, 42, Infinity)[0]!.data), 'e-41-1');
    assert.equal(logger.warnings.length, 1);
    assert.match(
      logger.warnings[0]!,
      /ignoring corrupt snapshot .*0000000000000050-0000000000000001\.snap \(crc mismatch\)/,
    );
    assert.ok(
      readdirSync(join(dir, 'snap')).includes('0000000000000050-0000000000000001.snap.corrupt'),
    );
    await r.close();
  });

  it('refuses clearly when the corrupt snapshot is the only copy of the state', async () => {
    const dir = newDir();
    const s = await DiskStorage.open({ dir, logger: recordingLogger() });
    await s.save({ entries: ents(1, 3, 1) });
    await s.save({
      snapshot: {
        metadata: { index: 500, term: 2, confState },
        data: new TextEncoder().encode('x'),
      },
      entries: ents(501, 502, 2),
      hardState: { term: 2, vote: 0, commit: 501 },
    });
    await s.close();
    const path = join(dir, 'snap', `${(500).toString(16).padStart(16, '0')}-0000000000000002.snap`);
    truncateSync(path, 10);
    await assert.rejects(DiskStorage.open({ dir, logger: recordingLogger() }), (err: unknown) => {
      assert.ok(err instanceof StorageCorruptError);
      assert.match(err.message, /records snapshot 500 but the newest usable snapshot is 0/);
      assert.ok(err.message.includes(`${path}: file too short`), err.message);
      assert.match(err.message, /refusing to start$/);
      return true;
    });
  });
});
