// JSON-lines logger for jobd: one object per line on stderr, e.g.
// {"ts":"2024-..","level":"info","node":1,"msg":"leader elected","leader":2,"term":3}
import type { Logger } from '../raft/config.js';

export interface NodeLogger extends Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(
  base: Record<string, unknown> = {},
  write: (line: string) => void = (l) => process.stderr.write(l),
): NodeLogger {
  const emit = (level: string, msg: string, fields?: Record<string, unknown>): void => {
    write(JSON.stringify({ ts: new Date().toISOString(), level, ...base, msg, ...fields }) + '\n');
  };
  return {
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}
