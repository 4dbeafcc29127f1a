// A lock file (LOCK, holding the owner's pid) so that two processes never
// append to the same WAL. Node has no flock(), so liveness is judged by the
// pid: a lock whose process no longer exists (kill -9, power loss) is stale and
// taken over. Limitation: a recycled pid makes a stale lock look live; the
// message tells the operator which file to remove.
import { join } from 'node:path';
import { StorageLockedError } from './errors.js';
import { errnoCode, writeAll } from './fs.js';
import type { StorageFs } from './fs.js';

export interface DirLock {
  readonly path: string;
  release(): Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return errnoCode(err) === 'EPERM';
  }
}

export async function acquireLock(
  fs: StorageFs,
  dir: string,
  warn: (message: string) => void,
): Promise<DirLock> {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await fs.open(path, 'wx');
      try {
        await writeAll(file, Buffer.from(`${process.pid}\n`), 0);
        await file.datasync();
      } finally {
        await file.close();
      }
      return {
        path,
        release: async () => {
          try {
            await fs.unlink(path);
          } catch (err) {
            if (errnoCode(err) !== 'ENOENT') throw err;
          }
        },
      };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST' || attempt >= 3) throw err;
    }
    let owner = NaN;
    try {
      owner = parseInt(
        Buffer.from(await fs.readFile(path))
          .toString('utf8')
          .trim(),
        10,
      );
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue; // released meanwhile: try again
      throw err;
    }
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
      const who = owner === process.pid ? 'this process' : `running process ${owner}`;
      throw new StorageLockedError(
        `storage: ${dir} is locked by ${who} (${path}); is another jobd using this data dir?`,
        owner,
      );
    }
    warn(`storage: taking over stale lock ${path} (owner pid ${owner} is not running)`);
    try {
      await fs.unlink(path);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }
}
