// The REST adapter's logging seam: what createRestApp's `logger` option takes,
// and the two defaults. Kept apart from options.ts so that the low-level
// helpers (respond.ts, watch.ts) can log without depending on the app's options.
import type { Logger } from '../../util/logger.js';

/** pkg/util's Logger, the one every part takes. */
export type RestLogger = Logger;

/** Warnings and errors to stderr; info is dropped (the node logs requests elsewhere). */
export const stderrLogger: RestLogger = {
  info: () => {},
  warn: (msg, fields) => console.warn(`rest: ${msg}`, fields ?? ''),
  error: (msg, fields) => console.error(`rest: ${msg}`, fields ?? ''),
};

export const silentRestLogger: RestLogger = { info: () => {}, warn: () => {}, error: () => {} };

/** Logs at error level. */
export function logError(logger: RestLogger, msg: string, fields?: Record<string, unknown>): void {
  logger.error(msg, fields);
}
