// Where a node keeps a Run's files: <dataDir>/logs/<runUid>.log. Files are
// addressed by the Run's uid, never by its name: a Run deleted and recreated
// under the same name gets a fresh file, and a stale report cannot mix them.
import { join } from 'node:path';
import { JobctlError, Reason } from '../util/errors.js';

/** uids are generated (UUIDs, or uid-N in tests); anything path-like is refused. */
const SAFE_UID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function runLogDir(dataDir: string): string {
  return join(dataDir, 'logs');
}

/** The log file of a Run. Throws Invalid for a uid that is not a plain file name. */
export function runLogPath(dataDir: string, runUid: string): string {
  if (!SAFE_UID.test(runUid) || runUid.length > 128) {
    throw new JobctlError(Reason.Invalid, `invalid run uid ${JSON.stringify(runUid)}`);
  }
  return join(runLogDir(dataDir), `${runUid}.log`);
}
