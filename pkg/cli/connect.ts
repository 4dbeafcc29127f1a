// Server selection for the CLI: --server HOST:PORT[,HOST:PORT...] (default
// $JOBCTL_SERVER, then 127.0.0.1:50051), tried in turn until one answers.
import { ConnectionError } from '../transport/errors.js';
import type { ApiClient } from '../transport/api-grpc.js';
import type { ClientSecurity } from '../transport/security.js';
import { tlsFailureDetail } from '../tls/errors.js';
import { UnreachableError, UsageError } from './errors.js';

export const defaultServer = '127.0.0.1:50051';

export function resolveServers(flag: string | undefined, env = process.env): string[] {
  const raw = flag ?? env.JOBCTL_SERVER ?? defaultServer;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw new UsageError('--server must name at least one HOST:PORT');
  for (const s of list) {
    if (!/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(s))
      throw new UsageError(`--server: expected HOST:PORT, got "${s}"`);
  }
  return list;
}

/** "No connection established. Last error: Error: connect ECONNREFUSED ... (ts)" -> "connect ECONNREFUSED ...". */
function cleanDetail(detail: string): string {
  const tls = tlsFailureDetail(detail);
  if (tls) return tls;
  const m = /(connect E[A-Z]+ [^\s)]+|getaddrinfo E[A-Z]+ [^\s)]+)/.exec(detail);
  return (m?.[1] ?? detail).replace(/[.,;]+$/, '');
}

/**
 * Runs `fn` against each server in turn until one is reachable. Errors from a
 * server that answered are returned as they are; if none answers, an UnreachableError.
 */
export async function withServer<T>(
  servers: readonly string[],
  fn: (client: ApiClient) => Promise<T>,
  security?: ClientSecurity,
): Promise<T> {
  const { ApiClient } = await import('../transport/api-grpc.js');
  let last = '';
  for (const address of servers) {
    const client = new ApiClient(address, { timeoutMs: 10_000, security });
    try {
      return await fn(client);
    } catch (err) {
      if (!(err instanceof ConnectionError)) throw err;
      last = cleanDetail(err.message);
    } finally {
      client.close();
    }
  }
  throw new UnreachableError(servers.join(','), last);
}
