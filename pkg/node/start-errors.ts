// Why jobd could not start, as one line an operator can act on. The causes
// come from Node's system calls (ENOTDIR, EADDRINUSE, ...: the code and the
// path or address tell what to fix, the stack does not) and from grpc-js
// (whose bind error wraps the system error in "No address added out of ...").
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';

const WORDS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this host',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a path component is not a directory',
  EEXIST: 'a file is in the way',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENOENT: 'no such file or directory',
};

/** The system error code in `err` or in its text ("listen EADDRINUSE: ..."), if any. */
function systemCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  return /\b(E[A-Z]{3,})\b/.exec(errorMessage(err))?.[1];
}

/** "address already in use" for EADDRINUSE; the error's own text when the code is not known. */
export function systemErrorWords(err: unknown): string {
  const code = systemCode(err);
  const words = code ? WORDS[code] : undefined;
  return words ? `${words} (${code})` : errorMessage(err);
}

/** A failed listen on `address` (`what`: "--listen", "--http"), in one line. */
export function listenError(what: string, address: string, err: unknown): JobctlError {
  return new JobctlError(
    Reason.Unavailable,
    `cannot listen on ${address} (${what}): ${systemErrorWords(err)}`,
  );
}

/**
 * The data directory exists (made if need be) and is writable; else one
 * line naming it. Checked before anything else so a node that cannot keep
 * state neither joins a cluster nor starts Raft.
 */
export async function prepareDataDir(dir: string): Promise<void> {
  try {
    // Node's recursive mkdir never settles under /proc and /sys; nothing can live there anyway.
    if (/^\/(proc|sys)(\/|$)/.test(dir)) {
      throw Object.assign(new Error('not a place for data'), { code: 'EPERM' });
    }
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new JobctlError(Reason.Invalid, `cannot use --data-dir ${dir}: ${systemErrorWords(err)}`);
  }
}

/**
 * Whether `address` (HOST:PORT) can be listened on now: checked before a
 * node joins a cluster, so a taken port fails before the cluster adds a
 * member that would never answer. The real listen follows; a port taken in
 * between still fails there, with the same line.
 */
export async function checkCanListen(what: string, address: string): Promise<void> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(colon + 1));
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', (err) => reject(listenError(what, address, err)));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve()));
  });
}
