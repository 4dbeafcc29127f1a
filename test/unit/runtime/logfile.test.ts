// Bounded log files: rotation keeps the newest bytes; the cursor follows written data.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  LogFileWriter,
  logFileSize,
  logStartPath,
  readKeptLog,
  readSmallKeptLogSync,
  readLogFile,
  removeLogFile,
  readCursor,
  rotatedLogPath,
} from '../../../pkg/runtime/logfile.js';

describe('LogFileWriter', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jobctl-logfile-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends in order and creates missing directories', async () => {
    const path = join(dir, 'a', 'b', 'run.log');
    const w = new LogFileWriter(path);
    for (let i = 0; i < 100; i++) w.write(`line ${i}\n`);
    await w.close();
    const text = (await readLogFile(path)).toString();
    assert.equal(text.split('\n').length, 101);
    assert.match(text, /^line 0\n/);
    assert.match(text, /line 99\n$/);
  });

  it('appends to an existing file across writers (an agent restart)', async () => {
    const path = join(dir, 'again.log');
    const w1 = new LogFileWriter(path, { maxBytes: 1000 });
    w1.write('one\n');
    await w1.close();
    const w2 = new LogFileWriter(path, { maxBytes: 1000 });
    w2.write('two\n');
    await w2.close();
    assert.equal((await readLogFile(path)).toString(), 'one\ntwo\n');
  });

  it('keeps at most maxBytes and at least half of it, newest last', async () => {
    const path = join(dir, 'bounded.log');
    const w = new LogFileWriter(path, { maxBytes: 1000 });
    let all = '';
    for (let i = 0; i < 500; i++) {
      const line = `${String(i).padStart(4, '0')}\n`;
      all += line;
      w.write(line);
    }
    await w.close();
    const kept = (await readLogFile(path)).toString();
    const size = await logFileSize(path);
    assert.equal(size, Buffer.byteLength(kept));
    assert.ok(size <= 1000 && size >= 500, `kept ${size}`);
    assert.ok(all.endsWith(kept), 'the kept bytes are the newest, in order');
    assert.ok((await readFile(rotatedLogPath(path))).length > 0);
  });

  it('knows the offset of every kept byte in the whole output, across rotations and restarts', async () => {
    const path = join(dir, 'offsets.log');
    let all = '';
    for (const round of [0, 1]) {
      // A second writer (an agent restart) goes on counting from the saved offset.
      const w = new LogFileWriter(path, { maxBytes: 100 });
      for (let i = 0; i < 60; i++) {
        const line = `${round}:${String(i).padStart(3, '0')}\n`;
        all += line;
        w.write(line);
        if (i % 7 === 0) await w.flush();
      }
      await w.close();
      const kept = await readKeptLog(path);
      assert.ok(kept.start !== undefined && kept.start > 0, `start ${kept.start}`);
      assert.equal(kept.data.toString(), all.slice(kept.start));
    }
    // A chunk over the bound: the bytes never written still count.
    const w = new LogFileWriter(path, { maxBytes: 100 });
    const big = 'x'.repeat(250);
    all += big;
    w.write(big);
    await w.close();
    const kept = await readKeptLog(path);
    assert.equal(kept.start, all.length - 100);
    assert.equal(kept.data.toString(), all.slice(-100));
  });

  it('a log that never rotated starts at 0; one rotated before offsets existed is unknown', async () => {
    const fresh = join(dir, 'fresh.log');
    await writeFile(fresh, 'abc\n');
    assert.equal((await readKeptLog(fresh)).start, 0);
    const old = join(dir, 'old.log');
    await writeFile(rotatedLogPath(old), 'a\n');
    await writeFile(old, 'b\n');
    const kept = await readKeptLog(old);
    assert.equal(kept.start, undefined);
    assert.equal(kept.data.toString(), 'a\nb\n');
  });

  it('a new file beside an older half of unknown offset rotates to an unknown offset', async () => {
    // The writer looks up where its file starts only when it first rotates.
    const path = join(dir, 'beside-old.log');
    await writeFile(rotatedLogPath(path), 'old\n');
    const w = new LogFileWriter(path, { maxBytes: 20 }); // segments of 10 bytes
    w.write('0000\n1111\n');
    await w.flush();
    assert.equal((await readKeptLog(path)).start, undefined);
    w.write('2222\n');
    await w.close();
    const kept = await readKeptLog(path);
    assert.equal(kept.start, undefined);
    assert.equal(kept.data.toString(), '0000\n1111\n2222\n');
    const fresh = join(dir, 'new-rotated.log');
    const f = new LogFileWriter(fresh, { maxBytes: 20 });
    f.write('0000\n1111\n');
    f.write('2222\n');
    await f.close();
    assert.deepEqual(
      [(await readKeptLog(fresh)).start, (await readKeptLog(fresh)).data.toString()],
      [0, '0000\n1111\n2222\n'],
    );
  });

  it('a single chunk larger than the bound keeps only its newest bytes', async () => {
    const path = join(dir, 'huge.log');
    const w = new LogFileWriter(path, { maxBytes: 100 });
    w.write('old\n');
    const big = Buffer.from(Array.from({ length: 1000 }, (_, i) => String(i % 10)).join(''));
    w.write(big);
    await w.close();
    const kept = await readLogFile(path);
    assert.equal(kept.length, 100);
    assert.deepEqual(kept, big.subarray(big.length - 100));
  });

  it('saves the cursor of the newest written chunk', async () => {
    const path = join(dir, 'cursor.log');
    const cursorPath = `${path}.cursor`;
    const w = new LogFileWriter(path, { cursorPath });
    w.write('a\n', 'c1');
    w.write('b\n', 'c2');
    await w.flush();
    assert.equal(await readCursor(cursorPath), 'c2');
    await w.close();
    assert.equal(await readCursor(join(dir, 'nothing.cursor')), undefined);
  });

  it('an I/O error is recorded, not thrown', async () => {
    // A regular file where a directory should be. (Not /proc: Node 20's recursive mkdir
    // never settles there.)
    const file = join(dir, 'not-a-dir');
    await writeFile(file, 'x');
    const w = new LogFileWriter(join(file, 'run.log'));
    w.write('x');
    await w.close();
    assert.ok(w.error instanceof Error);
  });

  it('removeLogFile deletes both halves', async () => {
    const path = join(dir, 'gone.log');
    const w = new LogFileWriter(path, { maxBytes: 10 });
    w.write('0123456789abcdef');
    await w.close();
    await removeLogFile(path);
    assert.equal(await logFileSize(path), 0);
  });

  it('readSmallKeptLogSync reads what readKeptLog reads, or declines', async () => {
    const same = async (path: string): Promise<void> => {
      const sync = readSmallKeptLogSync(path);
      assert.ok(sync, `read ${path} at once`);
      assert.deepEqual(sync, await readKeptLog(path));
    };
    // Never rotated: starts at 0.
    const fresh = join(dir, 'small-fresh.log');
    await writeFile(fresh, 'abc\n');
    await same(fresh);
    assert.equal(readSmallKeptLogSync(fresh)?.start, 0);
    // Rotated by a writer, with offsets: the older half first, from the saved offset.
    const rotated = join(dir, 'small-rotated.log');
    const w = new LogFileWriter(rotated, { maxBytes: 20 });
    for (let i = 0; i < 7; i++) w.write(`${i}${i}${i}${i}\n`);
    await w.close();
    await same(rotated);
    assert.ok((readSmallKeptLogSync(rotated)?.start ?? 0) > 0);
    // Rotated before offsets existed: unknown start.
    const old = join(dir, 'small-old.log');
    await writeFile(rotatedLogPath(old), 'a\n');
    await writeFile(old, 'b\n');
    await same(old);
    assert.equal(readSmallKeptLogSync(old)?.start, undefined);
    // No log at all: nothing, as readKeptLog says.
    await same(join(dir, 'small-none.log'));
    // Larger than the bound: left to readKeptLog.
    const big = join(dir, 'small-big.log');
    await writeFile(big, 'x'.repeat(100));
    assert.equal(readSmallKeptLogSync(big, 99), undefined);
    assert.ok(readSmallKeptLogSync(big, 100));
    // Half-way through a rotation (the saved offset names another file): left to readKeptLog.
    const torn = join(dir, 'small-torn.log');
    await writeFile(torn, 'new\n');
    await writeFile(logStartPath(torn), '10 1');
    assert.equal(readSmallKeptLogSync(torn), undefined);
    await rename(logStartPath(torn), `${torn}.gone`);
    await same(torn);
  });
});
