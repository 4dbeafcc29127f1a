// Error classes of the durable storage. Each carries the context an operator
// needs (file, offset, errno) both in its message and as fields.
import { JobctlError, Reason, errorMessage } from '../../util/errors.js';
import { errnoCode } from './fs.js';

/**
 * The on-disk state is damaged in a way that cannot be repaired without losing
 * acknowledged data (corruption before the tail, a gap in the log): the node
 * must not start.
 */
export class StorageCorruptError extends JobctlError {
  readonly file: string;
  readonly offset: number;

  constructor(message: string, file: string, offset: number) {
    super(Reason.Internal, message);
    this.name = 'StorageCorruptError';
    this.file = file;
    this.offset = offset;
  }
}

/** Human descriptions of the errnos a disk realistically produces. */
const errnoText: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on device',
  EIO: 'input/output error',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EBADF: 'bad file descriptor',
  EFBIG: 'file too large',
  ENOENT: 'no such file or directory',
};

/**
 * A write, fsync or rename failed. The storage is failed from then on: after a
 * failed fsync the kernel may have dropped the dirty pages, so no later write
 * can be trusted to make earlier data durable (the "fsyncgate" lesson).
 */
export class StorageFailedError extends JobctlError {
  readonly path: string;
  readonly code: string | undefined;

  constructor(what: string, path: string, cause: unknown) {
    const code = errnoCode(cause);
    const text = code ? `${errnoText[code] ?? errorMessage(cause)} (${code})` : errorMessage(cause);
    super(Reason.Unavailable, `${what}: write to ${path} failed: ${text}`, { cause });
    this.name = 'StorageFailedError';
    this.path = path;
    this.code = code;
  }
}

/** Another live process holds the data directory. */
export class StorageLockedError extends JobctlError {
  readonly pid: number;

  constructor(message: string, pid: number) {
    super(Reason.Unavailable, message);
    this.name = 'StorageLockedError';
    this.pid = pid;
  }
}

/** Any call after close(). */
export class StorageClosedError extends JobctlError {
  constructor(dir: string) {
    super(Reason.Unavailable, `storage ${dir} is closed`);
    this.name = 'StorageClosedError';
  }
}
