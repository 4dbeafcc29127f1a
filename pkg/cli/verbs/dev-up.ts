// `jobctl dev up --nodes N [--tls]`: a local cluster in the foreground, as child jobd
// processes with data under ./.jobctl-dev/ (logs in .jobctl-dev/node-N.log).
// Ctrl-C (or SIGTERM) stops them cleanly. With --tls: certificates under
// .jobctl-dev/certs (made once, then reused), nodes with mutual TLS, and a
// context "jobctl-dev" (servers, CA, admin certificate) made current, so a
// plain `jobctl get jobs` connects over TLS. With --auth (combinable with
// --tls): nodes require credentials and enforce RBAC; the admin token is kept
// in .jobctl-dev/admin.token (0600, made once) and put into that context.
import { existsSync } from 'node:fs';
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
        nodes: { type: 'number', default: 3 },
        'base-port': {
          type: 'number',
          default: 50051,
          describe: 'node i listens on base-port + i - 1',
        },
        dir: { type: 'string', default: '.jobctl-dev' },
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

/** Runs until a signal stops the cluster (then the process exits 0). */
export async function runDevUp(opts: DevUpOptions, deps: VerbDeps): Promise<number> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 9) {
    throw new UsageError('--nodes must be between 1 and 9');
  }
  const { LocalCluster } = await import('../../node/local-cluster.js');
  const baseDir = resolve(opts.dir);
  const certsDir = join(baseDir, 'certs');
  if (opts.tls) await devCerts(certsDir, opts.nodes, deps.stdout);
  const token = opts.auth ? await devToken(baseDir, deps.stdout) : undefined;
  const cluster = await LocalCluster.start({
    nodes: opts.nodes,
    baseDir,
    basePort: opts.basePort,
    extraArgs: [
      ...(opts.extraArgs ?? []),
      ...(token ? ['--auth', '--bootstrap-token-file', token.file] : []),
    ],
    ...(opts.tls ? { tls: { dir: certsDir } } : {}),
    ...(token ? { token: token.value } : {}),
    ...(opts.httpBasePort !== undefined && opts.httpBasePort >= 0
      ? { httpBasePort: opts.httpBasePort }
      : {}),
  });
  if (opts.tls || token) {
    await writeDevContext(
      cluster.servers().split(','),
      { ...(opts.tls ? { certsDir } : {}), ...(token ? { token: token.value } : {}) },
      deps.stdout,
      deps.env,
    );
  }
  for (const m of cluster.members) {
    deps.stdout.write(
      `node ${m.id} listening on ${m.address} (data ${m.dataDir}, log ${m.logFile})\n`,
    );
  }
  for (const m of cluster.members) {
    const url = cluster.dashboardUrl(m.id);
    if (url) deps.stdout.write(`node ${m.id} dashboard: ${url}\n`);
  }
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    deps.stdout.write('stopping cluster...\n');
    await cluster.stop();
    deps.stdout.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  // A node that dies on its own (e.g. port in use) is reported; the rest keep running.
  for (const m of cluster.members) {
    void m.exited.then((code) => {
      if (!stopping) deps.stderr.write(`node ${m.id} exited with code ${code}; see ${m.logFile}\n`);
    });
  }
  try {
    const leader = await cluster.waitForLeader({ timeoutMs: 30_000, quorumOnly: true });
    deps.stdout.write(`leader elected: node ${leader.id} (term ${leader.term})\n`);
    deps.stdout.write(`try: jobctl --server ${cluster.servers()} cluster status\n`);
  } catch {
    deps.stderr.write('no leader elected within 30s; check the node logs\n');
  }
  return new Promise<never>(() => {
    /* run until a signal stops us */
  });
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

/** The context "jobctl-dev" (servers + admin TLS files and/or the admin token), made current. */
async function writeDevContext(
  servers: string[],
  creds: { readonly certsDir?: string; readonly token?: string },
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
