// `npm run bench -- raft`: a real 3-node jobd cluster on loopback (DiskStorage,
// fsync on) in a temp dir.
//  - raft.commit: 64 concurrent clients writing to the leader over gRPC for a
//    fixed time (4 channels): each write is an Apply of a small Job whose
//    annotation changes (1000 keys per client), so it measures a replicated
//    write through the whole API path (admission, Raft, store); throughput,
//    latency, leader RSS and CPU per op.
//  - raft.failover: kill -9 the leader while a writer keeps proposing; the time
//    from the kill to the first acknowledged write under the new leader.
// Knobs (env): BENCH_CLIENTS (64), BENCH_CHANNELS (4), BENCH_DURATION_MS
// (10000), BENCH_TRIALS (7), BENCH_VALUE_BYTES (64), BENCH_KEEP=1 keeps the
// data dir, BENCH_PROFILE=DIR
// writes a --cpu-prof of every node there.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { API_VERSION } from '../../pkg/store/index.js';
import { cpuMs, percentile, round, rssMb } from './stats.js';

export interface RaftBenchOptions {
  readonly clients?: number;
  readonly channels?: number;
  readonly durationMs?: number;
  readonly trials?: number;
  readonly valueBytes?: number;
}

function env(name: string, dflt: number): number {
  const v = process.env[name];
  return v ? Number(v) : dflt;
}

interface PutClient {
  put(r: { key: string; value: string }): Promise<unknown>;
  close(): void;
}

/** key/value writes as Applies of a Job named `key` with annotation v=`value`. */
function putClient(address: string, timeoutMs: number): PutClient {
  const c = new GrpcClient({ servers: [address], timeoutMs });
  return {
    put: ({ key, value }) =>
      c.apply({
        apiVersion: API_VERSION,
        kind: 'Job',
        metadata: { name: key, annotations: { v: value } },
        spec: { image: 'busybox:latest', command: ['true'] },
      }),
    close: () => c.close(),
  };
}

async function commitBench(cluster: LocalCluster, o: Required<RaftBenchOptions>): Promise<object> {
  const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
  const address = cluster.member(leader.id).address;
  const channels: PutClient[] = Array.from({ length: o.channels }, () => putClient(address, 5000));
  const value = 'v'.repeat(o.valueBytes);
  // Warm up (connections, JIT).
  await Promise.all(channels.map((c, i) => c.put({ key: `warm-${i}`, value })));
  const latencies: number[] = [];
  let errors = 0;
  const pids = cluster.members.map((m) => m.proc?.pid);
  const cpu0 = pids.map((p) => cpuMs(p));
  const benchCpu0 = process.cpuUsage();
  let stop = false;
  const t0 = performance.now();
  const worker = async (i: number): Promise<void> => {
    const client = channels[i % channels.length] as PutClient;
    let n = 0;
    while (!stop) {
      const start = performance.now();
      try {
        await client.put({ key: `k-${i}-${n++ % 1000}`, value });
        latencies.push(performance.now() - start);
      } catch {
        errors++;
      }
    }
  };
  const timer = setTimeout(() => (stop = true), o.durationMs);
  await Promise.all(Array.from({ length: o.clients }, (_, i) => worker(i)));
  clearTimeout(timer);
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = pids.map((p, i) => cpuMs(p) - (cpu0[i] as number));
  const benchCpu = process.cpuUsage(benchCpu0);
  for (const c of channels) c.close();
  latencies.sort((a, b) => a - b);
  const ops = Math.max(1, latencies.length);
  return {
    name: 'raft.commit',
    nodes: cluster.members.length,
    clients: o.clients,
    channels: o.channels,
    value_bytes: o.valueBytes,
    duration_s: round(elapsed),
    ops: latencies.length,
    errors,
    ops_per_s: Math.round(latencies.length / elapsed),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    max_ms: round(percentile(latencies, 100)),
    rss_mb: rssMb(cluster.member(leader.id).proc?.pid),
    rss_mb_max: Math.max(...pids.map((p) => rssMb(p))),
    // CPU cost per committed op, less sensitive than ops_per_s to a busy machine.
    cpu_us_per_op_leader: Math.round(((cpu[leader.id - 1] ?? NaN) * 1000) / ops),
    cpu_us_per_op_nodes: Math.round((cpu.reduce((a, b) => a + b, 0) * 1000) / ops),
    cpu_us_per_op_clients: Math.round((benchCpu.user + benchCpu.system) / ops),
    fsync: true,
  };
}

