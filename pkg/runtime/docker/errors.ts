// Turning dockerode/docker-modem failures into the runtime's typed errors.
//
// docker-modem rejects with either a socket error (err.code ECONNREFUSED, ENOENT, ...:
// the daemon is not there) or an HTTP error (err.statusCode, and err.json.message or a
// message of the form "(HTTP code 404) no such container - <daemon text> ").
import { ContainerNotFoundError, RuntimeError, RuntimeUnavailableError } from '../errors.js';

/** Socket-level failures that mean "the daemon is unreachable", never "the request was bad". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ERR_SOCKET_CLOSED',
]);

interface ModemError {
  code?: string;
  statusCode?: number;
  json?: unknown;
  message?: string;
}

/** The HTTP status of a daemon answer, or undefined for a socket error. */
export function statusCodeOf(err: unknown): number | undefined {
  const code = (err as ModemError | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The daemon's own words, without docker-modem's "(HTTP code N) reason - " prefix. */
export function daemonMessage(err: unknown): string {
  const e = err as ModemError | null;
  const json = e?.json as { message?: unknown } | null | undefined;
  if (json && typeof json.message === 'string') return json.message.trim();
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}

/** True for a socket error or a request that never got an answer. */
export function isUnreachable(err: unknown): boolean {
  const e = err as ModemError | null;
  if (!e || statusCodeOf(err) !== undefined) return false;
  if (e.code && UNREACHABLE_CODES.has(e.code)) return true;
  return /socket hang up|connect E|Connection Timeout/i.test(e.message ?? '');
}

/**
 * Maps a dockerode failure: unreachable → RuntimeUnavailableError, 404 on a container
 * call → ContainerNotFoundError, a RuntimeError passes through, anything else is
 * returned unchanged (a daemon error the caller did not expect).
 */
export function mapDockerError(err: unknown, containerId?: string): unknown {
  if (err instanceof RuntimeError) return err;
  if (isUnreachable(err)) {
    const code = (err as ModemError).code;
    return new RuntimeUnavailableError(
      `Docker is unreachable${code ? ` (${code})` : ''}: ${daemonMessage(err)}`,
      { cause: err },
    );
  }
  if (containerId !== undefined && statusCodeOf(err) === 404) {
    return new ContainerNotFoundError(containerId, { cause: err });
  }
  return err;
}
