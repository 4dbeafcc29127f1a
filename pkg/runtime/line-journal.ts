// LineJournal: lines appended to one file, the lines of concurrent callers
// together in one write through a handle kept open. append() resolves once
// its line has been handed to the kernel (as appendFileSync would, without
// blocking the event loop or paying an open and a close per line); no fsync.
// compact() drops the lines no longer wanted, so a journal of things that come
// and go does not only grow.
import { open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import { inDir } from './logfile.js';

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

export class LineJournal {
  private handle: FileHandle | undefined;
  private lines: string[] = [];
  private waiters: Waiter[] = [];
  private draining: Promise<void> | undefined;
  /** A compaction under way: writes queued meanwhile wait for it. */
  private compacting: Promise<void> | undefined;
  /**
   * A write failed, maybe half-way through a line: the next write starts
   * with a newline, so its first line is not glued to a cut one (readers
   * skip blank and unreadable lines).
   */
  private maybeCut = false;
  private closed = false;

  constructor(readonly path: string) {}

  /** Appends `line` (a newline is added). Rejects when the write fails or the journal is closed. */
  append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.path} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.lines.push(line);
      this.waiters.push({ resolve, reject });
      // drain() clears `draining` in the same turn as it finds the queue
      // empty, so a line queued after that starts a new drain.
      this.draining ??= this.drainAfterCompaction();
    });
  }

  /**
   * Rewrites the journal with only the lines `keep` accepts (a new file renamed
   * over the old one); appends made meanwhile wait and land after them.
   * Returns how many lines were dropped. Not meant to overlap itself.
   */
  async compact(keep: (line: string) => boolean): Promise<number> {
    if (this.closed || this.compacting) return 0;
    let done!: () => void;
    this.compacting = new Promise<void>((resolve) => (done = resolve));
    try {
      // The drain in flight, if any, started before this compaction; any later
      // one waits for it (drainAfterCompaction).
      await this.draining;
      const lines = await readJournal(this.path);
      const kept = lines.filter(keep);
      if (kept.length === lines.length) return 0;
      const tmp = `${this.path}.tmp`;
      await writeFile(tmp, kept.map((l) => `${l}\n`).join(''));
      await this.handle?.close().catch(() => undefined);
      this.handle = undefined;
      this.maybeCut = false;
      await rename(tmp, this.path);
      return lines.length - kept.length;
    } finally {
      this.compacting = undefined;
      done();
    }
  }

  /** Writes what is queued, then closes the file; later appends reject. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  /** Opens the file to append; one that ends mid-line (a crash cut it) gets a newline first. */
  private async openForAppend(): Promise<FileHandle> {
    const handle = await inDir(this.path, () => open(this.path, 'a+'));
    try {
      const { size } = await handle.stat();
      if (size > 0) {
        const last = Buffer.alloc(1);
        await handle.read(last, 0, 1, size - 1);
        if (last[0] !== 0x0a) this.maybeCut = true;
      }
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    return handle;
  }

  private async drainAfterCompaction(): Promise<void> {
    await this.compacting;
    await this.drain();
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.lines.length === 0) {
        this.draining = undefined;
        return;
      }
      const text = this.lines.join('\n') + '\n';
      const waiters = this.waiters;
      this.lines = [];
      this.waiters = [];
      try {
        this.handle ??= await this.openForAppend();
        await this.handle.appendFile(this.maybeCut ? `\n${text}` : text);
        this.maybeCut = false;
        for (const w of waiters) w.resolve();
      } catch (err) {
        this.maybeCut = true;
        // The next batch opens the file again.
        await this.handle?.close().catch(() => undefined);
        this.handle = undefined;
        const e = err instanceof Error ? err : new Error(String(err));
        for (const w of waiters) w.reject(e);
      }
    }
  }
}

/** The lines of a journal (none when the file does not exist); blank lines are left out. */
export async function readJournal(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text.split('\n').filter((l) => l.trim() !== '');
}
