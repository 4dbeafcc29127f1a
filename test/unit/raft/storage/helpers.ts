// Shared helpers for the storage tests: temp dirs, entries, a logger that
// records what it was told, and a file system that fails on demand.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { EntryType } from '../../../../pkg/raft/types.js';
import type { Entry, Snapshot } from '../../../../pkg/raft/types.js';
import { UnavailableError, type Storage } from '../../../../pkg/raft/storage/storage.js';
import { nodeFs } from '../../../../pkg/raft/storage/fs.js';
import type { StorageFile, StorageFs } from '../../../../pkg/raft/storage/fs.js';

export function tempDir(prefix = 'jobctl-storage-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Makes temp dirs that are all removed once the calling file's tests are done. */
export function tempDirsRemovedAfter(): () => string {
  const dirs: Array<() => void> = [];
  after(() => dirs.forEach((cleanup) => cleanup()));
  return () => {
    const tmp = tempDir();
    dirs.push(tmp.cleanup);
    return tmp.dir;
  };
}

/** An entry whose data names its index and term, so a test can check it later. */
export function ent(index: number, term: number, size?: number): Entry {
  let text = `e-${index}-${term}`;
  if (size !== undefined) text = text.padEnd(size, '.');
  return { index, term, type: EntryType.Normal, data: new TextEncoder().encode(text) };
}

export function ents(from: number, to: number, term: number, size?: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(ent(i, term, size));
  return out;
}

export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}

export interface RecordingLogger {
  readonly warnings: string[];
  warn(message: string): void;
}

export function recordingLogger(): RecordingLogger {
  const warnings: string[] = [];
  return { warnings, warn: (m) => warnings.push(m) };
}

function errnoError(code: string, syscall: string): Error {
  return Object.assign(new Error(`${code}: simulated failure, ${syscall}`), {
    code,
    errno: -1,
    syscall,
  });
}

/**
 * node:fs/promises with switchable faults: `failWrites` makes every file
 * write fail with that errno after writing `partialBytes` of it for real (a
 * torn write); `failSyncs` does the same for datasync.
 */
export class FaultyFs implements StorageFs {
  failWrites: string | undefined;
  partialBytes = 0;
  failSyncs: string | undefined;
  datasyncs = 0;

  async open(path: string, flags: string): Promise<StorageFile> {
    const inner = await nodeFs.open(path, flags);
    return {
      write: async (buffer, offset, length, position) => {
        if (this.failWrites) {
          const n = Math.min(this.partialBytes, length);
          if (n > 0) await inner.write(buffer, offset, n, position);
          throw errnoError(this.failWrites, 'write');
        }
        return inner.write(buffer, offset, length, position);
      },
      datasync: async () => {
        if (this.failSyncs) throw errnoError(this.failSyncs, 'fdatasync');
        this.datasyncs++;
        return inner.datasync();
      },
      sync: () => inner.sync(),
      truncate: (len) => inner.truncate(len),
      close: () => inner.close(),
    };
  }

  readFile = nodeFs.readFile;
  readdir = nodeFs.readdir;
  rename = nodeFs.rename;
  unlink = nodeFs.unlink;
  mkdir = nodeFs.mkdir;
  readAtSync = nodeFs.readAtSync;
}

/**
 * The store's newest snapshot, waiting while its data is read back from disk
 * (snapshot() throws UnavailableError meanwhile; DiskStorage drops the data
 * from memory once the file is durable).
 */
export async function snapshotOf(s: Pick<Storage, 'snapshot'>): Promise<Snapshot> {
  for (let i = 0; ; i++) {
    try {
      return s.snapshot();
    } catch (err) {
      if (!(err instanceof UnavailableError) || i >= 1_000) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
