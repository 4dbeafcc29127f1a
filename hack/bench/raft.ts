// `npm run bench -- raft`: 3 nodes on loopback (DiskStorage, fsync on) in a temp dir.
//  - raft.propose: consensus alone, three bare Raft node processes, no API:
//    committed proposals of small opaque entries per second (raft-propose.ts).
//  The rest runs a real 3-node jobd cluster:
//  - raft.commit: 64 concurrent clients writing to the leader over gRPC for a
//    fixed time (4 channels): each write is an Apply of a small Job whose
//    annotation changes (1000 keys per client), so it measures a replicated
//    write through the whole API path (admission, Raft, store); throughput,
//    latency, leader RSS and CPU per op.
//  - raft.failover: kill -9 the leader while a writer keeps proposing; the time
//    from the kill to the first acknowledged write under the new leader, split
//    (from the survivors' logs) into detection (kill -> first survivor starts
//    an election), election (-> a new leader) and client (-> the first write
//    acknowledged through it), with the number of election rounds it took.
// Knobs (env): BENCH_RAFT (which parts, default propose,commit,failover),
// BENCH_PROPOSERS (1024), BENCH_CLIENTS (64), BENCH_CHANNELS (4),
// BENCH_DURATION_MS (10000), BENCH_TRIALS (20), BENCH_VALUE_BYTES (64),
// BENCH_KEEP=1 keeps the data dir, BENCH_PROFILE=DIR writes a --cpu-prof of
// every node there.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { API_VERSION } from '../../pkg/store/index.js';
import { benchProposals } from './raft-propose.js';
import { cpuMs, percentile, round, rssMb } from './stats.js';
import { envNumber } from './inputs.js';

