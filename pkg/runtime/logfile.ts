// Per-Run log files (DESIGN.md §3 "Logs"): a container's stdout and
// stderr, interleaved, appended to one file under the node's data dir, bounded in size
// with the NEWEST bytes kept.
//
// Bounding: the file is rotated to a single "<path>.1" whenever it would grow past half
// the limit; the previous ".1" is dropped. So the pair holds at most `maxBytes` and at
// least the newest `maxBytes / 2` bytes. Readers use readLogFile(), which returns
// ".1" followed by the current file. After a rotation has dropped data the text may
// begin mid-line. Rotation costs one rename — no copying, unlike truncating the front.
//
// Offsets: "<path>.start" holds "OFFSET INODE": the byte offset, in the whole output
// ever written, of the first byte of the current file with that inode. ".1" is the
// segment just before the current one, so readKeptLog() knows the offset of every
// kept byte, which lets a reader resume a stream at an exact byte (jobctl logs -f
// through another node). A rotation creates the next file under "<path>.next", saves
// its offset and inode, then renames: a reader that finds the inode of "<path>" not
// matching the saved one caught a rotation half-way and reads again. No ".start" and
// no ".1": the current file starts at 0; no ".start" but a ".1": unknown (a log
// written before offsets).
//
// Resume cursor: a writer may be given `cursorPath`. Each write may carry an opaque
// cursor (the source's position, e.g. Docker's timestamp of the last line), and the
// newest cursor is saved there (write + rename) after the bytes it covers are written.
// A restarted reader resumes from it; at most the output of one write batch can be
// duplicated by a crash between the write and the cursor save, and none is lost.
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { closeFdSync, fstatFd, openFd, writeAll } from './fd.js';

/** Default bound of one Run's log: 10 MiB (the newest 5..10 MiB are kept). */
export const DEFAULT_MAX_LOG_BYTES = 10 * 1024 * 1024;

/** The rotated (older) half of a log file. */
export function rotatedLogPath(path: string): string {
  return `${path}.1`;
}

/** Where the offset of the current file's first byte is kept (see the file header). */
export function logStartPath(path: string): string {
  return `${path}.start`;
}

interface LogStart {
  readonly offset: number;
  readonly ino: number;
}

async function readLogStart(path: string): Promise<LogStart | undefined> {
  return parseLogStart(await readCursor(logStartPath(path)));
}

