#!/usr/bin/env node
// jobctl: the CLI root. Registers verbs with yargs; each verb's module (and
// gRPC) is imported only when that verb runs, so `jobctl --help` starts fast.
// A plain `jobctl get ...` (the command people run all day) skips yargs
// altogether: pkg/cli/fast-get.ts parses it with node:util, and yargs is
// loaded only for everything else (or when the fast path is unsure).
// Errors become one stderr line and an exit code in pkg/cli/errors.ts.
import { parseFastGet } from '../pkg/cli/fast-get.js';
import { registerResourceVerbs, runFastGet, type RegisterDeps } from '../pkg/cli/register.js';
import type { Connection } from '../pkg/cli/contexts.js';
import type { ResourceClient } from '../pkg/client/types.js';
import type { CliIo, ClusterTarget } from '../pkg/cli/verbs/cluster.js';
import { realClock } from '../pkg/util/clock.js';

const io: CliIo = { out: process.stdout, err: process.stderr };

/** Runs a verb, mapping any error to one line and an exit code. */
async function run(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const { describeError } = await import('../pkg/cli/errors.js');
    const { line, code } = describeError(err);
    process.stderr.write(line + '\n');
    process.exit(code);
  }
}

/**
 * The resource verbs' client: gRPC to the connection's servers, tried in
 * turn. Loaded when a verb first needs it. "No server answers" is an
 * UnreachableError, which pkg/cli/errors.ts maps to one line and exit code 3.
 */
async function connect(conn: Connection): Promise<ResourceClient> {
  const { GrpcClient } = await import('../pkg/transport/grpc-client.js');
  return new GrpcClient({ servers: conn.servers, security: conn });
}

/** Ctrl-C ends long-running verbs (get -w, wait) cleanly; a second one exits at once. */
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort();
  process.once('SIGINT', () => process.exit(130));
});

/** Servers and connection security of the cluster verbs (flags, env, context, like every verb). */
async function target(a: Record<string, unknown>): Promise<ClusterTarget> {
  const [{ resolveServers }, { resolveConnection }] = await Promise.all([
    import('../pkg/cli/connect.js'),
    import('../pkg/cli/contexts.js'),
  ]);
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const conn = await resolveConnection(
    {
      server: str(a.server),
      context: str(a.context),
      ca: str(a.ca),
      cert: str(a.cert),
      key: str(a.key),
      token: str(a.token),
    },
    process.env,
  );
  return { servers: resolveServers(conn.servers.join(',')), security: conn };
}

const deps: RegisterDeps = {
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

/** Every command through yargs: flags, help, completion, usage errors (exit 2). */
async function parseWithYargs(): Promise<void> {
  const [{ default: yargs }, { hideBin }] = await Promise.all([
    import('yargs'),
    import('yargs/helpers'),
  ]);
  const root = yargs(hideBin(process.argv))
    .scriptName('jobctl')
    .usage('$0 <command> [flags]')
    .option('server', {
      type: 'string',
      global: true,
      describe:
        'HOST:PORT[,HOST:PORT...] of any nodes, tried in turn (default $JOBCTL_SERVER, then 127.0.0.1:50051)',
    })
    .option('output', {
      alias: 'o',
      type: 'string',
      global: true,
      describe: 'output format: table|json',
    })
    .command('cluster', 'Raft view of the cluster', (y) =>
      y
        .command(
          'status',
          'every node: id, address, role, term, commit, applied, health',
          () => {},
          (a) =>
            run(async () => {
              const { runClusterStatus } = await import('../pkg/cli/verbs/cluster.js');
              await runClusterStatus({ ...(await target(a)), output: a.output }, io);
            }),
        )
        .command(
          'transfer-leader',
          'hand leadership to a node (default: the most caught-up follower)',
          (y2) => y2.option('to', { type: 'number', describe: 'target node id' }),
          (a) =>
            run(async () => {
              const { runTransferLeader } = await import('../pkg/cli/verbs/cluster.js');
              await runTransferLeader({ ...(await target(a)), to: a.to }, io);
            }),
        )
        .demandCommand(1, 'specify a cluster subcommand: status | transfer-leader'),
    )
    .command('dev', 'local development helpers', (y) =>
      y
        .command(
          'up',
          'start a local N-node cluster in the foreground (data under ./.jobctl-dev/)',
          (y2) =>
            y2
              .option('nodes', { type: 'number', default: 3 })
              .option('base-port', {
                type: 'number',
                default: 50051,
                describe: 'node i listens on base-port + i - 1',
              })
              .option('dir', { type: 'string', default: '.jobctl-dev' })
              .option('http-base-port', {
                type: 'number',
                default: 8081,
                describe:
                  'node i serves the REST API and the dashboard on http-base-port + i - 1 (0: free ports, -1: none)',
              })
              .option('tls', {
                type: 'boolean',
                default: false,
                describe:
                  'mutual TLS: certificates under DIR/certs, and a current context "jobctl-dev" using them',
              })
              .option('auth', {
                type: 'boolean',
                default: false,
                describe:
                  'nodes with --auth (RBAC): admin token in DIR/admin.token and in the current context "jobctl-dev"',
              }),
          (a) =>
            run(async () => {
              const { runDevUp } = await import('../pkg/cli/verbs/dev-up.js');
              await runDevUp(
                {
                  nodes: a.nodes,
                  basePort: a.basePort,
                  dir: a.dir,
                  tls: a.tls,
                  auth: a.auth,
                  httpBasePort: a.httpBasePort,
                },
                io,
              );
            }),
        )
        .demandCommand(1, 'specify a dev subcommand: up'),
    );

  registerResourceVerbs(root, deps);

  await root
    .demandCommand(1, 'specify a command')
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      process.stderr.write(`error: ${msg ?? err?.message ?? 'invalid usage'}\n`);
      process.stderr.write("Run 'jobctl --help' for usage.\n");
      process.exit(2);
    })
    .parseAsync();
}

const fast = parseFastGet(process.argv.slice(2));
if (fast) await runFastGet(deps, fast);
else await parseWithYargs();
