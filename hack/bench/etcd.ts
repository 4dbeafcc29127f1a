// A 3-member etcd (Debian's etcd-server, etcd 3.4) on loopback for
// `npm run bench -- compare`: free ports, data under a directory the caller
// owns, etcd's defaults otherwise (fsync on every commit). The members run as
// child processes in their own process group, as LocalCluster's jobd nodes do,
// so a terminal's Ctrl-C reaches only the bench, which stops them in order;
// any member still running when the bench exits is SIGKILLed.
//
// The bench talks to etcd over gRPC with @grpc/grpc-js, the same library and
// channel options as jobctl's GrpcClient, and a .proto of its own
// (etcd-kv.proto: KV.Put and Maintenance.Status, wire-compatible with etcd's).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { freePorts } from '../../pkg/node/local-cluster.js';
import { channelOptions } from '../../pkg/transport/channel-options.js';
import { JobctlError, Reason } from '../../pkg/util/errors.js';

/** Members still running when this process exits are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** The etcd binary Debian's etcd-server installs (on PATH as `etcd`). */
const ETCD = 'etcd';

/** `etcd --version`'s "etcd Version: 3.4.23", or undefined when etcd cannot be run. */
function etcdVersion(): string | undefined {
  const r = spawnSync(ETCD, ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return /etcd Version:\s*(\S+)/.exec(r.stdout)?.[1] ?? 'unknown';
}

/** Runs an apt-get command with its output on stderr (stdout carries the bench's JSON). */
function aptGet(args: string[]): number {
  const r = spawnSync('apt-get', args, {
    stdio: ['ignore', process.stderr, process.stderr],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.error ? -1 : (r.status ?? -1);
}

/**
 * The version of the etcd on PATH; installs Debian's etcd-server with apt-get
 * first when there is none (and says so on stderr).
 */
export function ensureEtcd(): string {
  const found = etcdVersion();
  if (found) return found;
  process.stderr.write(
    "compare: etcd is not installed; installing Debian's etcd-server (apt-get install -y etcd-server)\n",
  );
  let status = aptGet(['install', '-y', 'etcd-server']);
  if (status !== 0) {
    process.stderr.write('compare: apt-get install failed; running apt-get update and retrying\n');
    if (aptGet(['update']) === 0) status = aptGet(['install', '-y', 'etcd-server']);
  }
  const installed = status === 0 ? etcdVersion() : undefined;
  if (!installed) {
    throw new JobctlError(
      Reason.Unavailable,
      `etcd is not installed and "apt-get install -y etcd-server" failed (exit ${status}); ` +
        'install etcd 3.4 (Debian package etcd-server, as root) and run again',
    );
  }
  process.stderr.write(`compare: installed etcd ${installed}\n`);
  return installed;
}

/** hack/bench/etcd-kv.proto, from dist/hack/bench (the build output) or next to this file. */
function protoPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, '..', '..', '..', 'hack', 'bench', 'etcd-kv.proto'),
    join(here, 'etcd-kv.proto'),
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`cannot find etcd-kv.proto (looked in ${candidates.join(', ')})`);
  return found;
}

let services: { KV: grpc.ServiceClientConstructor; Maintenance: grpc.ServiceClientConstructor };

