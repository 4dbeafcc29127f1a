// Runs an N-node jobd cluster on loopback as child processes: used by
// `jobctl dev up`, the integration tests and the benchmarks. Each node logs to
// <baseDir>/node-<id>.log and keeps its data in <baseDir>/node-<id>/.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrpcClient } from '../transport/grpc-client.js';
import type { NodeId } from '../raft/index.js';
import { ApiClient } from '../transport/api-grpc.js';
import type { ClientSecurity } from '../transport/security.js';
import type { NodeStatus } from '../transport/gen/api.js';
import { JobctlError, Reason } from '../util/errors.js';

/** Children still running when this process exits are killed with it. */
const killOnExit = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of killOnExit) p.kill('SIGKILL');
});

/** dist/pkg/node/local-cluster.js -> dist/cmd/jobd.js */
export function jobdPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cmd', 'jobd.js');
}

/** Distinct free TCP ports on 127.0.0.1 (held open together so they differ). */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, host, () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/**
 * The first of `ports` something already listens on at `host`, or undefined.
 * A port in use gives EADDRINUSE here exactly as it would for jobd, so a
 * caller can refuse before starting any node (`jobctl dev up`).
 */
export async function firstPortInUse(
  ports: readonly number[],
  host = '127.0.0.1',
): Promise<number | undefined> {
  for (const port of ports) {
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, host, () => s.close(() => resolve(true)));
    });
    if (!free) return port;
  }
  return undefined;
}

/**
 * Why a node stopped during start-up, from its log: jobd's one line
 * `jobd: REASON` (or the "cannot start node" JSON line of older builds), or
 * undefined when there is none.
 */
export function startFailure(logText: string): string | undefined {
  for (const line of logText.split('\n').reverse()) {
    if (line.startsWith('jobd: ')) return line.slice('jobd: '.length);
    if (!line.includes('cannot start node')) continue;
    try {
      const rec = JSON.parse(line) as { error?: unknown };
      if (typeof rec.error === 'string') return rec.error;
    } catch {
      // not a JSON line (pretty format): fall through to the next
    }
  }
  return undefined;
}

export interface LocalClusterOptions {
  readonly nodes: number;
  /** Data and logs go under this directory. */
  readonly baseDir: string;
  /** First port (node i listens on basePort + i - 1); omitted: random free ports. */
  readonly basePort?: number;
  readonly host?: string;
  /**
   * Extra jobd flags for every node, e.g. ['--tick-ms', '20'], or for tests
   * ['--runtime', 'fake', '--backoff-base-ms', '100', '--node-grace-ms', '2000'].
   * The default runtime is docker (scoped per node: the nodes share one engine).
   */
  readonly extraArgs?: readonly string[];
  /** Extra jobd flags for one node (after extraArgs), e.g. id => ['--labels', `zone=z${id}`]. */
  readonly nodeExtraArgs?: (id: NodeId) => readonly string[];
  /** Environment of every node (default: this process's), e.g. {...process.env, DOCKER_HOST: ...}. */
  readonly env?: NodeJS.ProcessEnv;
  /** Node.js flags for every node, e.g. ['--cpu-prof']. */
  readonly nodeArgs?: readonly string[];
  /**
   * TLS: a directory from `jobd certs` (ca.pem, node-N.pem, node-N-key.pem,
   * USER.pem, USER-key.pem). Node N runs with --tls-ca/--tls-cert/--tls-key;
   * this class's clients connect as `user` (default "admin").
   */
  readonly tls?: { readonly dir: string; readonly user?: string };
  /** Bearer token this class's clients send (clusters with --auth). */
  readonly token?: string;
  /**
   * REST API and dashboard (--http): node i serves on httpBasePort + i - 1, or
   * on random free ports when 0; omitted: no --http.
   */
  readonly httpBasePort?: number;
  /** Runs once every member's address is known, before any node starts (e.g. `jobd restore`). */
  readonly beforeStart?: (cluster: LocalCluster) => Promise<void>;
}

/** The jobd TLS flags of node `id` with certificates from `jobd certs` in `dir`. */
export function nodeTlsArgs(dir: string, id: NodeId): string[] {
  return [
    '--tls-ca',
    join(dir, 'ca.pem'),
    '--tls-cert',
    join(dir, `node-${id}.pem`),
    '--tls-key',
    join(dir, `node-${id}-key.pem`),
  ];
}

