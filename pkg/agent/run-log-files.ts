// The files a node keeps of the Runs it executed, as a whole: which Runs have
// them (listRunLogFiles) and removing them once the Run is gone
// (removeRunLogFiles). Kubernetes removes a Pod's container logs with the Pod;
// a Run's log goes with the Run (deleted with its Job, by a TTL or a history
// limit), or a node's disk would only fill.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeLogFile } from '../runtime/index.js';
import { LEGACY_COPIED_MARKER } from './log-copies.js';
import { runLogDir, runLogPath } from './paths.js';

/** A Run whose files are in <dataDir>/logs: its uid and when any of them last changed. */
export interface RunLogFiles {
  readonly runUid: string;
  readonly modifiedMs: number;
}

/** <uid>.log, its rotated half <uid>.log.1, its offset <uid>.log.start, the old marker <uid>.copied. */
const RUN_FILE = new RegExp(
  `^(.+?)(\\.log|\\.log\\.1|\\.log\\.start|${LEGACY_COPIED_MARKER.replace('.', '\\.')})$`,
);

/** The Runs that have files in this node's log directory (not the copies of other nodes' Runs). */
export async function listRunLogFiles(dataDir: string): Promise<RunLogFiles[]> {
  const dir = runLogDir(dataDir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const newest = new Map<string, number>();
  for (const name of names) {
    const uid = RUN_FILE.exec(name)?.[1];
    if (uid === undefined) continue;
    const mtime = await stat(join(dir, name)).then(
      (s) => s.mtimeMs,
      () => undefined, // removed meanwhile
    );
    if (mtime !== undefined) newest.set(uid, Math.max(newest.get(uid) ?? 0, mtime));
  }
  return [...newest].map(([runUid, modifiedMs]) => ({ runUid, modifiedMs }));
}

/** Removes a Run's log (both halves), its offset file and its old copy marker. */
export async function removeRunLogFiles(dataDir: string, runUid: string): Promise<void> {
  const path = runLogPath(dataDir, runUid);
  await removeLogFile(path);
  await rm(join(runLogDir(dataDir), `${runUid}${LEGACY_COPIED_MARKER}`), { force: true });
}
