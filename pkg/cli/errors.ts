// The CLI's one place that turns errors into a line on stderr and an exit code
// (DESIGN.md §4): 0 ok, 1 operation failed, 2 usage, 3 cluster unreachable.
import { ConnectionError, JobctlError, Reason, errorMessage } from '../util/errors.js';

export const ExitCode = {
  Ok: 0,
  Failed: 1,
  Usage: 2,
  Unreachable: 3,
  WaitFailed: 4,
  WaitTimeout: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad flags or arguments detected after parsing. */
export class UsageError extends JobctlError {
  constructor(message: string) {
    super(Reason.Invalid, message);
    this.name = 'UsageError';
  }
}

/**
 * Formats an error as one line and picks the exit code. Never includes a
 * stack. A client that reached no server (UnreachableError, or a single
 * server's ConnectionError) is exit 3 with its own line, not "Error from server".
 */
export function describeError(err: unknown): { line: string; code: ExitCode } {
  if (err instanceof ConnectionError) return { line: err.message, code: ExitCode.Unreachable };
  if (err instanceof UsageError) return { line: `error: ${err.message}`, code: ExitCode.Usage };
  if (err instanceof JobctlError) {
    return { line: `Error from server (${err.reason}): ${err.message}`, code: ExitCode.Failed };
  }
  return { line: `error: ${errorMessage(err)}`, code: ExitCode.Failed };
}
