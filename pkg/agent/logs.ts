// readRunLog: a Run's output from this node's log file, for the
// Logs RPC behind `jobctl logs [-f] [--tail N]`.
//
// The file is <dataDir>/logs/<runUid>.log, written by the runtime and bounded
// by rotation into "<file>.1" (pkg/runtime/logfile.ts): the kept log is ".1"
// followed by the current file. With `follow`, the reader polls the current file
// for appended bytes (and notices a rotation by the file's inode changing: it
// then reads the rest of the old file, now ".1", before the new one) until
// `isFinished()` says the Run has ended, then drains what is left and returns.
// Polling (default every 100 ms) is simple and works on every filesystem.
//
// Offsets: the runtime records where each file starts in the Run's whole
// output, so the reader tells (onOffset) the offset of the bytes it yields, and
// can start at a given one (fromOffset): a client whose serving node went away
// resumes at the exact byte through another node.
import type { FileHandle } from 'node:fs/promises';
import { open, stat } from 'node:fs/promises';
import { currentLogStart, readKeptLog, readRange, rotatedLogPath } from '../runtime/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { runLogPath } from './paths.js';

export interface ReadRunLogOptions {
  /** Only the last N lines of what is kept (then, with follow, everything new). */
  readonly tail?: number;
  /** Start at this byte offset of the Run's whole output (wins over tail). */
  readonly fromOffset?: number;
  /** Keep streaming appended output until the Run is finished and the file drained. */
  readonly follow?: boolean;
  /** Ends the stream early (the iterator returns). */
  readonly signal?: AbortSignal;
  /** Whether the Run has ended (its final status is recorded). Checked when caught up. */
  readonly isFinished: () => boolean;
  /**
   * The offset, in the Run's whole output, of the next byte yielded (undefined:
   * unknown, a log written before offsets): once before the first byte, and
   * again when the bytes that follow do not continue the previous ones (output
   * rotated away before it could be read).
   */
  readonly onOffset?: (offset: number | undefined) => void;
  /** Poll period while following. Default 100. */
  readonly pollMs?: number;
  readonly clock?: Clock;
}

const CHUNK = 64 * 1024;

/** The Run's output as chunks. A Run that has no log file yet yields nothing (or waits, with follow). */
export async function* readRunLog(
  dataDir: string,
  runUid: string,
  opts: ReadRunLogOptions,
): AsyncGenerator<Buffer> {
  const path = runLogPath(dataDir, runUid);
  const clock = opts.clock ?? realClock;
  const pollMs = opts.pollMs ?? 100;
  const signal = opts.signal;

  // 1. What is kept now: ".1" + the current file up to its present size.
  const kept = await readKeptLog(path);
  let ino = kept.ino;
  let pos = kept.currentSize;
  /** Offset of the next byte read from the file (undefined: unknown). */
  let at = kept.start === undefined ? undefined : kept.start + kept.data.length;
  let initial = kept.data;
  let first = kept.start;
  /** Bytes below this offset are not yielded (a resume ahead of what is kept here now). */
  let skipTo: number | undefined;
  if (opts.fromOffset !== undefined && kept.start !== undefined) {
    const cut = Math.min(initial.length, Math.max(0, opts.fromOffset - kept.start));
    initial = initial.subarray(cut);
    first = kept.start + cut;
    if (at !== undefined && opts.fromOffset > at) {
      skipTo = opts.fromOffset;
      first = skipTo;
    }
  } else if (opts.tail !== undefined) {
    const tailed = lastLines(initial, opts.tail);
    if (first !== undefined) first += initial.length - tailed.length;
    initial = tailed;
  }
  opts.onOffset?.(first);
  for (let i = 0; i < initial.length; i += CHUNK) {
    if (signal?.aborted) return;
    yield initial.subarray(i, i + CHUNK);
  }
  if (!opts.follow) return;

  // 2. Follow: poll for appended bytes until the Run is finished and we are drained.
  for (;;) {
    if (signal?.aborted) return;
    // Decided before reading, so bytes written before the end are read below.
    const finished = opts.isFinished();
    let got = 0;
    for await (const chunk of readNew()) {
      got += chunk.length;
      if (signal?.aborted) return;
      const out = unseen(chunk);
      if (out.length > 0) yield out;
    }
    if (finished && got === 0) return;
    if (got === 0) await sleep(clock, pollMs, signal);
  }

  /** The part of a chunk read at `at` that is at or after skipTo; advances `at`. */
  function unseen(chunk: Buffer): Buffer {
    if (at === undefined) return chunk;
    const from = at;
    at += chunk.length;
    if (skipTo === undefined || from >= skipTo) return chunk;
    const out = chunk.subarray(Math.min(chunk.length, skipTo - from));
    if (at >= skipTo) skipTo = undefined;
    return out;
  }

  /** Bytes appended since the last read, following one rotation if there was one. */
  async function* readNew(): AsyncGenerator<Buffer> {
    const st = await stat(path).catch(() => undefined);
    if (st && ino !== 0 && st.ino !== ino) {
      // Rotated: the rest of the file we were reading is now ".1".
      const old = await openIfExists(rotatedLogPath(path));
      if (old) {
        try {
          const ost = await old.stat();
          if (ost.ino === ino) yield* chunks(old, pos, ost.size);
        } finally {
          await old.close();
        }
      }
      pos = 0;
      ino = st.ino;
      // Where the new file starts: after the old one, unless output was dropped between.
      const start = await currentLogStart(path, ino);
      if (start !== at) {
        at = start;
        if (skipTo === undefined || (at !== undefined && at > skipTo)) {
          skipTo = undefined;
          opts.onOffset?.(at);
        }
      }
    }
    if (!st) return;
    if (ino === 0) {
      ino = st.ino;
      at ??= await currentLogStart(path, ino);
    }
    if (st.size < pos) pos = 0; // truncated by someone else: start over
    if (st.size === pos) return;
    const h = await openIfExists(path);
    if (!h) return;
    try {
      const size = (await h.stat()).size;
      for await (const c of chunks(h, pos, size)) {
        pos += c.length;
        yield c;
      }
    } finally {
      await h.close();
    }
  }
}

/** The last `n` lines of `buf` (a final newline does not start an empty line). */
export function lastLines(buf: Buffer, n: number): Buffer {
  if (n <= 0) return Buffer.alloc(0);
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  let count = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buf[i] === 0x0a && ++count === n) return buf.subarray(i + 1);
  }
  return buf;
}

async function* chunks(h: FileHandle, from: number, to: number): AsyncGenerator<Buffer> {
  for (let at = from; at < to; at += CHUNK) {
    const part = await readRange(h, at, Math.min(to, at + CHUNK));
    if (part.length === 0) return;
    yield part;
  }
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function sleep(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimer(ms, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}
