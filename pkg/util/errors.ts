// Every error that crosses a boundary carries a reason. Each edge (gRPC, REST,
// the CLI) maps the reason once: to a gRPC code, an HTTP status or an exit code.

export const Reason = {
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Invalid: 'Invalid',
  /** The request is well formed but cannot be served in the object's state (HTTP 400), e.g. the logs of a Run that never started. */
  BadRequest: 'BadRequest',
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

/**
 * A client could not reach a server at all (refused, reset, no connection;
 * gRPC UNAVAILABLE without a reason from the server). Distinct from a
 * server's own Unavailable (no leader). Defined here, not beside the gRPC
 * code, so the CLI can recognise it without loading gRPC.
 */
export class ConnectionError extends JobctlError {
  constructor(
    readonly address: string,
    message: string,
  ) {
    super(Reason.Unavailable, message);
    this.name = 'ConnectionError';
  }
}

/** No server of a list could be reached (the CLI exits 3 on it). */
export class UnreachableError extends ConnectionError {
  constructor(
    readonly servers: string,
    /** The last connection failure, e.g. "connect ECONNREFUSED 127.0.0.1:50051". */
    readonly detail: string,
  ) {
    super(servers, `Unable to connect to the server at ${servers}: ${detail}`);
    this.name = 'UnreachableError';
  }
}

export function isReason(err: unknown, reason: Reason): boolean {
  return err instanceof JobctlError && err.reason === reason;
}

/** The message of anything thrown, without a stack. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
