// The one logging interface of pkg/: info, warn and error, each a message and
// structured fields. pkg/node's logger (pino) implements it, and every part
// takes it, the Raft core and the WAL included; a part that needs less takes a
// Pick of it. Tests pass `silentLogger` or a MemoryLogger.

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
