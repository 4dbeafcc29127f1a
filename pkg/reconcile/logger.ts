// The logging surface controllers and the reconcile machinery use. It matches
// pkg/node's JSON logger (info/warn/error with structured fields), so a node
// passes its logger straight in; tests pass `silentLogger` or a MemoryLogger.

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly fields?: Record<string, unknown>;
}

/** Keeps every line in memory, for assertions in tests. */
export class MemoryLogger implements Logger {
  readonly lines: LogLine[] = [];

  info(msg: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'info', msg, fields });
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'warn', msg, fields });
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    this.lines.push({ level: 'error', msg, fields });
  }
}
