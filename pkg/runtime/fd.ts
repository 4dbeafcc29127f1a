// File descriptors for the per-Run files (a Run's log, a peer's copy of it):
// opened, written and stat'ed through the thread pool like fs/promises, but
// closed synchronously. Every Run opens and closes at least one file, and each
// async call is a hand-off to libuv's thread pool and back, which on a busy
// machine costs more CPU than the syscall it wraps; close(2) of a file this
// process created and never truncated neither writes nor waits on the disk
// (nothing is fsynced here), so it is done at once. Raw numbers, not
// FileHandles: a FileHandle's descriptor must be closed through the handle
// (a handle collected unclosed closes its number again, maybe someone else's).
import { closeSync, fstat, open, write, type Stats } from 'node:fs';

export function openFd(path: string, flags: string): Promise<number> {
  return new Promise((resolve, reject) =>
    open(path, flags, 0o666, (err, fd) => (err ? reject(err) : resolve(fd))),
  );
}

export function fstatFd(fd: number): Promise<Stats> {
  return new Promise((resolve, reject) =>
    fstat(fd, (err, st) => (err ? reject(err) : resolve(st))),
  );
}

/** Writes all of `data` at the file's current position (loops on a short write). */
export async function writeAll(fd: number, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    off += await new Promise<number>((resolve, reject) =>
      write(fd, data, off, data.length - off, null, (err, n) => (err ? reject(err) : resolve(n))),
    );
  }
}

/** Closes `fd` now; a failure is returned, not thrown (the data was already written or not). */
export function closeFdSync(fd: number): Error | undefined {
  try {
    closeSync(fd);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
