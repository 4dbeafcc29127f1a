// LineJournal: the lines of concurrent appends land in order, an append
// resolves only once its line is in the file, and a failed write or a closed
// journal rejects instead of losing a line quietly.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
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
});
