// Every error that crosses a boundary carries a reason. Each edge (gRPC, REST,
// the CLI) maps the reason once: to a gRPC code, an HTTP status or an exit code.

export const Reason = {
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Invalid: 'Invalid',
  /** No valid credentials: missing, bad, expired or revoked token (HTTP 401, gRPC UNAUTHENTICATED). */
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  Unavailable: 'Unavailable',
  TooManyRequests: 'TooManyRequests',
  Timeout: 'Timeout',
  Gone: 'Gone',
  Internal: 'Internal',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export class JobctlError extends Error {
  readonly reason: Reason;

  constructor(reason: Reason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
    this.name = 'JobctlError';
  }
}

export function isReason(err: unknown, reason: Reason): boolean {
  return err instanceof JobctlError && err.reason === reason;
}

/** The message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
