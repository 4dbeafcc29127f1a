// LineJournal: the lines of concurrent appends land in order, an append
// resolves only once its line is in the file, and a failed write or a closed
// journal rejects instead of losing a line quietly.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LineJournal, readJournal } from '../../../pkg/runtime/index.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobctl-journal-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LineJournal', () => {
  it('appends concurrent lines in order, each on disk when its append resolves', async () => {
    const path = join(dir, 'sub', 'a.journal'); // the directory is made when missing
    const j = new LineJournal(path);
    const first = j.append('one');
    const rest = [j.append('two'), j.append('three')];
    await first;
    assert.match(await readFile(path, 'utf8'), /^one\n/);
    await Promise.all(rest);
    await j.append('four');
    assert.equal(await readFile(path, 'utf8'), 'one\ntwo\nthree\nfour\n');
    await j.close();
    // A new journal over the same file appends after what is there.
    const again = new LineJournal(path);
    await again.append('five');
    await again.close();
    assert.deepEqual(await readJournal(path), ['one', 'two', 'three', 'four', 'five']);
  });

  it('rejects the appends of a failed write and of a closed journal', async () => {
    const path = join(dir, 'is-a-directory');
    await mkdir(path);
    const j = new LineJournal(path);
    await assert.rejects(Promise.all([j.append('a'), j.append('b')]));
    await j.close();
    await assert.rejects(j.append('c'), /closed/);
    assert.deepEqual(await readJournal(join(dir, 'missing.journal')), []);
  });

  it('compacts: keeps the wanted lines, and appends made meanwhile land after them', async () => {
    const path = join(dir, 'compact.journal');
    const j = new LineJournal(path);
    await Promise.all(['a1', 'b1', 'a2', 'b2'].map((l) => j.append(l)));
    const compacted = j.compact((l) => l.startsWith('a'));
    const during = [j.append('a3'), j.append('b3')];
    assert.equal(await compacted, 2);
    await Promise.all(during);
    await j.append('a4');
    assert.deepEqual(await readJournal(path), ['a1', 'a2', 'a3', 'b3', 'a4']);
    assert.equal(await j.compact(() => true), 0, 'nothing to drop: the file is left alone');
    await j.close();
  });

  it('starts on a new line after a line a crash cut short', async () => {
    const path = join(dir, 'cut.journal');
    await writeFile(path, '{"uid":"whole"}\n{"uid":"cu');
    const j = new LineJournal(path);
    await j.append('{"uid":"next"}');
    await j.close();
    assert.equal(await readFile(path, 'utf8'), '{"uid":"whole"}\n{"uid":"cu\n{"uid":"next"}\n');
  });

  it('writes a line appended as soon as the previous append resolves', async () => {
    const path = join(dir, 'back-to-back.journal');
    const j = new LineJournal(path);
    for (const line of ['1', '2', '3']) await j.append(line);
    await j.close();
    assert.deepEqual(await readJournal(path), ['1', '2', '3']);
  });
});
