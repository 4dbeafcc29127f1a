// The files a node keeps of the Runs it executed, as a whole: which Runs have
// them (listRunLogUids), when they last changed (runLogFilesModifiedMs), and
// removing them once the Run is gone (removeRunLogFiles). Kubernetes removes a
// Pod's container logs with the Pod; a Run's log goes with the Run (deleted
// with its Job, by a TTL or a history limit), or a node's disk would only fill.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { logStartPath, removeLogFile, rotatedLogPath } from '../runtime/index.js';
import { LEGACY_COPIED_MARKER } from './log-copies.js';
import { runLogDir, runLogPath } from './paths.js';

/** <uid>.log, its rotated half <uid>.log.1, its offset <uid>.log.start, the old marker <uid>.copied. */
const RUN_FILE = /^(.+?)(\.log|\.log\.1|\.log\.start|\.copied)$/;

/** The uids of the Runs that have files in this node's log directory (not the copies of other nodes' Runs). */
export async function listRunLogUids(dataDir: string): Promise<string[]> {
  const names = await readdir(runLogDir(dataDir)).catch(() => [] as string[]);
  const uids = new Set<string>();
  for (const name of names) {
    const uid = RUN_FILE.exec(name)?.[1];
    if (uid !== undefined) uids.add(uid);
  }
  return [...uids];
}

/** When any of a Run's files last changed (0 when none is left). */
export async function runLogFilesModifiedMs(dataDir: string, runUid: string): Promise<number> {
  const path = runLogPath(dataDir, runUid);
  const files = [path, rotatedLogPath(path), logStartPath(path), markerPath(dataDir, runUid)];
  const times = await Promise.all(
    files.map((f) =>
      stat(f).then(
        (s) => s.mtimeMs,
        () => 0, // absent, or removed meanwhile
      ),
    ),
  );
  return Math.max(...times);
}

/** Removes a Run's log (both halves), its offset file and its old copy marker. */
export async function removeRunLogFiles(dataDir: string, runUid: string): Promise<void> {
  await removeLogFile(runLogPath(dataDir, runUid));
  await rm(markerPath(dataDir, runUid), { force: true });
}

function markerPath(dataDir: string, runUid: string): string {
  return join(runLogDir(dataDir), `${runUid}${LEGACY_COPIED_MARKER}`);
}
