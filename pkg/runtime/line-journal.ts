// LineJournal: lines appended to one file, the lines of concurrent callers
// together in one write through a handle kept open. append() resolves once
// its line has been handed to the kernel (as appendFileSync would, without
// blocking the event loop or paying an open and a close per line); no fsync.
import { open, readFile, type FileHandle } from 'node:fs/promises';
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
  private closed = false;

  constructor(readonly path: string) {}

  /** Appends `line` (a newline is added). Rejects when the write fails or the journal is closed. */
  append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`journal ${this.path} is closed`));
    return new Promise<void>((resolve, reject) => {
      this.lines.push(line);
      this.waiters.push({ resolve, reject });
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
    });
  }

  /** Writes what is queued, then closes the file; later appends reject. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    while (this.lines.length > 0) {
      const text = this.lines.join('\n') + '\n';
      const waiters = this.waiters;
      this.lines = [];
      this.waiters = [];
      try {
        this.handle ??= await inDir(this.path, () => open(this.path, 'a'));
        await this.handle.appendFile(text);
        for (const w of waiters) w.resolve();
      } catch (err) {
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
