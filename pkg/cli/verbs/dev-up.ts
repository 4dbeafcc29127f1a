// `jobctl dev up --nodes N [--tls]`: a local cluster in the foreground, as child jobd
// processes with data under ./.jobctl-dev/ (logs in .jobctl-dev/node-N.log).
// Ctrl-C (or SIGTERM) stops them cleanly. A port it needs already taken, or a
// node dying before a leader is elected, is one line on stderr and exit 1, with
// every node it started stopped again. With --tls: certificates under
// .jobctl-dev/certs (made once, then reused), nodes with mutual TLS, and a
// context "jobctl-dev" (servers, CA, admin certificate) made current, so a
// plain `jobctl get jobs` connects over TLS. With --auth (combinable with
// --tls): nodes require credentials and enforce RBAC; the admin token is kept
// in .jobctl-dev/admin.token (0600, made once) and put into that context.
import { existsSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { defineVerb, type VerbGroup } from '../command.js';
import { UsageError } from '../errors.js';
import type { Out, VerbDeps } from './deps.js';

export interface DevUpOptions {
  readonly nodes: number;
  readonly basePort: number;
  readonly dir: string;
  readonly extraArgs?: string[];
  readonly tls?: boolean;
  /** --auth: nodes with auth on, the admin token in the context. */
  readonly auth?: boolean;
  /** Node i serves REST and the dashboard on httpBasePort + i - 1 (0: free ports; -1: none). */
  readonly httpBasePort?: number;
}

export const devCommand: VerbGroup = {
  name: 'dev',
  describe: 'local development helpers',
  subcommands: [
    defineVerb({
      name: 'up',
      describe: 'start a local N-node cluster in the foreground (data under ./.jobctl-dev/)',
      connection: 'none',
      flags: {
        nodes: { type: 'number', default: 3, describe: 'how many jobd nodes to start (1-9)' },
        'base-port': {
          type: 'number',
          default: 50051,
          describe: 'node i listens on base-port + i - 1',
        },
        dir: {
          type: 'string',
          default: '.jobctl-dev',
          describe: 'data directory: DIR/node-i holds node i, DIR/node-i.log its log',
        },
        'http-base-port': {
          type: 'number',
          default: 8081,
          describe:
            'node i serves the REST API and the dashboard on http-base-port + i - 1 (0: free ports, -1: none)',
        },
        tls: {
          type: 'boolean',
          default: false,
          describe:
            'mutual TLS: certificates under DIR/certs, and a current context "jobctl-dev" using them',
        },
        auth: {
          type: 'boolean',
          default: false,
          describe:
            'nodes with --auth (RBAC): admin token in DIR/admin.token and in the current context "jobctl-dev"',
        },
      },
      toOptions: (a): DevUpOptions => ({
        // A value yargs could not read as a number (NaN) is refused by runDevUp.
        nodes: a.nodes ?? Number.NaN,
        basePort: a.basePort ?? Number.NaN,
        dir: a.dir ?? '.jobctl-dev',
        tls: a.tls === true,
        auth: a.auth === true,
        httpBasePort: a.httpBasePort ?? Number.NaN,
      }),
      run: runDevUp,
    }),
  ],
};

/**
 * One node's share of this host as a --capacity value: CPU in whole
 * millicores, memory in whole MiB, each rounded down.
 */
export function hostShare(
  nodes: number,
  host: { cpus: number; memoryBytes: number } = {
    cpus: availableParallelism(),
    memoryBytes: totalmem(),
  },
): string {
  const cpu = Math.floor((host.cpus * 1000) / nodes);
  const memory = Math.floor(host.memoryBytes / (1024 * 1024) / nodes);
  return `cpu=${cpu}m,memory=${memory}Mi`;
}

/**
 * Runs until a signal stops the cluster (then the process exits 0). Fails
 * fast, with every node it started stopped again and exit code 1, when a port
 * it needs is taken or a node dies before a leader is elected.
 */
export async function runDevUp(opts: DevUpOptions, deps: VerbDeps): Promise<number> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 9) {
    throw new UsageError('--nodes must be between 1 and 9');
  }
  for (const [flag, base] of [
    ['--base-port', opts.basePort],
    ['--http-base-port', opts.httpBasePort ?? -1],
  ] as const) {
    const lowest = flag === '--base-port' ? 1 : -1;
    if (!Number.isInteger(base) || base < lowest || base + opts.nodes - 1 > 65535) {
      throw new UsageError(
        `${flag} must be a port number that leaves room for ${opts.nodes} nodes`,
      );
    }
  }
  const { LocalCluster, firstPortInUse, startFailure } =
    await import('../../node/local-cluster.js');
  const taken = await firstPortInUse(devPorts(opts));
  if (taken !== undefined) {
    deps.stderr.write(`error: ${portTakenLine(taken, opts)}\n`);
    return 1;
  }
  const baseDir = resolve(opts.dir);
  const certsDir = join(baseDir, 'certs');
  if (opts.tls) await devCerts(certsDir, opts.nodes, deps.stdout);
  const token = opts.auth ? await devToken(baseDir, deps.stdout) : undefined;
  // Set once the nodes are spawned; a signal before that finds none to stop
  // (children still starting are SIGKILLed as this process exits).
  const running: { cluster?: Awaited<ReturnType<typeof LocalCluster.start>> } = {};
  let stopping = false;
  // Ctrl-C or SIGTERM at any time, start-up included, stops every node started.
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    deps.stdout.write('stopping cluster...\n');
    await running.cluster?.stop();
    deps.stdout.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  // The nodes share one machine: each offers its share, so the scheduler never
  // promises N times the host.
  const share = opts.extraArgs?.includes('--capacity') ? undefined : hostShare(opts.nodes);
  const started = await LocalCluster.start({
    nodes: opts.nodes,
    baseDir,
    basePort: opts.basePort,
    extraArgs: [
      ...(share ? ['--capacity', share] : []),
      ...(opts.extraArgs ?? []),
      ...(token ? ['--auth', '--bootstrap-token-file', token.file] : []),
    ],
    ...(opts.tls ? { tls: { dir: certsDir } } : {}),
    ...(token ? { token: token.value } : {}),
    ...(opts.httpBasePort !== undefined && opts.httpBasePort >= 0
      ? { httpBasePort: opts.httpBasePort }
      : {}),
  });
  running.cluster = started;
  if (opts.tls || token) {
    // Node 1's REST URL, for `jobctl config kubeconfig` (kubectl).
    const http = started.dashboardUrl(1)?.replace(/\/+$/, '');
    await writeDevContext(
      started.servers().split(','),
      {
        ...(opts.tls ? { certsDir } : {}),
        ...(token ? { token: token.value } : {}),
        ...(http ? { http } : {}),
      },
      deps.stdout,
      deps.env,
    );
  }
  for (const m of started.members) {
    deps.stdout.write(
      `node ${m.id} listening on ${m.address} (data ${m.dataDir}, log ${m.logFile})\n`,
    );
  }
  if (share) deps.stdout.write(`each node offers ${share} (this host divided by ${opts.nodes})\n`);
  for (const m of started.members) {
    const url = started.dashboardUrl(m.id);
    if (url) deps.stdout.write(`node ${m.id} dashboard: ${url}\n`);
  }

  // Start-up: a leader, or the first node to exit (e.g. a port taken since the check).
  const firstExit = Promise.race(
    started.members.map((m) => m.exited.then((code) => ({ member: m, code }))),
  );
  const leader = started
    .waitForLeader({ timeoutMs: 30_000, quorumOnly: true })
    .then((l) => ({ leader: l }))
    .catch(() => ({ leader: undefined }));
  const outcome = await Promise.race([leader, firstExit]);
  if (stopping) return new Promise<never>(() => {});
  if ('member' in outcome) {
    const { member, code } = outcome;
    stopping = true;
    await started.stop();
    const { readFileSync } = await import('node:fs');
    const reason = startFailure(readFileSync(member.logFile, 'utf8'));
    const port = /^cannot listen on (?:[\d.]+|\[[^\]]*\]):(\d+) .*EADDRINUSE/.exec(
      reason ?? '',
    )?.[1];
    const line =
      port !== undefined
        ? portTakenLine(Number(port), opts)
        : `node ${member.id} exited with code ${code} during start-up${reason ? `: ${reason}` : ''}; see ${member.logFile}`;
    deps.stderr.write(`error: ${line}; every node started was stopped\n`);
    return 1;
  }
  if (outcome.leader) {
    deps.stdout.write(`leader elected: node ${outcome.leader.id} (term ${outcome.leader.term})\n`);
    deps.stdout.write(`try: jobctl --server ${started.servers()} cluster status\n`);
  } else {
    deps.stderr.write('no leader elected within 30s; check the node logs\n');
  }
  // Later, a node that dies on its own is reported; the rest keep running.
  for (const m of started.members) {
    void m.exited.then((code) => {
      if (!stopping) deps.stderr.write(`node ${m.id} exited with code ${code}; see ${m.logFile}\n`);
    });
  }
  return new Promise<never>(() => {
    /* run until a signal stops us */
  });
}

