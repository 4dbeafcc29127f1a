// jobd's structured logger: pino, one JSON object per line on stderr, e.g.
//   {"level":"info","ts":"2026-11-29T12:00:00.000Z","nodeId":1,"component":"raft","term":3,"leader":2,"msg":"leader elected"}
// or human-readable through pino-pretty when stderr is a terminal. Every line
// carries the node id; startNode adds the current Raft term (withTerm) and
// gives each part a child logger naming it (component), and the controllers
// and the agent name the job/run they log about. The rest of the code only
// knows the small NodeLogger interface (pkg/util's Logger plus debug and child).
import { pino, type DestinationStream, type Logger as Pino } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from '../util/logger.js';
import { JobctlError, Reason } from '../util/errors.js';

export interface NodeLogger extends Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries `bindings` (e.g. {component: 'agent'}). */
  child(bindings: Record<string, unknown>): NodeLogger;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
/** auto: pretty when stderr is a TTY, else JSON. */
export type LogFormat = (typeof LOG_FORMATS)[number];

export function parseLogLevel(value: unknown, what = '--log-level'): LogLevel {
  if (typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)) {
    return value as LogLevel;
  }
  throw new JobctlError(
    Reason.Invalid,
    `${what}: expected one of ${LOG_LEVELS.join('|')}, got "${String(value)}"`,
  );
}

export interface NodeLoggerOptions {
  /** Lowest level written. Default info. */
  readonly level?: LogLevel;
  readonly format?: LogFormat;
  /** Fields on every line (jobd: {nodeId: id}; `node` is left to the lines that name a Node). */
  readonly base?: Record<string, unknown>;
  /** Where lines go. Default: stderr (written synchronously, so nothing is lost on exit). */
  readonly destination?: DestinationStream;
  /** For format auto: whether the destination is a terminal. Default: process.stderr.isTTY. */
  readonly isTTY?: boolean;
}

function adapt(p: Pino): NodeLogger {
  return {
    debug: (msg, fields) => p.debug(fields ?? {}, msg),
    info: (msg, fields) => p.info(fields ?? {}, msg),
    warn: (msg, fields) => p.warn(fields ?? {}, msg),
    error: (msg, fields) => p.error(fields ?? {}, msg),
    child: (bindings) => adapt(p.child(bindings)),
  };
}

export function createNodeLogger(opts: NodeLoggerOptions = {}): NodeLogger {
  const tty = opts.isTTY ?? process.stderr.isTTY === true;
  const usePretty = opts.format === 'pretty' || (opts.format !== 'json' && tty);
  const colorize = opts.destination === undefined && tty && !process.env.NO_COLOR;
  const destination: DestinationStream = usePretty
    ? pretty({
        destination: opts.destination ?? 2,
        sync: true,
        colorize,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      })
    : (opts.destination ?? pino.destination({ fd: 2, sync: true }));
  const p = pino(
    {
      level: opts.level ?? 'info',
      base: opts.base ?? {},
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      // Level names, not numbers: readable, and what log shippers map on.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return adapt(p);
}

/**
 * Adds the current Raft term to every line (fields given to a call win).
 * The term is read when the line is written, so it is always current
 * (undefined: no term field, e.g. before Raft exists).
 */
export function withTerm(logger: NodeLogger, term: () => number | undefined): NodeLogger {
  const add = (fields?: Record<string, unknown>): Record<string, unknown> => ({
    term: term(),
    ...fields,
  });
  return {
    debug: (m, f) => logger.debug(m, add(f)),
    info: (m, f) => logger.info(m, add(f)),
    warn: (m, f) => logger.warn(m, add(f)),
    error: (m, f) => logger.error(m, add(f)),
    child: (bindings) => withTerm(logger.child(bindings), term),
  };
}

/**
 * Where withTerm reads the term from: nowhere until the node's Raft exists
 * (lines written while storage opens carry no term), then that node, once.
 */
export class TermSource {
  private source: (() => number) | undefined;

  /** The term of the node's Raft from now on (may be called once). */
  follow(source: () => number): void {
    if (this.source) throw new Error('the term source is already set');
    this.source = source;
  }

  current(): number | undefined {
    return this.source?.();
  }
}

/** Discards everything (tests, tools). */
export const silentNodeLogger: NodeLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentNodeLogger,
};