function parseLogStart(text: string | undefined): LogStart | undefined {
  const m = /^(\d+) (\d+)$/.exec(text?.trim() ?? '');
  return m ? { offset: Number(m[1]), ino: Number(m[2]) } : undefined;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export interface LogFileWriterOptions {
  /** Bound on `<path>` + `<path>.1` together. Default DEFAULT_MAX_LOG_BYTES; min 2. */
  readonly maxBytes?: number;
  /** Where to save the cursor of the newest written chunk (see file header). */
  readonly cursorPath?: string;
}

/**
 * Appends chunks to a bounded log file. write() never blocks and never throws: chunks
 * are queued and written in order by one drain loop. An I/O error (disk full, directory
 * removed) is kept in `error` and the data is dropped — logging must not kill a Run.
 */
export class LogFileWriter {
  readonly path: string;
  private readonly segmentBytes: number;
  private readonly cursorPath: string | undefined;
  /** The open file (a raw descriptor, closed synchronously: see ./fd.ts). */
  private fd: number | undefined;
  private size = 0;
  /**
   * Offset of the current file's first byte in the whole output; undefined:
   * unknown; 'unread': not looked up yet. Only a rotation needs it, so a file
   * that never rotates (nearly every Run's) costs no read of ".start" or ".1".
   */
  private start: number | undefined | 'unread' = 'unread';
  private queue: Buffer[] = [];
  private pendingCursor: string | undefined;
  private draining: Promise<void> | undefined;
  private closed = false;
  /** The last I/O error, if any. */
  error: Error | undefined;

  constructor(path: string, opts: LogFileWriterOptions = {}) {
    this.path = path;
    this.segmentBytes = Math.max(1, Math.floor((opts.maxBytes ?? DEFAULT_MAX_LOG_BYTES) / 2));
    this.cursorPath = opts.cursorPath;
  }

  /** Queues a chunk; `cursor`, if given, is saved once the chunk is on disk. */
  write(chunk: Buffer | string, cursor?: string): void {
    if (this.closed) return;
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (buf.length > 0) this.queue.push(buf);
    if (cursor !== undefined) this.pendingCursor = cursor;
    // drain() clears `draining` in the same turn as it finds nothing queued,
    // so a chunk queued after that starts a new drain.
    this.draining ??= this.drain();
  }

  /** Resolves when everything written so far is on disk (or dropped after an error). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  /** Flushes and closes the file. Later writes are ignored. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.closeFile();
  }

  private closeFile(): void {
    if (this.fd !== undefined) closeFdSync(this.fd);
    this.fd = undefined;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.queue.length === 0 && this.pendingCursor === undefined) {
        this.draining = undefined;
        return;
      }
      const batch = Buffer.concat(this.queue);
      this.queue = [];
      const cursor = this.pendingCursor;
      this.pendingCursor = undefined;
      try {
        if (batch.length > 0) await this.append(batch);
        if (cursor !== undefined && this.cursorPath) await saveCursor(this.cursorPath, cursor);
      } catch (err) {
        this.error = err instanceof Error ? err : new Error(String(err));
        this.closeFile();
        this.start = 'unread'; // a rotation may have stopped half-way: look again
      }
    }
  }

  private async append(data: Buffer): Promise<void> {
    // Only the newest 2 segments' worth can survive; skip writing what would be rotated away.
    const keep = this.segmentBytes * 2;
    let buf = data.length > keep ? data.subarray(data.length - keep) : data;
    let fd = await this.open();
    if (data.length > keep) {
      // Everything kept now comes from this batch: drop both old halves.
      await this.rotate();
      fd = await this.rotate(data.length - keep);
    }
    while (buf.length > 0) {
      const room = this.segmentBytes - this.size;
      if (room <= 0) {
        fd = await this.rotate();
        continue;
      }
      const part = buf.subarray(0, room);
      await writeAll(fd, part);
      this.size += part.length;
      buf = buf.subarray(part.length);
    }
  }

  /**
   * The file, opened for appending. A new file (the common case: a Run's log is
   * opened once, when its container starts) is created exclusively, so one call
   * says that it is empty; an existing one (an agent restart) is opened and its
   * size read.
   */
  private async open(): Promise<number> {
    if (this.fd !== undefined) return this.fd;
    const created = await inDir(this.path, () => openFd(this.path, 'ax')).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') return undefined;
        throw err;
      },
    );
    let size = 0;
    const fd = created ?? (await openFd(this.path, 'a'));
    if (created === undefined) {
      try {
        size = (await fstatFd(fd)).size;
      } catch (err) {
        closeFdSync(fd);
        throw err;
      }
    }
    this.fd = fd;
    this.size = size;
    return fd;
  }

  /** Where the current file starts (see `start`), read from ".start" and ".1" the first time. */
  private async currentStart(): Promise<number | undefined> {
    if (this.start !== 'unread') return this.start;
    const saved = await readLogStart(this.path);
    const ino = async (): Promise<number | undefined> =>
      this.fd === undefined ? undefined : (await fstatFd(this.fd)).ino;
    if (saved) this.start = saved.ino === (await ino()) ? saved.offset : undefined;
    else this.start = (await exists(rotatedLogPath(this.path))) ? undefined : 0;
    return this.start;
  }

  /**
   * current → .1 (dropping the old .1), then a fresh current whose first byte
   * comes `skipped` bytes after the end of the old one (bytes never written).
   */
  private async rotate(skipped = 0): Promise<number> {
    const start = await this.currentStart();
    const next = start === undefined ? undefined : start + this.size + skipped;
    const old = this.fd;
    this.fd = undefined;
    if (old !== undefined) {
      const err = closeFdSync(old);
      if (err) throw err;
    }
    const fresh = `${this.path}.next`;
    const fd = await openFd(fresh, 'w');
    try {
      if (next === undefined) await rm(logStartPath(this.path), { force: true });
      else await saveCursor(logStartPath(this.path), `${next} ${(await fstatFd(fd)).ino}`);
      await rename(this.path, rotatedLogPath(this.path)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      await rename(fresh, this.path);
    } catch (err) {
      closeFdSync(fd);
      throw err;
    }
    this.fd = fd;
    this.size = 0;
    this.start = next;
    return fd;
  }
}

/**
 * Runs `io` (an open or write of `path`), creating `path`'s directory first only
 * when `io` finds it missing: every Run's log lives in the same directory, and a
 * recursive mkdir before each one cost more than the file's own open.
 */
export async function inDir<T>(path: string, io: () => Promise<T>): Promise<T> {
  try {
    return await io();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dirname(path), { recursive: true });
    return io();
  }
}

async function saveCursor(path: string, cursor: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, cursor);
  await rename(tmp, path);
}