/** Every port the dev cluster listens on: gRPC, then REST when on fixed ports. */
function devPorts(opts: DevUpOptions): number[] {
  const range = (base: number): number[] => Array.from({ length: opts.nodes }, (_, i) => base + i);
  const http = opts.httpBasePort;
  return [...range(opts.basePort), ...(http !== undefined && http > 0 ? range(http) : [])];
}

/** One line: which port is taken, whose it is, and the flags that move the cluster. */
function portTakenLine(port: number, opts: DevUpOptions): string {
  const grpc = port - opts.basePort;
  const http = opts.httpBasePort !== undefined ? port - opts.httpBasePort : -1;
  const what =
    grpc >= 0 && grpc < opts.nodes
      ? `node ${grpc + 1}'s gRPC port, --base-port ${opts.basePort}`
      : http >= 0 && http < opts.nodes
        ? `node ${http + 1}'s REST port, --http-base-port ${opts.httpBasePort}`
        : 'a port of the cluster';
  return (
    `port ${port} on 127.0.0.1 (${what}) is already in use; ` +
    `move the cluster with --base-port N (gRPC, node i on N+i-1) and --http-base-port N (REST; 0: free ports, -1: none)`
  );
}

/** Certificates for the dev cluster: reused when the directory has them for enough nodes. */
async function devCerts(dir: string, nodes: number, out: Out): Promise<void> {
  const have = existsSync(join(dir, 'admin.pem')) && existsSync(join(dir, `node-${nodes}.pem`));
  if (have) return;
  const { generateCerts } = await import('../../tls/certs.js');
  await generateCerts({ out: dir, nodes, users: [{ name: 'admin', groups: ['system:masters'] }] });
  out.write(`certificates written to ${dir} (CA, node-1..${nodes}, admin)\n`);
}

