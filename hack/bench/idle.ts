// `npm run bench -- idle`: what a cluster doing nothing costs (issue 12).
// A 3-node jobd cluster (fake runtime unless IDLE_RUNTIME names another) and,
// unless IDLE_ETCD=0, a 3-member etcd (Debian's etcd-server, installed as for
// `compare`) start side by side, on 127.0.0.1 with free ports and data in a
// temp dir. Once both have a leader and IDLE_SETTLE_MS (10 000) have passed,
// both are left alone for IDLE_DURATION_MS (60 000), and the bench reads,
// over that window:
//   - each process's CPU (utime + stime from /proc/PID/stat) as % of one core,
//     and jobd's leader apart from its followers;
//   - each process's write syscalls and bytes per second (/proc/PID/io syscw,
//     wchar: every write(2), sockets and logs included, so an upper bound on
//     what reaches the disk);
//   - jobd's store changes and Raft log entries per second (the store revision
//     and the leader's last log index before and after).
// IDLE_JOBD_ARGS adds jobd flags (e.g. "--node-heartbeat-ms 1250").
// Prints idle.jobd and idle.etcd (one JSON line each). BENCH_PROFILE=DIR
// writes a --cpu-prof of every jobd there (`node dist/hack/bench/profile.js`
// reads one). BENCH_KEEP=1 keeps the temp dir (logs).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { EtcdCluster, ensureEtcd } from './etcd.js';
import { cpuMs, round } from './stats.js';
import { envNumber } from './inputs.js';

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Write syscalls and bytes written so far by a process (/proc/PID/io), zeros where unreadable. */
function writes(pid: number | undefined): { calls: number; bytes: number } {
  if (pid === undefined) return { calls: 0, bytes: 0 };
  try {
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const field = (k: string): number => Number(new RegExp(`^${k}: (\\d+)`, 'm').exec(io)?.[1]);
    return { calls: field('syscw'), bytes: field('wchar') };
  } catch {
    return { calls: 0, bytes: 0 };
  }
}

interface Sample {
  readonly cpu: number[];
  readonly io: { calls: number; bytes: number }[];
  readonly at: number;
}

function sample(pids: readonly (number | undefined)[]): Sample {
  return { cpu: pids.map(cpuMs), io: pids.map(writes), at: performance.now() };
}

/** Per process: % of one core, write syscalls/s and KiB written/s between two samples. */
function perProcess(a: Sample, b: Sample) {
  const s = (b.at - a.at) / 1000;
  return a.cpu.map((c, i) => ({
    cpu_pct: round(((b.cpu[i] as number) - c) / 10 / s, 2),
    write_calls_per_s: round(((b.io[i]?.calls ?? 0) - (a.io[i]?.calls ?? 0)) / s, 1),
    write_kib_per_s: round(((b.io[i]?.bytes ?? 0) - (a.io[i]?.bytes ?? 0)) / 1024 / s, 1),
  }));
}

export async function benchIdle(): Promise<object[]> {
  const durationMs = envNumber('IDLE_DURATION_MS', 60_000);
  const settleMs = envNumber('IDLE_SETTLE_MS', 10_000);
  const withEtcd = process.env.IDLE_ETCD !== '0';
  const etcdVersion = withEtcd ? ensureEtcd() : undefined;
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-idle-'));
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  let cluster: LocalCluster | undefined;
  let etcd: EtcdCluster | undefined;
  let client: GrpcClient | undefined;
  try {
    [cluster, etcd] = await Promise.all([
      LocalCluster.start({
        nodes: 3,
        baseDir: join(dir, 'jobctl'),
        nodeArgs: profile,
        extraArgs: [
          '--runtime',
          process.env.IDLE_RUNTIME ?? 'fake',
          ...(process.env.IDLE_JOBD_ARGS?.split(' ').filter(Boolean) ?? []),
        ],
      }),
      withEtcd ? EtcdCluster.start({ size: 3, baseDir: join(dir, 'etcd') }) : undefined,
    ]);
    const [lead] = await Promise.all([
      cluster.waitForLeader({ timeoutMs: 30_000 }),
      etcd?.waitForLeader(30_000),
    ]);
    client = new GrpcClient({ servers: cluster.servers(), timeoutMs: 5000 });
    const c = client;
    const revision = async (): Promise<number> =>
      Number((await c.list('Job', { limit: 1 })).resourceVersion);
    const lastIndex = async (): Promise<number> =>
      Math.max(...(await (cluster as LocalCluster).statuses()).map((s) => s.lastIndex));
    await pause(settleMs);

    const jobdPids = cluster.members.map((m) => m.proc?.pid);
    const etcdPids = etcd ? etcd.pids() : [];
    const load0 = loadavg()[0] ?? NaN;
    const [rev0, idx0] = [await revision(), await lastIndex()];
    const j0 = sample(jobdPids);
    const e0 = sample(etcdPids);
    await pause(durationMs);
    const j1 = sample(jobdPids);
    const e1 = sample(etcdPids);
    const [rev1, idx1] = [await revision(), await lastIndex()];
    const s = (j1.at - j0.at) / 1000;

    // The leader at the end (a leader change in the window shows as raft_leader_changed).
    const leadNow = await cluster.waitForLeader({ timeoutMs: 10_000 });
    const nodes = perProcess(j0, j1).map((p, i) => ({
      id: i + 1,
      role: i + 1 === leadNow.id ? 'leader' : 'follower',
      ...p,
    }));
    const sum = (xs: readonly { cpu_pct: number }[]): number =>
      round(
        xs.reduce((a, x) => a + x.cpu_pct, 0),
        2,
      );
    const out: object[] = [
      {
        name: 'idle.jobd',
        seconds: round(s, 1),
        loadavg_1m: round(load0, 2),
        cluster_cpu_pct: sum(nodes),
        leader_cpu_pct: nodes.find((n) => n.role === 'leader')?.cpu_pct,
        follower_cpu_pct: nodes.filter((n) => n.role === 'follower').map((n) => n.cpu_pct),
        store_writes_per_s: round((rev1 - rev0) / s, 2),
        raft_entries_per_s: round((idx1 - idx0) / s, 2),
        raft_leader_changed: leadNow.id !== lead.id,
        nodes,
      },
    ];
    if (etcd) {
      const members = perProcess(e0, e1);
      out.push({
        name: 'idle.etcd',
        version: etcdVersion,
        seconds: round((e1.at - e0.at) / 1000, 1),
        cluster_cpu_pct: sum(members),
        members,
      });
    }
    for (const o of out) process.stderr.write(`${JSON.stringify(o)}\n`);
    return out;
  } finally {
    client?.close();
    await Promise.all([
      etcd?.stop(),
      cluster?.stop(process.env.BENCH_PROFILE ? 60_000 : undefined),
    ]);
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
}
