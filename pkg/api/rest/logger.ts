// The REST adapter's logging seam: what createRestApp's `logger` option takes,
// and the two defaults. Kept apart from options.ts so that the low-level
// helpers (respond.ts, watch.ts) can log without depending on the app's options.
/** Structured logging; compatible with pkg/raft's Logger (error is optional). */
export interface RestLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error?(msg: string, fields?: Record<string, unknown>): void;
}

/** Warnings and errors to stderr; info is dropped (the node logs requests elsewhere). */
export const stderrLogger: RestLogger = {
  info: () => {},
  warn: (msg, fields) => console.warn(`rest: ${msg}`, fields ?? ''),
  error: (msg, fields) => console.error(`rest: ${msg}`, fields ?? ''),
};

export const silentRestLogger: RestLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** Logs at error level when the logger has one, else at warn. */
export function logError(logger: RestLogger, msg: string, fields?: Record<string, unknown>): void {
  if (logger.error) logger.error(msg, fields);
  else logger.warn(msg, fields);
}