/** The dev cluster's admin token (--bootstrap-token-file): made once, then reused. */
async function devToken(baseDir: string, out: Out): Promise<{ file: string; value: string }> {
  const { mkdirSync, readFileSync, writeFileSync } = await import('node:fs');
  const file = join(baseDir, 'admin.token');
  if (existsSync(file)) return { file, value: readFileSync(file, 'utf8').trim() };
  const { formatToken, newSecret } = await import('../../auth/tokens.js');
  const value = formatToken('dev-admin', newSecret());
  mkdirSync(baseDir, { recursive: true });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  out.write(`admin token written to ${file} (auth on)\n`);
  return { file, value };
}

/**
 * The context "jobctl-dev" (servers, node 1's REST URL, admin TLS files and/or
 * the admin token), made current.
 */
async function writeDevContext(
  servers: string[],
  creds: { readonly certsDir?: string; readonly token?: string; readonly http?: string },
  out: Out,
  env: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const { configPath, loadConfig, saveConfig } = await import('../contexts.js');
  const path = configPath(env);
  const config = await loadConfig(path);
  const dir = creds.certsDir;
  const ctx = {
    name: 'jobctl-dev',
    servers,
    ...(creds.http ? { http: creds.http } : {}),
    ...(dir
      ? { ca: join(dir, 'ca.pem'), cert: join(dir, 'admin.pem'), key: join(dir, 'admin-key.pem') }
      : {}),
    ...(creds.token ? { token: creds.token } : {}),
  };
  const contexts = [...config.contexts.filter((c) => c.name !== ctx.name), ctx];
  await saveConfig(path, { ...config, contexts, 'current-context': ctx.name });
  const how = [dir ? 'TLS' : '', creds.token ? 'token' : ''].filter(Boolean).join(' + ');
  out.write(`context "jobctl-dev" written to ${path} and made current (${how}, as admin)\n`);
}
