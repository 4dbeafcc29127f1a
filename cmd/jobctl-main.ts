// The whole CLI's start (dist/cmd/jobctl-main.js, in the ES module bundle of
// cmd/jobctl.ts; hack/build-cli.mjs): run by `node dist/cmd/jobctl.js ARGS`,
// and by the `jobctl` bin (cmd/jobctl-bin.ts) for every command it does not
// answer itself.
//
// A plain `get` is read by pkg/cli/fast-get.ts without loading yargs, and its
// reads go to the first server without loading grpc-js (ReadFirstClient);
// everything else (or a `get` the fast path is unsure of) goes through yargs
// (pkg/cli/register.ts). Every verb, its flags and its run live in
// pkg/cli/verbs/<verb>.ts; the process side is cmd/jobctl-process.ts.
import type { Connection } from '../pkg/cli/contexts.js';
import { parseFastGet, runFastGet } from '../pkg/cli/fast-get.js';
import type { ResourceClient } from '../pkg/client/index.js';
import { processDeps, readFirstConnector } from './jobctl-process.js';

/**
 * The verbs' client: gRPC to the connection's servers, tried in turn, loaded
 * when a verb first needs it. "No server answers" is an UnreachableError,
 * which pkg/cli/errors.ts maps to one line and exit code 3.
 */
async function connect(conn: Connection): Promise<ResourceClient> {
  const { GrpcClient } = await import('../pkg/transport/grpc-client.js');
  return new GrpcClient({ servers: conn.servers, security: conn });
}

export interface RunOptions {
  /**
   * The bin already made this `get`'s reads without grpc-js and one had no
   * clean answer: go straight to GrpcClient, whose answer or error is the
   * one to print (asking the first server a third time would only repeat
   * a deadline).
   */
  readonly readsTried?: boolean;
}

/** Runs the command `argv` (process.argv without node and the script) and exits with its code. */
export async function runJobctl(argv: readonly string[], opts: RunOptions = {}): Promise<void> {
  const fast = parseFastGet(argv);
  if (fast) {
    await runFastGet(processDeps(opts.readsTried ? connect : readFirstConnector(connect)), fast);
  } else {
    const deps = processDeps(connect);
    await (await import('../pkg/cli/register.js')).runCli(argv, deps);
  }
}