export interface RaftBenchOptions {
  readonly clients?: number;
  readonly channels?: number;
  readonly durationMs?: number;
  readonly trials?: number;
  readonly valueBytes?: number;
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

/** One failover: total ms from kill -9 to the first acknowledged write, and its parts. */
interface FailoverSample {
  readonly ms: number;
  readonly detectMs: number;
  readonly electMs: number;
  readonly clientMs: number;
  /** Elections started (pre-vote or vote) before a leader won. */
  readonly rounds: number;
  readonly from: number;
  readonly to: number;
}

/** Raft role lines a node logged at or after `sinceMs` (epoch), from byte `offset` of its log. */
function roleLines(
  logFile: string,
  offset: number,
  sinceMs: number,
): { at: number; msg: string; term: number }[] {
  const out: { at: number; msg: string; term: number }[] = [];
  let text: string;
  try {
    text = readFileSync(logFile).subarray(offset).toString('utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (!line.includes('raft: became')) continue;
    try {
      const l = JSON.parse(line) as { ts?: string; msg?: string; term?: number };
      const at = Date.parse(l.ts ?? '');
      if (at >= sinceMs) out.push({ at, msg: l.msg ?? '', term: l.term ?? 0 });
    } catch {
      // a torn or non-JSON line
    }
  }
  return out;
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** One failover trial, split into its parts from the survivors' logs. */
async function failoverTrial(cluster: LocalCluster): Promise<FailoverSample> {
  const old = await cluster.waitForLeader({ timeoutMs: 30_000 });
  const clients = cluster.members.map((m) => putClient(m.address, 1000));
  // Prove the cluster commits before the kill (retried: a busy machine may
  // miss the 1 s deadline right after a restart).
  for (let attempt = 1; ; attempt++) {
    try {
      await (clients[old.id - 1] as PutClient).put({ key: 'failover', value: 'before' });
      break;
    } catch (err) {
      if (attempt >= 30) throw err;
    }
  }
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
  const survivors = cluster.members.filter((m) => m.id !== old.id);
  const offsets = survivors.map((m) => sizeOf(m.logFile));
  const killedEpoch = Date.now();
  killedAt = performance.now();
  await cluster.kill(old.id, 'SIGKILL');
  const deadline = performance.now() + 30_000;
  while (!done && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  done = true;
  await w;
  const next = await cluster.waitForLeader({ timeoutMs: 30_000, quorumOnly: true });
  for (const c of clients) c.close();
  const ms = ackAt > 0 ? ackAt - killedAt : NaN;
  const lines = survivors
    .flatMap((m, i) => roleLines(m.logFile, offsets[i] as number, killedEpoch))
    .sort((a, b) => a.at - b.at);
  const started = lines.filter((l) => /pre-candidate|became candidate/.test(l.msg));
  const elected = lines.find((l) => l.msg.includes('became leader'));
  const detectMs = (started[0]?.at ?? NaN) - killedEpoch;
  const electMs = (elected?.at ?? NaN) - (started[0]?.at ?? NaN);
  const sample: FailoverSample = {
    ms,
    detectMs,
    electMs,
    clientMs: ms - detectMs - electMs,
    rounds: started.filter((l) => l.at <= (elected?.at ?? Infinity) && /pre-candidate/.test(l.msg))
      .length,
    from: old.id,
    to: next.id,
  };
  // Bring the old leader back and let it catch up before the next trial.
  cluster.startNode(old.id);
  await cluster.waitForLeader({ timeoutMs: 30_000 });
  return sample;
}

/** Median, p99 and max of the finite values. */
function spread(values: readonly number[]): { p50: number; p99: number; max: number } {
  const sorted = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return {
    p50: round(percentile(sorted, 50)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? NaN),
  };
}

async function failoverBench(cluster: LocalCluster, trials: number): Promise<object> {
  const samples: FailoverSample[] = [];
  for (let i = 0; i < trials; i++) samples.push(await failoverTrial(cluster));
  const total = spread(samples.map((s) => s.ms));
  const parts = {
    detect: spread(samples.map((s) => s.detectMs)),
    elect: spread(samples.map((s) => s.electMs)),
    client: spread(samples.map((s) => s.clientMs)),
  };
  // Where the tail comes from: the part that takes the largest share of the
  // trials above the median.
  const slow = samples.filter((s) => s.ms > total.p50);
  const share = (f: (s: FailoverSample) => number): number =>
    slow.reduce((a, s) => a + (Number.isFinite(f(s)) ? f(s) : 0), 0);
  const tail = (
    [
      ['detect', share((s) => s.detectMs)],
      ['elect', share((s) => s.electMs)],
      ['client', share((s) => s.clientMs)],
    ] as const
  ).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  return {
    name: 'raft.failover',
    trials,
    failed_trials: samples.filter((s) => !Number.isFinite(s.ms)).length,
    median_ms: total.p50,
    p99_ms: total.p99,
    max_ms: total.max,
    over_1s: samples.filter((s) => s.ms > 1000).length,
    detect_ms: parts.detect,
    elect_ms: parts.elect,
    client_ms: parts.client,
    tail_from: tail,
    samples: samples.map((s) => ({
      ms: round(s.ms),
      detect: round(s.detectMs),
      elect: round(s.electMs),
      client: round(s.clientMs),
      rounds: s.rounds,
    })),
  };
}

export async function benchRaft(opts: RaftBenchOptions = {}): Promise<object[]> {
  const o: Required<RaftBenchOptions> = {
    clients: opts.clients ?? envNumber('BENCH_CLIENTS', 64),
    channels: opts.channels ?? envNumber('BENCH_CHANNELS', 4),
    durationMs: opts.durationMs ?? envNumber('BENCH_DURATION_MS', 10_000),
    trials: opts.trials ?? envNumber('BENCH_TRIALS', 20),
    valueBytes: opts.valueBytes ?? envNumber('BENCH_VALUE_BYTES', 64),
  };
  const parts = new Set((process.env.BENCH_RAFT ?? 'propose,commit,failover').split(','));
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-raft-'));
  const out: object[] = [];
  if (parts.has('propose')) {
    out.push(
      await benchProposals(dir, {
        durationMs: o.durationMs,
        proposers: envNumber('BENCH_PROPOSERS', 1024),
        valueBytes: o.valueBytes,
      }),
    );
  }
  if (!parts.has('commit') && !parts.has('failover')) {
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    return out;
  }
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
  try {
    if (parts.has('commit')) out.push(await commitBench(cluster, o));
    if (parts.has('failover') && o.trials > 0) out.push(await failoverBench(cluster, o.trials));
  } finally {
    // A node writes its --cpu-prof as it exits: give it time to (a loaded machine is slow).
    await cluster.stop(process.env.BENCH_PROFILE ? 60_000 : undefined);
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