/** The saved cursor, or undefined if there is none. */
export async function readCursor(path: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * The kept log of a Run: `<path>.1` then `<path>` (empty if neither exists). May begin
 * mid-line once rotation has dropped older output.
 */
export async function readLogFile(path: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const p of [rotatedLogPath(path), path]) {
    try {
      parts.push(await readFile(p));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return Buffer.concat(parts);
}

/** The kept log with the offsets of its bytes (readKeptLog). */
export interface KeptLog {
  /** `<path>.1` then `<path>` up to `currentSize`. */
  readonly data: Buffer;
  /** Offset of data[0] in the whole output; undefined when unknown. */
  readonly start: number | undefined;
  /** Inode of `<path>` as read (0: there was none). */
  readonly ino: number;
  /** Bytes of `<path>` in `data` (a follower reads on from there). */
  readonly currentSize: number;
}

/**
 * The kept log and where its bytes are in the whole output, read consistently
 * with a writer that may be rotating it (see the file header): a read that
 * straddles a rotation is done again.
 */
export async function readKeptLog(path: string): Promise<KeptLog> {
  for (let attempt = 0; ; attempt++) {
    const settled = attempt >= 50;
    const saved = await readLogStart(path);
    const cur = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    let current: Buffer = Buffer.alloc(0);
    let ino = 0;
    try {
      if (cur) {
        const st = await cur.stat();
        ino = st.ino;
        current = await readRange(cur, 0, st.size);
      }
    } finally {
      await cur?.close();
    }
    const older = await readFile(rotatedLogPath(path)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    const now = await stat(path).then(
      (st) => st.ino,
      () => 0,
    );
    const kept = keptLogOf({ saved, older, current, ino, now }, settled);
    if (kept) return kept;
    await sleep(2);
  }
}

/** One pass over a log's files, as readKeptLog and readSmallKeptLogSync make it. */
interface LogPass {
  readonly saved: LogStart | undefined;
  readonly older: Buffer;
  readonly current: Buffer;
  /** Inode of `<path>` as read (0: none), and as stat'ed after the reads. */
  readonly ino: number;
  readonly now: number;
}

/** The kept log a pass read; undefined when it caught a rotation half-way (unless `settled`). */
function keptLogOf(p: LogPass, settled: boolean): KeptLog | undefined {
  const { saved, older, current, ino } = p;
  // Half-way through a rotation: no current file yet, or not the one whose offset is saved.
  const torn = p.now !== ino || (ino === 0 && older.length > 0) || (saved && saved.ino !== ino);
  if (torn && !settled) return undefined;
  let start: number | undefined;
  if (torn) start = undefined;
  else if (saved) start = saved.offset - older.length;
  else start = older.length === 0 ? 0 : undefined;
  return { data: Buffer.concat([older, current]), start, ino, currentSize: current.length };
}

/** Up to this many bytes (both halves), readSmallKeptLogSync reads a log. */
export const SMALL_LOG_BYTES = 64 * 1024;

/**
 * readKeptLog in one synchronous pass, for a small log that is not being
 * rotated (a finished Run's, nearly always a few bytes, written moments ago
 * and so in the page cache). Each async file call is a hand-off to libuv's
 * thread pool and back, which on this busy 2-core machine costs ~0.1 ms of
 * CPU, more than the call itself: the seven of readKeptLog were about half of
 * the CPU a log copy costs the executing node. These are lookups and reads
 * only; nothing is written synchronously (a write can wait on the disk).
 * undefined when the log is larger than `maxBytes`, a rotation was caught
 * half-way, or anything failed: readKeptLog then.
 */
export function readSmallKeptLogSync(
  path: string,
  maxBytes = SMALL_LOG_BYTES,
): KeptLog | undefined {
  try {
    const startPath = logStartPath(path);
    const saved = existsSync(startPath)
      ? parseLogStart(readFileSync(startPath, 'utf8'))
      : undefined;
    const olderStat = statSync(rotatedLogPath(path), { throwIfNoEntry: false });
    if (olderStat && olderStat.size > maxBytes) return undefined;
    let fd: number | undefined;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
    }
    let current: Buffer = Buffer.alloc(0);
    let ino = 0;
    if (fd !== undefined) {
      try {
        const st = fstatSync(fd);
        if (st.size + (olderStat?.size ?? 0) > maxBytes) return undefined;
        ino = st.ino;
        current = readAllSync(fd, st.size);
      } finally {
        closeSync(fd);
      }
    }
    const older = olderStat ? readFileSync(rotatedLogPath(path)) : Buffer.alloc(0);
    const now = statSync(path, { throwIfNoEntry: false })?.ino ?? 0;
    return keptLogOf({ saved, older, current, ino, now }, false);
  } catch {
    return undefined;
  }
}

/** The first `size` bytes of an open file (fewer if it is shorter). */
function readAllSync(fd: number, size: number): Buffer {
  const buf = Buffer.alloc(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, buf, off, size - off, off);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}

/** Bytes [from, to) of an open file (fewer if it is shorter). */
export async function readRange(h: FileHandle, from: number, to: number): Promise<Buffer> {
  const buf = Buffer.alloc(Math.max(0, to - from));
  let off = 0;
  while (off < buf.length) {
    const { bytesRead } = await h.read(buf, off, buf.length - off, from + off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return buf.subarray(0, off);
}

/** The offset of the first byte of `<path>` with inode `ino`; undefined when unknown. */
export async function currentLogStart(path: string, ino: number): Promise<number | undefined> {
  const saved = await readLogStart(path);
  if (saved) return saved.ino === ino ? saved.offset : undefined;
  return (await exists(rotatedLogPath(path))) ? undefined : 0;
}

/** Total bytes kept for a log (both halves). */
export async function logFileSize(path: string): Promise<number> {
  let total = 0;
  for (const p of [rotatedLogPath(path), path]) {
    total += await stat(p).then(
      (s) => s.size,
      () => 0,
    );
  }
  return total;
}

/** Deletes a log, its rotated half and its offset (for GC of finished Runs; not used by runtimes). */
export async function removeLogFile(path: string): Promise<void> {
  await rm(path, { force: true });
  await rm(rotatedLogPath(path), { force: true });
  await rm(logStartPath(path), { force: true });
}
