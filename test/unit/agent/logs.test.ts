// readRunLog: tail, follow until the Run is finished, rotation, bad uids.
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRunLog, runLogPath } from '../../../pkg/agent/index.js';
import { lastLines } from '../../../pkg/agent/logs.js';
import { LogFileWriter, rotatedLogPath } from '../../../pkg/runtime/index.js';
import { isReason, Reason } from '../../../pkg/util/errors.js';

let dir: string;
let seq = 0;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobctl-logs-'));
  await mkdir(join(dir, 'logs'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function uid(): string {
  return `uid-${++seq}`;
}

async function collect(it: AsyncIterable<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(c);
  return Buffer.concat(parts).toString('utf8');
}

/** Resolves when cond() holds, checking on each macrotask turn (no sleeps). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const finished = (): boolean => true;

describe('lastLines', () => {
  it('counts lines like tail -n (a final newline starts no line)', () => {
    const b = Buffer.from('a\nb\nc\n');
    assert.equal(lastLines(b, 2).toString(), 'b\nc\n');
    assert.equal(lastLines(b, 3).toString(), 'a\nb\nc\n');
    assert.equal(lastLines(b, 10).toString(), 'a\nb\nc\n');
    assert.equal(lastLines(b, 0).toString(), '');
    assert.equal(lastLines(Buffer.from('a\nb\npartial'), 1).toString(), 'partial');
  });
});

describe('readRunLog', () => {
  it('reads the whole kept log: the rotated half, then the current file', async () => {
    const u = uid();
    const path = runLogPath(dir, u);
    await writeFile(rotatedLogPath(path), 'one\ntwo\n');
    await writeFile(path, 'three\nfour\n');
    assert.equal(
      await collect(readRunLog(dir, u, { isFinished: finished })),
      'one\ntwo\nthree\nfour\n',
    );
    assert.equal(
      await collect(readRunLog(dir, u, { tail: 3, isFinished: finished })),
      'two\nthree\nfour\n',
    );
    assert.equal(await collect(readRunLog(dir, u, { tail: 0, isFinished: finished })), '');
  });

  it('yields nothing for a Run without a log file', async () => {
    assert.equal(await collect(readRunLog(dir, uid(), { isFinished: finished })), '');
    assert.equal(await collect(readRunLog(dir, uid(), { follow: true, isFinished: finished })), '');
  });

  it('follows appended output until the Run is finished and the file is drained', async () => {
    const u = uid();
    const path = runLogPath(dir, u);
    await writeFile(path, 'a\nb\nc\n');
    let done = false;
    const got: string[] = [];
    let ended = false;
    const reading = (async () => {
      for await (const c of readRunLog(dir, u, {
        follow: true,
        tail: 1,
        pollMs: 2,
        isFinished: () => done,
      })) {
        got.push(c.toString());
      }
      ended = true;
    })();
    await until(() => got.join('') === 'c\n', 'the tail');
    await appendFile(path, 'd\n');
    await until(() => got.join('') === 'c\nd\n', 'appended output');
    assert.equal(ended, false);
    await appendFile(path, 'e\n'); // written just before the Run ends
    done = true;
    await reading;
    assert.equal(got.join(''), 'c\nd\ne\n');
  });

  it('follows across rotations of a bounded log without losing or repeating bytes', async () => {
    const u = uid();
    const path = runLogPath(dir, u);
    const writer = new LogFileWriter(path, { maxBytes: 64 }); // rotates every 32 bytes
    let done = false;
    let got = '';
    const reading = (async () => {
      for await (const c of readRunLog(dir, u, {
        follow: true,
        pollMs: 1,
        isFinished: () => done,
      })) {
        got += c.toString();
      }
    })();
    let expected = '';
    for (let i = 0; i < 20; i++) {
      const line = `line ${String(i).padStart(2, '0')}\n`; // 8 bytes
      expected += line;
      writer.write(line);
      await writer.flush();
      await until(() => got === expected, `line ${i}`);
    }
    await writer.close();
    done = true;
    await reading;
    assert.equal(got, expected);
  });

  it('tells the offset of what it yields, and a reader that stops can resume at the exact byte', async () => {
    const u = uid();
    const path = runLogPath(dir, u);
    const writer = new LogFileWriter(path, { maxBytes: 64 }); // rotates every 32 bytes
    let expected = '';
    const write = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const line = `l${String(expected.length).padStart(5, '0')}\n`; // 7 bytes
        expected += line;
        writer.write(line);
        await writer.flush();
      }
    };
    await write(6);
    // A first reader takes what is there and stops (its server went away).
    const offsets: (number | undefined)[] = [];
    const first = await collect(
      readRunLog(dir, u, { isFinished: finished, onOffset: (o) => offsets.push(o) }),
    );
    assert.equal(offsets.length, 1);
    const start = offsets[0];
    assert.ok(start !== undefined);
    assert.equal(first, expected.slice(start));
    // More is written (and rotated) before a second reader resumes where the first stopped.
    await write(3);
    let done = false;
    let got = '';
    const seen: (number | undefined)[] = [];
    const resumed = (async () => {
      for await (const c of readRunLog(dir, u, {
        fromOffset: start + Buffer.byteLength(first),
        follow: true,
        pollMs: 1,
        isFinished: () => done,
        onOffset: (o) => seen.push(o),
      })) {
        got += c.toString();
      }
    })();
    for (let i = 0; i < 8; i++) {
      // One line at a time, read before the next: a slow reader would see output rotated away.
      await write(1);
      await until(() => first + got === expected.slice(start), `the resumed reader at line ${i}`);
    }
    await writer.close();
    done = true;
    await resumed;
    assert.deepEqual(seen, [start + Buffer.byteLength(first)]);
    assert.equal(first + got, expected.slice(start), 'no byte repeated or lost');
  });

  it('the offset of --tail is that of the first line it yields; fromOffset wins over tail', async () => {
    const u = uid();
    const path = runLogPath(dir, u);
    await writeFile(path, 'a\nbb\nccc\n');
    const offsets: (number | undefined)[] = [];
    const tail = await collect(
      readRunLog(dir, u, { tail: 1, isFinished: finished, onOffset: (o) => offsets.push(o) }),
    );
    assert.equal(tail, 'ccc\n');
    assert.deepEqual(offsets, [5]);
    const from = await collect(
      readRunLog(dir, u, { tail: 1, fromOffset: 2, isFinished: finished }),
    );
    assert.equal(from, 'bb\nccc\n');
  });

  it('ends when the signal aborts', async () => {
    const u = uid();
    await writeFile(runLogPath(dir, u), 'x\n');
    const ac = new AbortController();
    let got = '';
    const reading = (async () => {
      for await (const c of readRunLog(dir, u, {
        follow: true,
        pollMs: 2,
        signal: ac.signal,
        isFinished: () => false,
      })) {
        got += c.toString();
      }
    })();
    await until(() => got === 'x\n', 'output');
    ac.abort();
    await reading;
  });

  it('refuses uids that are not plain file names', async () => {
    for (const bad of ['../etc/passwd', 'a/b', '', '.hidden']) {
      await assert.rejects(
        collect(readRunLog(dir, bad, { isFinished: finished })),
        (err: unknown) => isReason(err, Reason.Invalid),
      );
    }
  });
});
