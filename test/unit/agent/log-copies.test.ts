// Log copies: the tail a node hands over (bounded, from a line start, with its
// offset), the copy file a peer keeps, and the copier that hands each finished
// Run's log over once.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  LogCopier,
  copiedJournalPath,
  listLogCopyUids,
  readLogCopy,
  removeLogCopy,
  runLogPath,
  takeLogCopy,
  writeLogCopy,
} from '../../../pkg/agent/index.js';
import type { RunLogCopy } from '../../../pkg/client/index.js';
import type { Run } from '../../../pkg/store/index.js';
import { MemoryLogger } from '../../../pkg/util/logger.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobctl-copies-'));
  await mkdir(join(dir, 'logs'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ref = (uid: string) => ({ namespace: 'default', run: `r-${uid}`, runUid: uid });
const at = new Date('2026-01-02T03:04:05.000Z');
/** Whether the copier's journal says the Run's copy was handed over. */
const journaled = (uid: string): boolean =>
  existsSync(copiedJournalPath(dir)) &&
  readFileSync(copiedJournalPath(dir), 'utf8')
    .split('\n')
    .some((l) => l !== '' && (JSON.parse(l) as { uid: string }).uid === uid);
const runOf = (uid: string): Run =>
  ({ metadata: { namespace: 'default', name: `r-${uid}`, uid } }) as unknown as Run;

describe('takeLogCopy', () => {
  it('keeps a short log whole, from offset 0, not cut', async () => {
    await writeFile(runLogPath(dir, 'short'), 'one\ntwo\n');
    const c = await takeLogCopy(dir, ref('short'), 'node-1', at);
    assert.ok(c);
    assert.equal(Buffer.from(c.data).toString(), 'one\ntwo\n');
    assert.equal(c.offset, 0);
    assert.equal(c.cut, false);
    assert.equal(c.node, 'node-1');
    assert.equal(c.savedAt, at.toISOString());
  });

  it('keeps the last maxBytes of a long log, from the first line start within them', async () => {
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join('');
    await writeFile(runLogPath(dir, 'long'), lines);
    const c = await takeLogCopy(dir, ref('long'), 'node-1', at, 40);
    assert.ok(c);
    const kept = Buffer.from(c.data).toString();
    assert.ok(kept.length <= 40, kept);
    assert.ok(lines.endsWith(kept));
    assert.match(kept, /^line \d+\n/);
    assert.equal(c.offset, lines.length - kept.length);
    assert.equal(c.cut, true);
  });

  it('has nothing to copy for a Run without a log here', async () => {
    assert.equal(await takeLogCopy(dir, ref('none'), 'node-1', at), undefined);
  });
});

describe('log copy files', () => {
  it('round-trips, lists by header and is removed', async () => {
    const copy: RunLogCopy = {
      ...ref('kept'),
      node: 'node-2',
      savedAt: at.toISOString(),
      offset: 7,
      cut: true,
      data: Buffer.from('tail\n'),
    };
    await writeLogCopy(dir, copy);
    const back = await readLogCopy(dir, 'kept');
    assert.ok(back);
    assert.deepEqual(
      { ...back, data: Buffer.from(back.data).toString() },
      { ...copy, data: 'tail\n' },
    );
    assert.deepEqual(
      (await listLogCopyUids(dir)).filter((uid) => uid === 'kept'),
      ['kept'],
    );
    await removeLogCopy(dir, 'kept');
    assert.equal(await readLogCopy(dir, 'kept'), undefined);
  });

  it('is not there while cut short, and a second copy replaces the first whole', async () => {
    const copy = (text: string): RunLogCopy => ({
      ...ref('twice'),
      node: 'node-2',
      savedAt: at.toISOString(),
      offset: 0,
      cut: false,
      data: Buffer.from(text),
    });
    await writeLogCopy(dir, copy('first\n'));
    const path = join(dir, 'logs', 'copies', 'twice.log');
    const whole = readFileSync(path);
    // Cut short after its header, as by a crash, or as a reader finds one being written.
    await writeFile(path, whole.subarray(0, whole.length - 3));
    assert.equal(await readLogCopy(dir, 'twice'), undefined);
    await writeLogCopy(dir, copy('second, longer\n'));
    const back = await readLogCopy(dir, 'twice');
    assert.equal(Buffer.from(back?.data ?? []).toString(), 'second, longer\n');
    assert.equal(existsSync(`${path}.tmp`), false);
  });

  it('refuses a uid that is not a plain file name', async () => {
    await assert.rejects(readLogCopy(dir, '../x'), /invalid run uid/);
  });
});

describe('LogCopier', () => {
  it('hands each finished Run over once, remembers it on disk, and tries a failure again', async () => {
    await writeFile(runLogPath(dir, 'c1'), 'out\n');
    const sent: string[] = [];
    let fail = true;
    const sender = {
      sendMany: async (copies: readonly RunLogCopy[]) =>
        copies.map((c) => {
          if (fail) return new Error('peer down');
          sent.push(`${c.runUid}:${Buffer.from(c.data).toString()}`);
          return ['node-3'];
        }),
    };
    const copier = new LogCopier({ dataDir: dir, nodeName: 'node-1', sender });
    copier.offer(runOf('c1'));
    await copier.idle();
    assert.deepEqual(sent, []);
    fail = false;
    copier.retryFailed(); // the agent's next container sweep
    copier.retryFailed();
    await copier.idle();
    assert.deepEqual(sent, ['c1:out\n']);
    copier.offer(runOf('c1'));
    await copier.idle();
    assert.deepEqual(sent, ['c1:out\n']);
    assert.ok(journaled('c1'));
    // A restarted node finds the Run in the journal and does not copy again.
    const again = new LogCopier({ dataDir: dir, nodeName: 'node-1', sender });
    again.offer(runOf('c1'));
    await again.idle();
    assert.deepEqual(sent, ['c1:out\n']);
    assert.equal(again.copied, 0);
  });

  it('hands the Runs that finish during a hand-over over together in the next one', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const sender = {
      sendMany: async (copies: readonly RunLogCopy[]) => {
        batches.push(copies.map((c) => c.runUid));
        if (batches.length === 1) await gate;
        return copies.map(() => ['node-2']);
      },
    };
    const logger = new MemoryLogger();
    const copier = new LogCopier({ dataDir: dir, nodeName: 'node-1', sender, logger });
    for (const uid of ['b1', 'b2', 'b3', 'b4', 'b5'])
      await writeFile(runLogPath(dir, uid), `${uid}\n`);
    copier.offer(runOf('b1'));
    while (batches.length === 0) await new Promise((resolve) => setImmediate(resolve));
    for (const uid of ['b2', 'b3', 'b4', 'b5']) copier.offer(runOf(uid));
    release();
    await copier.idle();
    assert.deepEqual(batches, [['b1'], ['b2', 'b3', 'b4', 'b5']]);
    assert.equal(copier.copied, 5);
    assert.equal(copier.batches, 2);
    for (const uid of ['b1', 'b2', 'b3', 'b4', 'b5']) assert.ok(journaled(uid), uid);
    // One log line per hand-over, naming its Runs.
    assert.deepEqual(
      logger.lines.map((l) => [l.msg, l.fields?.runs, l.fields?.to, l.fields?.bytes]),
      [
        ['run logs copied', ['default/r-b1'], 'node-2', 3],
        [
          'run logs copied',
          ['default/r-b2', 'default/r-b3', 'default/r-b4', 'default/r-b5'],
          'node-2',
          12,
        ],
      ],
    );
  });

  it('bounds a hand-over by its Runs and takes the rest in the next', async () => {
    const batches: number[] = [];
    const sender = {
      sendMany: async (copies: readonly RunLogCopy[]) => {
        batches.push(copies.length);
        return copies.map(() => ['node-2']);
      },
    };
    const copier = new LogCopier({ dataDir: dir, nodeName: 'node-1', sender, batchRuns: 2 });
    // All three offered in one turn: a copy may start as soon as one is
    // offered (a small log is read synchronously), so offers spread over
    // awaited writes would race it.
    for (const uid of ['m1', 'm2', 'm3']) await writeFile(runLogPath(dir, uid), 'x\n');
    for (const uid of ['m1', 'm2', 'm3']) copier.offer(runOf(uid));
    await copier.idle();
    assert.deepEqual(batches, [2, 1]);
    assert.equal(copier.copied, 3);
  });

  it("one Run's failed copy loses none of the others and is tried again", async () => {
    // f2's copy is refused by every peer; f3's log cannot be read (a directory).
    await writeFile(runLogPath(dir, 'f1'), 'one\n');
    await writeFile(runLogPath(dir, 'f2'), 'two\n');
    await mkdir(runLogPath(dir, 'f3'));
    await writeFile(runLogPath(dir, 'f4'), 'four\n');
    let refuse = true;
    const sent: string[] = [];
    const warnings: string[] = [];
    const sender = {
      sendMany: async (copies: readonly RunLogCopy[]) =>
        copies.map((c) => {
          if (refuse && c.runUid === 'f2') return new Error('no other node took the copy');
          sent.push(c.runUid);
          return ['node-2'];
        }),
    };
    const logger = {
      info: () => {},
      warn: (_msg: string, fields?: Record<string, unknown>) =>
        warnings.push(String(fields?.['uid'])),
      error: () => {},
    };
    const copier = new LogCopier({ dataDir: dir, nodeName: 'node-1', sender, logger });
    for (const uid of ['f1', 'f2', 'f3', 'f4']) copier.offer(runOf(uid));
    await copier.idle();
    assert.deepEqual(sent, ['f1', 'f4']);
    assert.deepEqual(warnings.sort(), ['f2', 'f3']);
    assert.ok(journaled('f1'));
    assert.ok(journaled('f4'));
    assert.ok(!journaled('f2'));
    refuse = false;
    copier.retryFailed(); // the agent's next container sweep: f2 and f3, nothing offered again
    await copier.idle();
    assert.deepEqual(sent, ['f1', 'f4', 'f2']);
    assert.ok(journaled('f2'));
    assert.deepEqual(warnings.sort(), ['f2', 'f3', 'f3'], 'f3 is tried again, and fails again');
  });

  it('honours the marker file an earlier version left for a copied Run', async () => {
    await writeFile(runLogPath(dir, 'l1'), 'x\n');
    await writeFile(join(dir, 'logs', 'l1.copied'), 'node-2\n');
    await writeFile(runLogPath(dir, 'l2'), 'y\n');
    const sent: string[] = [];
    const sender = {
      sendMany: async (copies: readonly RunLogCopy[]) =>
        copies.map((c) => (sent.push(c.runUid), ['node-2'])),
    };
    const copier = new LogCopier({ dataDir: dir, nodeName: 'node-1', sender });
    copier.offer(runOf('l1'));
    copier.offer(runOf('l2'));
    await copier.idle();
    assert.deepEqual(sent, ['l2']);
    await copier.stop();
  });

  it('a sender that rejects costs the batch a retry, not the process', async () => {
    await writeFile(runLogPath(dir, 'r1'), 'x\n');
    let reject = true;
    const sender = {
      sendMany: async (copies: readonly RunLogCopy[]) => {
        if (reject) throw new Error('boom');
        return copies.map(() => ['node-2']);
      },
    };
    const copier = new LogCopier({ dataDir: dir, nodeName: 'node-1', sender });
    copier.offer(runOf('r1'));
    await copier.idle();
    assert.equal(copier.copied, 0);
    reject = false;
    copier.offer(runOf('r1'));
    await copier.idle();
    assert.equal(copier.copied, 1);
  });
});
