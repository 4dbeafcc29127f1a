// The process side of jobctl, shared by the whole CLI (cmd/jobctl-main.ts)
// and the bin's quick `get` (cmd/jobctl-bin.ts): the real streams, clock,
// environment, exit and Ctrl-C, handed to pkg/cli as CliDeps, and the fast
// get's client. (GrpcClient is the whole CLI's: the bin never loads it.)
import type { Connection } from '../pkg/cli/contexts.js';
import type { CliDeps } from '../pkg/cli/verbs/deps.js';
import type { ResourceClient } from '../pkg/client/index.js';
import { realClock } from '../pkg/util/clock.js';
import { exitAfterOutput } from '../pkg/util/exit.js';

/**
 * The fast `get`'s client factory: reads without grpc-js when the first
 * server answers them cleanly (pkg/transport/read-first-client.ts), and
 * `full(conn)` for the rest and for every read without a clean answer.
 */
export function readFirstConnector(
  full: (conn: Connection) => Promise<ResourceClient>,
): CliDeps['connect'] {
  return async (conn) => {
    const { ReadFirstClient } = await import('../pkg/transport/read-first-client.js');
    return new ReadFirstClient({ servers: conn.servers, security: conn }, () => full(conn));
  };
}

/**
 * The process's CliDeps with `connectTo` as its client factory. Called once
 * per process: it installs the Ctrl-C handler (long-running verbs such as
 * get -w and wait end cleanly; a second Ctrl-C exits at once).
 */
export function processDeps(connectTo: CliDeps['connect']): CliDeps {
  const interrupt = new AbortController();
  process.once('SIGINT', () => {
    interrupt.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  return {
    connect: connectTo,
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    clock: realClock,
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    signal: interrupt.signal,
    // Not process.exit: output still queued for a slow pipe would be lost.
    exit: (code) => exitAfterOutput(code),
  };
}