/** One failover trial; returns ms from kill -9 to the first acknowledged write after it. */
async function failoverTrial(
  cluster: LocalCluster,
): Promise<{ ms: number; from: number; to: number }> {
  const old = await cluster.waitForLeader({ timeoutMs: 30_000 });
  const clients = cluster.members.map((m) => putClient(m.address, 1000));
  // Prove the cluster commits before the kill.
  await (clients[old.id - 1] as PutClient).put({ key: 'failover', value: 'before' });
  let done = false;
  let killedAt = 0;
  let ackAt = 0;
  let rr = 0;
  const writer = async (): Promise<void> => {
    // A new attempt every 5 ms, round-robin over the nodes, each with its own
    // deadline: a write stuck on a follower of the dead leader does not block others.
    const inflight = new Set<Promise<void>>();
    while (!done) {
      const client = clients[rr++ % clients.length] as PutClient;
      const sentAt = performance.now();
      const p = client
        .put({ key: 'failover', value: `after-${Math.round(sentAt * 1000)}` })
        .then(() => {
          if (killedAt > 0 && sentAt >= killedAt && !done) {
            ackAt = performance.now();
            done = true;
          }
        })
        .catch(() => {})
        .finally(() => inflight.delete(p));
      inflight.add(p);
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(inflight);
  };
  const w = writer();
  await new Promise((r) => setTimeout(r, 50));
  killedAt = performance.now();
  await cluster.kill(old.id, 'SIGKILL');
  const deadline = performance.now() + 30_000;
  while (!done && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  done = true;
  await w;
  const next = await cluster.waitForLeader({ timeoutMs: 30_000, quorumOnly: true });
  for (const c of clients) c.close();
  // Bring the old leader back and let it catch up before the next trial.
  cluster.startNode(old.id);
  await cluster.waitForLeader({ timeoutMs: 30_000 });
  return { ms: ackAt > 0 ? ackAt - killedAt : NaN, from: old.id, to: next.id };
}

async function failoverBench(cluster: LocalCluster, trials: number): Promise<object> {
  const results: number[] = [];
  for (let i = 0; i < trials; i++) results.push((await failoverTrial(cluster)).ms);
  const sorted = results.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return {
    name: 'raft.failover',
    trials,
    failed_trials: trials - sorted.length,
    median_ms: round(percentile(sorted, 50)),
    min_ms: round(sorted[0] ?? NaN),
    max_ms: round(sorted[sorted.length - 1] ?? NaN),
    samples_ms: results.map((x) => round(x)),
  };
}

export async function benchRaft(opts: RaftBenchOptions = {}): Promise<object[]> {
  const o: Required<RaftBenchOptions> = {
    clients: opts.clients ?? env('BENCH_CLIENTS', 64),
    channels: opts.channels ?? env('BENCH_CHANNELS', 4),
    durationMs: opts.durationMs ?? env('BENCH_DURATION_MS', 10_000),
    trials: opts.trials ?? env('BENCH_TRIALS', 7),
    valueBytes: opts.valueBytes ?? env('BENCH_VALUE_BYTES', 64),
  };
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-raft-'));
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  const cluster = await LocalCluster.start({
    nodes: 3,
    baseDir: dir,
    nodeArgs: profile,
    // Raft is measured: no container runtime work (fake runtime).
    // Capacity is measured, not the per-client limiter (--rate-limit 0).
    extraArgs: ['--runtime', 'fake', '--rate-limit', '0'],
  });
  const out: object[] = [];
  try {
    out.push(await commitBench(cluster, o));
    if (o.trials > 0) out.push(await failoverBench(cluster, o.trials));
  } finally {
    await cluster.stop();
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
