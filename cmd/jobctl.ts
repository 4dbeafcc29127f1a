#!/usr/bin/env node
// jobctl: the CLI's process shell. It supplies the real streams, clock,
// environment, gRPC client and exit, then hands argv to pkg/cli. A plain
// `jobctl get ...` (the command people run all day) is read by
// pkg/cli/fast-get.ts without loading yargs, and its reads go over plain
// HTTP/2 without loading grpc-js (ReadFirstClient); everything else (or a
// `get` the fast path is unsure of) goes through yargs (pkg/cli/register.ts).
// Every verb, its flags and its run live in pkg/cli/verbs/<verb>.ts.
import type { Connection } from '../pkg/cli/contexts.js';
import { parseFastGet, runFastGet } from '../pkg/cli/fast-get.js';
import type { CliDeps } from '../pkg/cli/verbs/deps.js';
import type { ResourceClient } from '../pkg/client/index.js';
import { realClock } from '../pkg/util/clock.js';

/**
 * The verbs' client: gRPC to the connection's servers, tried in turn, loaded
 * when a verb first needs it. "No server answers" is an UnreachableError,
 * which pkg/cli/errors.ts maps to one line and exit code 3.
 */
async function connect(conn: Connection): Promise<ResourceClient> {
  const { GrpcClient } = await import('../pkg/transport/grpc-client.js');
  return new GrpcClient({ servers: conn.servers, security: conn });
}

/**
 * The fast `get`'s client: its reads without grpc-js when the first server
 * answers them cleanly, GrpcClient (connect above) for the rest and for every
 * error, so what the user sees is the same (pkg/transport/read-first-client.ts).
 */
async function connectForGet(conn: Connection): Promise<ResourceClient> {
  const { ReadFirstClient } = await import('../pkg/transport/read-first-client.js');
  return new ReadFirstClient({ servers: conn.servers, security: conn }, () => connect(conn));
}

/** Ctrl-C ends long-running verbs (get -w, wait) cleanly; a second one exits at once. */
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

const deps: CliDeps = {
  connect,
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
  exit: (code) => process.exit(code),
};

const argv = process.argv.slice(2);
const fast = parseFastGet(argv);
if (fast) await runFastGet({ ...deps, connect: connectForGet }, fast);
else await (await import('../pkg/cli/register.js')).runCli(argv, deps);