function etcdServices(): typeof services {
  // Member ids are 64-bit: read them as strings (longs: String), not as lossy numbers.
  services ??= (() => {
    const def = loadSync(protoPath(), {
      keepCase: false,
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    const pkg = grpc.loadPackageDefinition(def).etcdserverpb as grpc.GrpcObject;
    return {
      KV: pkg.KV as grpc.ServiceClientConstructor,
      Maintenance: pkg.Maintenance as grpc.ServiceClientConstructor,
    };
  })();
  return services;
}

type Unary = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => grpc.ClientUnaryCall;

function unary<Res>(client: grpc.Client, method: string, req: unknown, timeoutMs: number) {
  const fn = (client as unknown as Record<string, Unary>)[method] as Unary;
  return new Promise<Res>((resolve, reject) =>
    fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (err, res) =>
      err ? reject(err) : resolve(res as Res),
    ),
  );
}

interface StatusResponse {
  header?: { memberId: string };
  leader: string;
}

/** One gRPC channel to one member, for puts. */
export class EtcdKv {
  private readonly client: grpc.Client;

  constructor(
    address: string,
    private readonly timeoutMs = 5000,
  ) {
    const { KV } = etcdServices();
    this.client = new KV(address, grpc.credentials.createInsecure(), channelOptions);
  }

  async put(key: string, value: Buffer): Promise<void> {
    await unary(this.client, 'put', { key: Buffer.from(key), value }, this.timeoutMs);
  }

  close(): void {
    this.client.close();
  }
}

export interface EtcdMember {
  readonly name: string;
  /** HOST:PORT of the client (gRPC) listener. */
  readonly address: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly proc: ChildProcess;
  readonly exited: Promise<void>;
}

export class EtcdCluster {
  private constructor(readonly members: readonly EtcdMember[]) {}

  /** Starts `size` members on 127.0.0.1 with free ports, data and logs under baseDir. */
  static async start(opts: { size: number; baseDir: string }): Promise<EtcdCluster> {
    const host = '127.0.0.1';
    const ports = await freePorts(2 * opts.size, host);
    const names = Array.from({ length: opts.size }, (_, i) => `etcd-${i + 1}`);
    const peerUrl = (i: number) => `http://${host}:${ports[opts.size + i]}`;
    const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
    // A fresh token: members of an earlier run's cluster can never join this one.
    const token = `jobctl-bench-${randomBytes(4).toString('hex')}`;
    mkdirSync(opts.baseDir, { recursive: true });
    const members = names.map((name, i): EtcdMember => {
      const clientUrl = `http://${host}:${ports[i]}`;
      const dataDir = join(opts.baseDir, name);
      const logFile = join(opts.baseDir, `${name}.log`);
      const log = createWriteStream(logFile, { flags: 'a' });
      const proc = spawn(
        ETCD,
        [
          ['--name', name],
          ['--data-dir', dataDir],
          ['--listen-client-urls', clientUrl],
          ['--advertise-client-urls', clientUrl],
          ['--listen-peer-urls', peerUrl(i)],
          ['--initial-advertise-peer-urls', peerUrl(i)],
          ['--initial-cluster', initialCluster],
          ['--initial-cluster-state', 'new'],
          ['--initial-cluster-token', token],
          ['--logger', 'zap'],
          ['--log-outputs', 'stderr'],
        ].flat(),
        { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
      );
      running.add(proc);
      proc.stdout?.pipe(log, { end: false });
      proc.stderr?.pipe(log, { end: false });
      // A spawn error (no binary) ends the member as an exit does.
      const exited = new Promise<void>((resolve) => {
        const done = (): void => {
          if (!running.delete(proc)) return;
          log.end();
          resolve();
        };
        // 'close', not 'exit': the log ends only after the last output has been piped into it.
        proc.once('close', done);
        proc.once('error', done);
      });
      return { name, address: `${host}:${ports[i]}`, dataDir, logFile, proc, exited };
    });
    return new EtcdCluster(members);
  }

  pids(): number[] {
    return this.members.flatMap((m) => (m.proc.pid === undefined ? [] : [m.proc.pid]));
  }

  /**
   * Waits until every member answers Status naming the same leader; returns
   * that member. Fails early, with the end of its log, if a member exits.
   */
  async waitForLeader(timeoutMs = 30_000): Promise<EtcdMember> {
    const { Maintenance } = etcdServices();
    const clients = this.members.map(
      (m) => new Maintenance(m.address, grpc.credentials.createInsecure(), channelOptions),
    );
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const dead = this.members.find((m) => !running.has(m.proc));
        if (dead) {
          const tail = readFileSync(dead.logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
          throw new JobctlError(Reason.Unavailable, `etcd member ${dead.name} exited: ${tail}`);
        }
        const answers = await Promise.all(
          clients.map((c) => unary<StatusResponse>(c, 'status', {}, 1000).catch(() => undefined)),
        );
        const leader = answers[0]?.leader;
        if (leader && leader !== '0' && answers.every((a) => a?.leader === leader)) {
          const i = answers.findIndex((a) => a?.header?.memberId === leader);
          if (i >= 0) return this.members[i] as EtcdMember;
        }
        if (Date.now() > deadline) {
          throw new JobctlError(Reason.Timeout, `etcd elected no leader in ${timeoutMs} ms`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      for (const c of clients) c.close();
    }
  }

  /** SIGTERM to every member, SIGKILL after graceMs; resolves when all have exited. */
  async stop(graceMs = 5000): Promise<void> {
    await Promise.all(
      this.members.map(async (m) => {
        if (!running.has(m.proc)) return;
        m.proc.kill('SIGTERM');
        const t = setTimeout(() => m.proc.kill('SIGKILL'), graceMs);
        await m.exited;
        clearTimeout(t);
      }),
    );
  }
}
