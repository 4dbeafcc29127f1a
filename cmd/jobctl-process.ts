// The process side of jobctl, shared by its two entry files (cmd/jobctl.ts,
// the whole CLI, and cmd/jobctl-bin.ts, the bin's quick `get`): the real
// streams, clock, environment, exit, Ctrl-C and the gRPC clients, handed to
// pkg/cli as CliDeps.
import type { Connection } from '../pkg/cli/contexts.js';
import type { CliDeps } from '../pkg/cli/verbs/deps.js';
import type { ResourceClient } from '../pkg/client/index.js';
import { realClock } from '../pkg/util/clock.js';
import { exitAfterOutput } from '../pkg/util/exit.js';

/**
 * The verbs' client: gRPC to the connection's servers, tried in turn, loaded
 * when a verb first needs it. "No server answers" is an UnreachableError,
 * which pkg/cli/errors.ts maps to one line and exit code 3.
 */
export async function connect(conn: Connection): Promise<ResourceClient> {
  const { GrpcClient } = await import('../pkg/transport/grpc-client.js');
  return new GrpcClient({ servers: conn.servers, security: conn });
}

/**
 * The fast `get`'s client: its reads without grpc-js when the first server
 * answers them cleanly, GrpcClient (connect above) for the rest and for every
 * error, so what the user sees is the same (pkg/transport/read-first-client.ts).
 */
export async function connectForGet(conn: Connection): Promise<ResourceClient> {
  const { ReadFirstClient } = await import('../pkg/transport/read-first-client.js');
  return new ReadFirstClient({ servers: conn.servers, security: conn }, () => connect(conn));
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