/** Client security of `user` with certificates from `jobd certs` in `dir`. */
export function userSecurity(dir: string, user: string): ClientSecurity {
  return {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, `${user}.pem`),
    key: join(dir, `${user}-key.pem`),
  };
}

export interface LocalMember {
  readonly id: NodeId;
  readonly address: string;
  /** The --http HOST:PORT (REST API and dashboard), when httpBasePort was given. */
  readonly http?: string;
  readonly dataDir: string;
  readonly logFile: string;
  proc: ChildProcess | undefined;
  exited: Promise<number | null>;
  /** Resolves once the process has exited and its stdout and stderr have closed. */
  closed: Promise<void>;
  /** Started with --join of these servers instead of --peers (added after bootstrap). */
  join?: readonly string[];
}

export class LocalCluster {
  readonly members: LocalMember[] = [];
  private readonly clients = new Map<NodeId, ApiClient>();
  private readonly logs: WriteStream[] = [];

  private constructor(private readonly opts: LocalClusterOptions) {}

  /** Picks ports and starts every node. */
  static async start(opts: LocalClusterOptions): Promise<LocalCluster> {
    const c = new LocalCluster(opts);
    const host = opts.host ?? '127.0.0.1';
    const ports =
      opts.basePort !== undefined
        ? Array.from({ length: opts.nodes }, (_, i) => (opts.basePort as number) + i)
        : await freePorts(opts.nodes, host);
    const httpPorts =
      opts.httpBasePort === undefined
        ? undefined
        : opts.httpBasePort === 0
          ? await freePorts(opts.nodes, host)
          : Array.from({ length: opts.nodes }, (_, i) => (opts.httpBasePort as number) + i);
    mkdirSync(opts.baseDir, { recursive: true });
    for (let i = 0; i < opts.nodes; i++) {
      const id = i + 1;
      c.members.push({
        id,
        address: `${host}:${ports[i]}`,
        ...(httpPorts ? { http: `${host}:${httpPorts[i]}` } : {}),
        dataDir: join(opts.baseDir, `node-${id}`),
        logFile: join(opts.baseDir, `node-${id}.log`),
        proc: undefined,
        exited: Promise.resolve(null),
        closed: Promise.resolve(),
      });
    }
    await opts.beforeStart?.(c);
    for (const m of c.members) c.startNode(m.id);
    return c;
  }

  /**
   * Adds node `id` on a free port and starts it with `--join` (through the
   * given members, default every running one): it joins as a learner and is
   * promoted once caught up.
   */
  async join(id: NodeId, through?: readonly NodeId[]): Promise<LocalMember> {
    if (this.members.some((m) => m.id === id)) throw new Error(`member ${id} exists`);
    const host = this.opts.host ?? '127.0.0.1';
    const [port] = await freePorts(1, host);
    const servers = (
      through ?? this.members.filter((m) => this.isRunning(m.id)).map((m) => m.id)
    ).map((mid) => this.member(mid).address);
    const m: LocalMember = {
      id,
      address: `${host}:${port}`,
      dataDir: join(this.opts.baseDir, `node-${id}`),
      logFile: join(this.opts.baseDir, `node-${id}.log`),
      proc: undefined,
      exited: Promise.resolve(null),
      closed: Promise.resolve(),
      join: servers,
    };
    this.members.push(m);
    this.startNode(id);
    return m;
  }

