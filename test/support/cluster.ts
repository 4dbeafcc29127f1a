// A real N-node jobd cluster (child processes on 127.0.0.1, random free ports, a
// temp dir) for end-to-end tests, plus the real CLI run as child processes
// against it.
//
//   const c = await E2ECluster.start({ runtime: 'docker', extraArgs: ['--backoff-base-ms', '100'] });
//   const r = await c.cli(['apply', '-f', file, '--wait=90s']);   // { code, stdout, stderr }
//   const jobs = c.client();                                      // GrpcClient on every node
//   await c.kill(2); c.restart(2); await c.stop();
//
// Every cluster gets a unique node-name prefix (`e2e<hex>-<id>`): the Docker runtime
// scopes containers by node name, and two clusters sharing one engine with the same
// names (e.g. two test files running at once, both with a `node-1`) would sweep each
// other's containers as orphans. stop() removes every container of this cluster's
// scopes. Node logs stay in <dir>/node-<id>.log; the dir is removed by stop() unless
// JOBCTL_E2E_KEEP=1 (or `keep` is passed), and its path is printed when kept.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { freePorts, jobdPath, nodeTlsArgs, userSecurity } from '../../pkg/node/local-cluster.js';
import type { ClientSecurity } from '../../pkg/transport/security.js';
import { generateCerts } from '../../pkg/tls/certs.js';
import type { Node, Resource, Run } from '../../pkg/store/index.js';
import { ApiClient } from '../../pkg/transport/api-grpc.js';
import type { NodeStatus } from '../../pkg/transport/gen/api.js';

/** dist/test/support/cluster.js -> dist/cmd/jobctl.cjs (the `jobctl` bin) */
export const JOBCTL = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'cmd',
  'jobctl.cjs',
);

export type RuntimeKind = 'docker' | 'process' | 'fake';

export interface E2EClusterOptions {
  readonly nodes?: number;
  readonly runtime: RuntimeKind;
  /** Extra jobd flags for every node (e.g. --backoff-base-ms 100 --node-grace-ms 2000). */
  readonly extraArgs?: readonly string[];
  /** Keep the temp dir after stop(). Default: JOBCTL_E2E_KEEP=1. */
  readonly keep?: boolean;
  /**
   * The --peers value of node `id` given every member's real address (default: those
   * addresses). The chaos suite routes each directed pair through a fault proxy.
   */
  readonly peersFor?: (id: number, addresses: ReadonlyMap<number, string>) => string;
  /** Extra environment of node `id` (merged over this process's). */
  readonly envFor?: (id: number) => NodeJS.ProcessEnv;
  /**
   * The host node `id` listens on and is dialled at (default 127.0.0.1), e.g.
   * its network namespace's address (test/support/netns.ts).
   */
  readonly hostFor?: (id: number) => string;
  /** A command that runs node `id`'s jobd, e.g. ['ip', 'netns', 'exec', NS] (it must exec). */
  readonly wrapCommand?: (id: number) => readonly string[];
  /** Runs before the nodes start, once member addresses are known (e.g. start proxies). */
  readonly beforeStart?: (members: readonly E2EMember[], dir: string) => Promise<void>;
  /**
   * TLS everywhere: `jobd certs` material in <dir>/certs (users admin in
   * system:masters, and `users`); nodes run with --tls-*, and client(),
   * cli() and the status calls connect as admin.
   */
  readonly tls?: boolean | { readonly users?: readonly { name: string; groups: string[] }[] };
  /** Serve REST too: every node gets --http on a free port (E2EMember.http). */
  readonly http?: boolean;
  /** Bearer token of the harness's own clients (status polls, client()), for clusters with --auth. */
  readonly token?: string;
}

