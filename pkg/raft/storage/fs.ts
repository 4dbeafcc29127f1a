// The handful of file-system calls the durable storage makes. They come in
// through this interface (default: node:fs/promises) so that tests can inject
// ENOSPC/EIO at any call, count fsyncs, or slow the disk down, without mocking
// a whole module.
import { closeSync, openSync, readSync } from 'node:fs';
import * as fsp from 'node:fs/promises';

/** An open file: only positional writes, syncs and truncation are needed. */
export interface StorageFile {
  write(
    buffer: Uint8Array,
    offset: number,
    length: number,
    position: number,
  ): Promise<{ bytesWritten: number }>;
  /** fdatasync(2): data plus the metadata needed to read it back (size). */
  datasync(): Promise<void>;
  /** fsync(2): used for directories, where datasync is not enough. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  close(): Promise<void>;
}

export interface StorageFs {
  /** flags as for fs.open: 'r', 'r+', 'w', 'wx'. */
  open(path: string, flags: string): Promise<StorageFile>;
  readFile(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** mkdir -p */
  mkdir(path: string): Promise<void>;
  /**
   * Reads `length` bytes at `position` of a file, synchronously (the Raft
   * core's Storage reads are synchronous; DiskStorage reads entries that
   * are no longer held in memory back from the WAL with it). Fewer bytes
   * only at the end of the file.
   */
  readAtSync(path: string, position: number, length: number): Uint8Array;
}

export const nodeFs: StorageFs = {
  open: (path, flags) => fsp.open(path, flags),
  readFile: (path) => fsp.readFile(path),
  readdir: (path) => fsp.readdir(path),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true });
  },
  readAtSync: (path, position, length) => {
    const fd = openSync(path, 'r');
    try {
      const out = Buffer.allocUnsafeSlow(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done === length ? out : out.subarray(0, done);
    } finally {
      closeSync(fd);
    }
  },
};

/** Writes all of buffer at position, looping over short writes. */
export async function writeAll(
  file: StorageFile,
  buffer: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await file.write(buffer, done, buffer.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`short write (${bytesWritten} bytes)`);
    done += bytesWritten;
  }
}

/**
 * fsyncs a directory so that a create, rename or unlink inside it survives a
 * crash (the file's own fsync does not cover its directory entry).
 */
export async function syncDir(fs: StorageFs, dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    // A few file systems cannot fsync a directory (EINVAL); there the
    // rename/create is as durable as that file system makes it.
    if (errnoCode(err) !== 'EINVAL') throw err;
  } finally {
    await handle.close();
  }
}

/** The errno code of a Node.js system error ('ENOSPC'), if any. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
