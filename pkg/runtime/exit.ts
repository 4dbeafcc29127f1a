// How an exit status becomes an ExitReason, the same for every runtime.
import { constants } from 'node:os';
import type { ExitReason } from './types.js';

/**
 * OOMKilled when the memory cgroup killed the container and it did not exit 0 (Docker
 * sets State.OOMKilled when any process in the container was OOM-killed; if the main
 * process still exited 0 the work succeeded, so that is Completed, with oomKilled true).
 * Otherwise Completed for 0 and Error for anything else.
 */
export function exitReason(exitCode: number, oomKilled: boolean): ExitReason {
  if (oomKilled && exitCode !== 0) return 'OOMKilled';
  return exitCode === 0 ? 'Completed' : 'Error';
}

/** The conventional exit code of a process killed by a signal: 128 + its number. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
