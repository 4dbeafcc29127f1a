// The ProcessRuntime's memory across restarts: one small JSON file under its data dir
// listing the processes it started, so that after a restart list() can report them (as
// exited, or as alive but not adoptable) and kill() can still stop them.
//
// Writes are synchronous (write a temp file, then rename), so the file on disk is always
// a complete, recent snapshot — the process may die at any moment.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ProcessRecord {
  readonly containerId: string;
  readonly runUid: string;
  readonly labels: Record<string, string>;
  readonly pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot), to detect pid reuse. */
  readonly procStart?: string;
  readonly logPath?: string;
  /** The per-run scratch directory created as the default working directory. */
  readonly scratchDir?: string;
  readonly startedAt: string;
  exited: boolean;
  exitCode?: number;
  finishedAt?: string;
}

interface StateFile {
  readonly version: 1;
  readonly processes: ProcessRecord[];
}

export function loadRecords(path: string): ProcessRecord[] {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateFile>;
    return Array.isArray(parsed.processes) ? parsed.processes : [];
  } catch {
    return []; // missing or unreadable: nothing to report
  }
}

export function saveRecords(path: string, records: readonly ProcessRecord[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const body: StateFile = { version: 1, processes: [...records] };
  writeFileSync(tmp, JSON.stringify(body, null, 1));
  renameSync(tmp, path);
}

/** Field 22 of /proc/<pid>/stat (the start time), or undefined off Linux / if gone. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall = index 19 after "pid (comm) "
  } catch {
    return undefined;
  }
}

/** True if the recorded process is still the one running under that pid. */
export function recordAlive(rec: ProcessRecord): boolean {
  try {
    process.kill(rec.pid, 0);
  } catch (err) {
    // EPERM: alive but not ours to signal — still alive.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (rec.procStart === undefined) return true;
  const now = procStartTime(rec.pid);
  return now === undefined || now === rec.procStart;
}