export interface E2EMember {
  readonly id: number;
  /** The Node object's name (also the Docker runtime's scope). */
  readonly name: string;
  readonly address: string;
  /** REST HOST:PORT, with the `http` option. */
  readonly http?: string;
  readonly dataDir: string;
  readonly logFile: string;
  proc: ChildProcess | undefined;
  exited: Promise<void>;
  /** Resolves once the process has exited and its stdout and stderr have closed. */
  closed: Promise<void>;
  /** Added after bootstrap with `jobd --join` of these servers (instead of --peers). */
  readonly join?: readonly string[];
  /** Removed from the cluster (and stopped): no longer counted, restarted or polled. */
  removed?: boolean;
  /** Wall-clock ms of the last (re)start: a Ready older than this is the dead process's. */
  startedAt?: number;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

export interface CliOptions {
  /** --server value; default every node. */
  readonly server?: string;
  readonly timeoutMs?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin (for `apply -f -`). */
  readonly input?: string;
  /** On a TLS cluster, leave out the admin --ca/--cert/--key flags (the test passes its own). */
  readonly noTlsFlags?: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Children still running when the test process exits are killed with it. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

import { eventually } from './eventually.js';

export { eventually };

export class E2ECluster {
  readonly members: E2EMember[] = [];
  readonly prefix = `e2e${randomBytes(3).toString('hex')}`;
  private readonly logs: WriteStream[] = [];
  private readonly clients: GrpcClient[] = [];
  private readonly apiClients = new Map<number, ApiClient>();
  private readonly cliProcs = new Set<ChildProcess>();
  private stopped = false;

  private constructor(
    readonly dir: string,
    private readonly opts: E2EClusterOptions,
  ) {}

  /** Starts every node and waits until a leader is known and every Node is Ready. */
  static async start(opts: E2EClusterOptions): Promise<E2ECluster> {
    const n = opts.nodes ?? 3;
    const dir = mkdtempSync(join(tmpdir(), 'jobctl-e2e-'));
    const c = new E2ECluster(dir, opts);
    if (opts.tls) {
      const users = typeof opts.tls === 'object' ? (opts.tls.users ?? []) : [];
      await generateCerts({
        out: join(dir, 'certs'),
        nodes: n,
        users: [{ name: 'admin', groups: ['system:masters'] }, ...users],
      });
    }
    const ports = await freePorts(opts.http ? 2 * n : n);
    for (let i = 0; i < n; i++) {
      const id = i + 1;
      c.members.push({
        id,
        name: `${c.prefix}-${id}`,
        address: `${opts.hostFor?.(id) ?? '127.0.0.1'}:${ports[i]}`,
        ...(opts.http ? { http: `${opts.hostFor?.(id) ?? '127.0.0.1'}:${ports[n + i]}` } : {}),
        dataDir: join(dir, `node-${id}`),
        logFile: join(dir, `node-${id}.log`),
        proc: undefined,
        exited: Promise.resolve(),
        closed: Promise.resolve(),
      });
    }
    try {
      await opts.beforeStart?.(c.members, dir);
      for (const m of c.members) c.startNode(m.id);
      await c.waitForLeader();
      await c.waitNodesReady();
    } catch (err) {
      await c.stop({ keep: true });
      throw err;
    }
    return c;
  }