  member(id: NodeId): LocalMember {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** The --peers of the bootstrap members (those not added by joining). */
  peersFlag(): string {
    return this.members
      .filter((m) => !m.join)
      .map((m) => `${m.id}=${m.address}`)
      .join(',');
  }

  servers(): string {
    return this.members.map((m) => m.address).join(',');
  }

  /** The dashboard's URL on node `id` (https with TLS), or undefined without --http. */
  dashboardUrl(id: NodeId): string | undefined {
    const http = this.member(id).http;
    return http ? `${this.opts.tls ? 'https' : 'http'}://${http}/` : undefined;
  }

  /** (Re)starts node `id` as a child process. */
  startNode(id: NodeId): void {
    const m = this.member(id);
    if (m.proc && m.proc.exitCode === null && m.proc.signalCode === null) return;
    const log = createWriteStream(m.logFile, { flags: 'a' });
    this.logs.push(log);
    const args = [
      ...(this.opts.nodeArgs ?? []),
      jobdPath(),
      '--id',
      String(id),
      '--listen',
      m.address,
      ...(m.join ? ['--join', m.join.join(',')] : ['--peers', this.peersFlag()]),
      '--data-dir',
      m.dataDir,
      ...(this.opts.tls ? nodeTlsArgs(this.opts.tls.dir, id) : []),
      ...(m.http ? ['--http', m.http] : []),
      ...(this.opts.extraArgs ?? []),
      ...(this.opts.nodeExtraArgs?.(id) ?? []),
    ];
    // Own process group: a terminal's Ctrl-C reaches only the parent, which
    // then stops the nodes in order (and SIGKILLs leftovers if it exits first).
    const proc = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(this.opts.env ? { env: this.opts.env } : {}),
    });
    killOnExit.add(proc);
    proc.once('exit', () => killOnExit.delete(proc));
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    m.proc = proc;
    m.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    m.closed = new Promise((resolve) => proc.once('close', () => resolve()));
  }

  isRunning(id: NodeId): boolean {
    const p = this.member(id).proc;
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  /** Sends a signal and waits for the process to exit; returns its exit code. */
  async kill(id: NodeId, signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const m = this.member(id);
    if (!this.isRunning(id)) return m.proc?.exitCode ?? null;
    m.proc?.kill(signal);
    return m.exited;
  }

  /**
   * A full ResourceClient (gRPC) to the given nodes (default: all, in order),
   * with logs(). The caller closes it.
   */
  resourceClient(ids?: readonly NodeId[], opts: { timeoutMs?: number } = {}): GrpcClient {
    const servers = (ids ?? this.members.map((m) => m.id)).map((id) => this.member(id).address);
    return new GrpcClient({
      servers,
      timeoutMs: opts.timeoutMs ?? 10_000,
      security: this.clientSecurity(),
    });
  }

  /** How this class's clients connect (TLS as the configured user, the token), undefined: plaintext, anonymous. */
  clientSecurity(): ClientSecurity | undefined {
    const tls = this.opts.tls;
    const sec = tls ? userSecurity(tls.dir, tls.user ?? 'admin') : undefined;
    return this.opts.token ? { ...sec, token: this.opts.token } : sec;
  }

  /** The administrative client (NodeStatus, ClusterStatus, TransferLeader) of one node. */
  client(id: NodeId): ApiClient {
    let c = this.clients.get(id);
    if (!c) {
      const address = this.member(id).address;
      c = new ApiClient(address, { timeoutMs: 2000, security: this.clientSecurity() });
      this.clients.set(id, c);
    }
    return c;
  }

  /** Each running node's own status (unreachable nodes omitted). */
  async statuses(timeoutMs = 1000): Promise<NodeStatus[]> {
    const all = await Promise.all(
      this.members.map((m) =>
        this.isRunning(m.id)
          ? this.client(m.id)
              .nodeStatus(timeoutMs)
              .catch(() => undefined)
          : undefined,
      ),
    );
    return all.filter((s): s is NodeStatus => s !== undefined);
  }

  /**
   * Waits until a leader is elected that every running node (or a quorum, when
   * `quorumOnly`) recognises, optionally other than `not`. Returns id and term.
   */
  async waitForLeader(
    opts: { timeoutMs?: number; not?: NodeId; quorumOnly?: boolean } = {},
  ): Promise<{ id: NodeId; term: number }> {
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    const running = () => this.members.filter((m) => this.isRunning(m.id)).length;
    for (;;) {
      const st = await this.statuses();
      const leader = st.filter((s) => s.role === 'leader').sort((a, b) => b.term - a.term)[0];
      if (leader && leader.id !== opts.not) {
        const agree = st.filter((s) => s.leader === leader.id && s.term === leader.term).length;
        const needed = opts.quorumOnly ? Math.floor(this.members.length / 2) + 1 : running();
        if (agree >= needed) return { id: leader.id, term: leader.term };
      }
      if (Date.now() > deadline) throw new JobctlError(Reason.Timeout, 'no leader elected in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Stops every node (SIGTERM, then SIGKILL after graceMs) and closes clients. */
  async stop(graceMs = 5000): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    await Promise.all(
      this.members.map(async (m) => {
        if (!this.isRunning(m.id)) return;
        m.proc?.kill('SIGTERM');
        const t = setTimeout(() => m.proc?.kill('SIGKILL'), graceMs);
        await m.exited;
        clearTimeout(t);
      }),
    );
    // 'exit' can come before the last output: end the logs only once every pipe has closed.
    await Promise.all(this.members.map((m) => m.closed));
    for (const l of this.logs) l.end();
  }
}