  member(id: number): E2EMember {
    const m = this.members.find((x) => x.id === id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** The member whose Node object is called `name`. */
  byName(name: string): E2EMember {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no member named ${name} (cluster ${this.prefix})`);
    return m;
  }

  /** Where the TLS material is (ca.pem, node-N.pem, USER.pem, ... and ca-key.pem). */
  get certsDir(): string {
    return join(this.dir, 'certs');
  }

  /** Client security of `user` (default admin) on a TLS cluster; undefined without TLS. */
  security(user = 'admin'): ClientSecurity | undefined {
    return this.opts.tls ? userSecurity(this.certsDir, user) : undefined;
  }

  /** What the harness's own gRPC clients present: the admin certificate and/or the `token` option. */
  private clientSecurity(): ClientSecurity | undefined {
    const tls = this.security();
    return this.opts.token ? { ...tls, token: this.opts.token } : tls;
  }

  /** The members not removed from the cluster. */
  active(): E2EMember[] {
    return this.members.filter((m) => !m.removed);
  }

  /**
   * Adds node `id` (a new id, an empty data dir) with `jobd --join` through
   * the running members: it joins as a learner and is promoted once caught up.
   */
  async join(id: number): Promise<E2EMember> {
    if (this.members.some((m) => m.id === id)) throw new Error(`member ${id} exists`);
    // A namespace per node has a port space of its own: the others' port; on 127.0.0.1 a free one.
    const port = this.opts.hostFor
      ? Number(this.active()[0]?.address.split(':').pop())
      : ((await freePorts(1))[0] as number);
    const through = this.active().filter((m) => this.isRunning(m.id));
    const m: E2EMember = {
      id,
      name: `${this.prefix}-${id}`,
      address: `${this.opts.hostFor?.(id) ?? '127.0.0.1'}:${port}`,
      dataDir: join(this.dir, `node-${id}`),
      logFile: join(this.dir, `node-${id}.log`),
      proc: undefined,
      exited: Promise.resolve(),
      closed: Promise.resolve(),
      join: through.map((t) => t.address),
    };
    this.members.push(m);
    this.startNode(id);
    return m;
  }

  /** Marks node `id` removed from the cluster (the caller removed and stopped it). */
  markRemoved(id: number): void {
    this.member(id).removed = true;
  }

  servers(ids: readonly number[] = this.active().map((m) => m.id)): string {
    return ids.map((id) => this.member(id).address).join(',');
  }

  private peersFlag(id: number): string {
    if (this.opts.peersFor) {
      return this.opts.peersFor(id, new Map(this.members.map((m) => [m.id, m.address])));
    }
    return this.members.map((m) => `${m.id}=${m.address}`).join(',');
  }

  /** (Re)starts node `id` with the same flags, data dir and name. */
  startNode(id: number): void {
    const m = this.member(id);
    if (this.isRunning(id)) return;
    const log = createWriteStream(m.logFile, { flags: 'a' });
    this.logs.push(log);
    const args = [
      jobdPath(),
      '--id',
      String(id),
      '--name',
      m.name,
      '--listen',
      m.address,
      ...(m.join ? ['--join', m.join.join(',')] : ['--peers', this.peersFlag(id)]),
      '--data-dir',
      m.dataDir,
      '--runtime',
      this.opts.runtime,
      ...(this.opts.tls ? nodeTlsArgs(this.certsDir, id) : []),
      ...(m.http ? ['--http', m.http] : []),
      ...(this.opts.extraArgs ?? []),
    ];
    const wrap = this.opts.wrapCommand?.(id) ?? [];
    const command = [...wrap, process.execPath, '--enable-source-maps', ...args];
    m.startedAt = Date.now();
    const proc = spawn(command[0] as string, command.slice(1), {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(this.opts.envFor ? { env: { ...process.env, ...this.opts.envFor(id) } } : {}),
    });
    live.add(proc);
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    m.proc = proc;
    m.exited = new Promise((resolve) =>
      proc.once('exit', () => {
        live.delete(proc);
        resolve();
      }),
    );
    m.closed = new Promise((resolve) => proc.once('close', () => resolve()));
  }

  /** Alias of startNode, for readability after kill(). */
  restart(id: number): void {
    this.startNode(id);
  }

  isRunning(id: number): boolean {
    const p = this.member(id).proc;
    return !!p && p.exitCode === null && p.signalCode === null;
  }

  /** Sends `signal` (default SIGKILL: kill -9) to node `id` and waits until it is gone. */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.member(id);
    if (!this.isRunning(id)) return;
    const api = this.apiClients.get(id);
    api?.close();
    this.apiClients.delete(id);
    m.proc?.kill(signal);
    await m.exited;
  }

  /** A GrpcClient over `ids` (default every node); closed by stop(). */
  client(ids?: readonly number[], timeoutMs = 10_000): GrpcClient {
    const c = new GrpcClient({
      servers: this.servers(ids),
      timeoutMs,
      watchReconnectMs: 60_000,
      security: this.clientSecurity(),
    });
    this.clients.push(c);
    return c;
  }

  private api(id: number): ApiClient {
    let c = this.apiClients.get(id);
    if (!c) {
      c = new ApiClient(this.member(id).address, { security: this.clientSecurity() });
      this.apiClients.set(id, c);
    }
    return c;
  }

  /** Raft status of each running node that answers. */
  async statuses(): Promise<NodeStatus[]> {
    const all = await Promise.all(
      this.active().map((m) =>
        this.isRunning(m.id)
          ? this.api(m.id)
              .nodeStatus(1000)
              .catch(() => undefined)
          : undefined,
      ),
    );
    return all.filter((s): s is NodeStatus => s !== undefined);
  }

  /** The leader every running node agrees on (optionally other than `not`). */
  async waitForLeader(opts: { not?: number; timeoutMs?: number } = {}): Promise<number> {
    return eventually(
      'a leader all running nodes agree on',
      async () => {
        const st = await this.statuses();
        const running = this.active().filter((m) => this.isRunning(m.id)).length;
        const leader = st.find((s) => s.role === 'leader');
        if (!leader || leader.id === opts.not) return undefined;
        const agree = st.filter((s) => s.leader === leader.id && s.term === leader.term).length;
        return agree === running ? leader.id : undefined;
      },
      opts.timeoutMs ?? 30_000,
      50,
    );
  }

  async leader(): Promise<number> {
    return this.waitForLeader();
  }

  /**
   * Waits until the Node objects of `ids` (default all running nodes) are Ready=True
   * with a heartbeat from their current process. Right after a kill and restart, the
   * Node can still say Ready from before the kill (the grace period has not run out):
   * a Run bound then would be declared Lost once the grace runs out, before the new
   * process has heartbeated.
   */
  async waitNodesReady(ids?: readonly number[], timeoutMs = 60_000): Promise<void> {
    const wantMembers = (
      ids ??
      this.active()
        .filter((m) => this.isRunning(m.id))
        .map((m) => m.id)
    ).map((id) => this.member(id));
    const want = wantMembers.map((m) => m.name);
    const startedAt = new Map(wantMembers.map((m) => [m.name, m.startedAt ?? 0]));
    const client = this.client();
    try {
      await eventually(
        `Nodes ${want.join(', ')} Ready`,
        async () => {
          const nodes = (await client.list('nodes')).items as unknown as Node[];
          const ready = (name: string): boolean => {
            const n = nodes.find((x) => x.metadata.name === name);
            const conds = n?.status?.conditions ?? [];
            const is = (t: string): boolean =>
              conds.some((c) => c.type === t && c.status === 'True');
            const beat = Date.parse(n?.status?.heartbeatTime ?? '');
            return (
              is('Ready') &&
              !conds.some((c) => c.type === 'RuntimeReady' && c.status !== 'True') &&
              beat >= (startedAt.get(name) ?? 0)
            );
          };
          return want.every(ready) ? true : undefined;
        },
        timeoutMs,
        200,
      );
    } finally {
      client.close();
    }
  }

  /** Runs `node dist/cmd/jobctl.cjs ARGS` (--server every node unless given). Never rejects. */
  cli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
    const t0 = Date.now();
    const sec = opts.noTlsFlags ? undefined : this.security();
    const tlsFlags = sec ? ['--ca', sec.ca, '--cert', sec.cert, '--key', sec.key] : [];
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [
          JOBCTL,
          '--server',
          opts.server ?? this.servers(),
          '--no-color',
          ...(tlsFlags as string[]),
          ...args,
        ],
        {
          env: { ...process.env, JOBCTL_SERVER: '', NO_COLOR: '1', ...opts.env },
          timeout: opts.timeoutMs ?? 120_000,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024 * 1024,
        },
        (err, stdout, stderr) => {
          this.cliProcs.delete(child);
          live.delete(child);
          let code = 0;
          if (err) {
            const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
            code = typeof e.code === 'number' ? e.code : e.killed ? 124 : 1;
          }
          resolve({ code, stdout, stderr, ms: Date.now() - t0 });
        },
      );
      this.cliProcs.add(child);
      live.add(child);
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }

  /**
   * `cli`, repeated (up to 4 runs) while it fails transiently: cluster unreachable (3),
   * killed by the timeout, or the server answered Timeout / Unavailable / TooManyRequests
   * (an election on a loaded machine). Only for commands that are safe to repeat (get,
   * apply, delete, logs, wait). `attempts` says how many runs it took.
   */
  async cliRetry(
    args: readonly string[],
    opts: CliOptions = {},
  ): Promise<CliResult & { attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      const r = await this.cli(args, opts);
      const transient =
        r.code === 3 ||
        r.code === 124 ||
        (r.code === 1 && /\((Timeout|Unavailable|TooManyRequests)\)/.test(r.stderr));
      if (!transient || attempt >= 4) return { ...r, attempts: attempt };
      await sleep(500 * attempt);
    }
  }

  /** cliRetry that must exit 0; returns stdout. */
  async cliOk(args: readonly string[], opts: CliOptions = {}): Promise<string> {
    const r = await this.cliRetry(args, opts);
    if (r.code !== 0) {
      throw new Error(
        `jobctl ${args.join(' ')} exited ${r.code} (${r.attempts} attempts)\n${r.stderr}${r.stdout}`,
      );
    }
    return r.stdout;
  }

  /** `jobctl get KIND NAME -o json`, parsed. */
  async getJson<T = Resource>(kind: string, name: string): Promise<T> {
    return JSON.parse(await this.cliOk(['get', kind, name, '-o', 'json'])) as T;
  }

  /** A Job's Runs through the CLI (`get runs -l jobctl.dev/job-name=JOB -o json`). */
  async runsOf(job: string): Promise<Run[]> {
    const out = await this.cliOk(['get', 'runs', '-l', `jobctl.dev/job-name=${job}`, '-o', 'json']);
    return (JSON.parse(out) as { items: Run[] }).items;
  }

  /** The last `lines` lines of every node's log, for failure messages. */
  logTail(lines = 40): string {
    return this.members
      .map((m) => {
        let text = '';
        try {
          text = readFileSync(m.logFile, 'utf8');
        } catch {
          /* not yet written */
        }
        return `--- ${m.logFile}\n${text.split('\n').slice(-lines).join('\n')}`;
      })
      .join('\n');
  }

  /**
   * Kills CLI children and every node (SIGTERM, then SIGKILL after graceMs), closes
   * clients, removes this cluster's containers (Docker runtime) and the temp dir.
   */
  async stop(opts: { graceMs?: number; keep?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.cliProcs) p.kill('SIGKILL');
    for (const c of this.clients) c.close();
    for (const c of this.apiClients.values()) c.close();
    this.apiClients.clear();
    const graceMs = opts.graceMs ?? 3000;
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
    if (this.opts.runtime === 'docker') await this.removeContainers();
    const keep = opts.keep ?? this.opts.keep ?? process.env.JOBCTL_E2E_KEEP === '1';
    if (keep) process.stderr.write(`# e2e cluster ${this.prefix} kept in ${this.dir}\n`);
    else rmSync(this.dir, { recursive: true, force: true });
  }

  /** Removes every Docker container labelled with one of this cluster's node names. */
  async removeContainers(): Promise<number> {
    const { getDocker } = await import('./docker.js');
    const docker = getDocker();
    let removed = 0;
    for (const m of this.members) {
      const list = await docker
        .listContainers({ all: true, filters: { label: [`jobctl.scope=${m.name}`] } })
        .catch(() => []);
      for (const info of list) {
        await docker
          .getContainer(info.Id)
          .remove({ force: true })
          .then(() => removed++)
          .catch(() => undefined);
      }
    }
    return removed;
  }
}

/** Parses `-o name` output (`run.jobctl.dev/x-0` per line) into names. */
export function names(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.slice(l.lastIndexOf('/') + 1));
}

/** A temp dir for manifests; removed by the returned function. */
export function manifestDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-e2e-manifests-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Docker containers (running or not) labelled jobctl.run.uid=<uid>: id and state. */
export async function containersOfRun(runUid: string): Promise<{ id: string; state: string }[]> {
  const { getDocker } = await import('./docker.js');
  const list = await getDocker().listContainers({
    all: true,
    filters: { label: [`jobctl.run.uid=${runUid}`] },
  });
  return list.map((c) => ({ id: c.Id, state: c.State }));
}

/** How many `event` events (create, kill, die...) Docker recorded for this Run's containers since `sinceS` (epoch s). */
export async function containerEvents(
  runUid: string,
  sinceS: number,
  event: string,
): Promise<number> {
  const { getDocker } = await import('./docker.js');
  const stream = (await getDocker().getEvents({
    since: sinceS,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ['container'], event: [event], label: [`jobctl.run.uid=${runUid}`] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

/** How many containers Docker created for this Run since `sinceS` (epoch s). */
export function containerCreations(runUid: string, sinceS: number): Promise<number> {
  return containerEvents(runUid, sinceS, 'create');
}

/** Writes a Job manifest (JSON, which is YAML) to DIR/NAME.yaml and returns its path. */
export function writeJob(
  dir: string,
  name: string,
  spec: Record<string, unknown>,
  labels: Record<string, string> = {},
): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(
    path,
    JSON.stringify(
      { apiVersion: 'jobctl.dev/v1', kind: 'Job', metadata: { name, labels }, spec },
      null,
      2,
    ),
  );
  return path;
}
