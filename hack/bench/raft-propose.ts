// raft.propose: consensus alone, apart from the API path. Three bare Raft
// nodes, each its own process (RaftNode + DiskStorage with fsync + the gRPC
// Raft transport on loopback, as jobd wires them, but no store and no API);
// the leader's process proposes small opaque entries with many proposals in
// flight and counts those committed and applied, with their latency.
//
// This file is both the driver (benchProposals, used by raft.ts) and the node
// (run as `node raft-propose.js --node CONFIG`, driven over the IPC channel).
// Knobs (env): BENCH_PROPOSERS (proposals in flight, 1024), BENCH_DURATION_MS,
// BENCH_VALUE_BYTES, BENCH_PROFILE=DIR (a --cpu-prof of every node).
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { freePorts } from '../../pkg/node/local-cluster.js';
import { nodeDefaults } from '../../pkg/node/config.js';
import { RaftNode } from '../../pkg/raft/node.js';
import { RawNode } from '../../pkg/raft/rawnode.js';
import { DiskStorage } from '../../pkg/raft/storage/disk-storage.js';
import type { StateMachine } from '../../pkg/raft/state-machine.js';
import type { NodeId } from '../../pkg/raft/types.js';
import { GrpcTransport } from '../../pkg/transport/grpc-raft.js';
import { nodeServerOptions } from '../../pkg/transport/server-options.js';
import { randomRng } from '../../pkg/util/rng.js';
import { cpuMs, percentile, round } from './stats.js';

interface NodeConfig {
  readonly id: NodeId;
  readonly peers: readonly [NodeId, string][];
  readonly dir: string;
}

export interface LoadSpec {
  readonly durationMs: number;
  readonly proposers: number;
  readonly valueBytes: number;
}

interface LoadResult {
  readonly ops: number;
  readonly errors: number;
  readonly elapsedS: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

type Request = { cmd: 'leader' } | { cmd: 'load'; spec: LoadSpec } | { cmd: 'stop' };

/** Applies nothing: the entries are opaque, only their commitment is measured. */
const counter: StateMachine = {
  apply: () => undefined,
  snapshot: () => new Uint8Array(0),
  restore: () => {},
};

async function runNode(cfg: NodeConfig): Promise<void> {
  const peers = new Map(cfg.peers);
  const voters = [...peers.keys()].sort((a, b) => a - b);
  const storage = await DiskStorage.open({ dir: cfg.dir });
  const transport = new GrpcTransport({ id: cfg.id, peers });
  const server = new grpc.Server(nodeServerOptions());
  transport.register(server);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(peers.get(cfg.id) as string, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  const raft = new RaftNode({
    id: cfg.id,
    core: new RawNode({
      id: cfg.id,
      peers: voters,
      storage,
      rng: randomRng(),
      electionTick: nodeDefaults.electionTick,
      heartbeatTick: nodeDefaults.heartbeatTick,
    }),
    storage,
    stateMachine: counter,
    network: transport,
    initialConfState: { voters, learners: [] },
    tickMs: nodeDefaults.tickMs,
  });
  raft.start();
  process.on('message', (req: Request) => {
    if (req.cmd === 'leader') process.send?.({ leader: raft.leader() });
    else if (req.cmd === 'load') {
      void proposeLoad(raft, req.spec).then((result) => process.send?.({ result }));
    } else {
      void raft.stop().then(async () => {
        await transport.close();
        server.forceShutdown();
        await storage.close();
        process.exit(0);
      });
    }
  });
  process.send?.({ started: cfg.id });
}

/** `proposers` loops, each proposing one entry after another for durationMs. */
async function proposeLoad(raft: RaftNode, spec: LoadSpec): Promise<LoadResult> {
  const payload = randomBytes(spec.valueBytes);
  const latencies: number[] = [];
  let errors = 0;
  let stop = false;
  const worker = async (): Promise<void> => {
    while (!stop) {
      const start = performance.now();
      try {
        await raft.propose(payload);
        latencies.push(performance.now() - start);
      } catch {
        errors++;
      }
    }
  };
  const t0 = performance.now();
  const timer = setTimeout(() => (stop = true), spec.durationMs);
  await Promise.all(Array.from({ length: spec.proposers }, worker));
  clearTimeout(timer);
  const elapsedS = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    ops: latencies.length,
    errors,
    elapsedS,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
  };
}

/** Sends one request to a node and waits for the reply carrying `key`. */
function ask<T>(proc: ChildProcess, req: Request, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (msg: Record<string, unknown>): void => {
      if (!(key in msg)) return;
      proc.off('message', on);
      resolve(msg[key] as T);
    };
    proc.on('message', on);
    proc.send(req);
  });
}

/** Starts three bare nodes under `baseDir`, runs the load on the leader, stops them. */
export async function benchProposals(baseDir: string, spec: LoadSpec): Promise<object> {
  const ids: NodeId[] = [1, 2, 3];
  const ports = await freePorts(ids.length);
  const peers = ids.map((id, i): [NodeId, string] => [id, `127.0.0.1:${ports[i]}`]);
  const profile = process.env.BENCH_PROFILE
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
    : [];
  const self = fileURLToPath(import.meta.url);
  const procs = ids.map((id) => {
    const cfg: NodeConfig = { id, peers, dir: join(baseDir, `propose-${id}`) };
    return fork(self, ['--node', JSON.stringify(cfg)], {
      execArgv: profile,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
  });
  try {
    await Promise.all(procs.map((p) => ask(p, { cmd: 'leader' }, 'leader')));
    let leader = 0;
    const deadline = Date.now() + 30_000;
    while (leader === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      leader = await ask<number>(procs[0] as ChildProcess, { cmd: 'leader' }, 'leader');
    }
    if (leader === 0) throw new Error('raft.propose: no leader within 30 s');
    const proc = procs[leader - 1] as ChildProcess;
    // Warm up (connections, JIT), then measure.
    await ask(proc, { cmd: 'load', spec: { ...spec, durationMs: 1000 } }, 'result');
    const cpu0 = procs.map((p) => cpuMs(p.pid));
    const r = await ask<LoadResult>(proc, { cmd: 'load', spec }, 'result');
    const cpu = procs.map((p, i) => cpuMs(p.pid) - (cpu0[i] as number));
    const ops = Math.max(1, r.ops);
    return {
      name: 'raft.propose',
      nodes: ids.length,
      proposers: spec.proposers,
      value_bytes: spec.valueBytes,
      duration_s: round(r.elapsedS),
      ops: r.ops,
      errors: r.errors,
      ops_per_s: Math.round(r.ops / r.elapsedS),
      p50_ms: round(r.p50),
      p99_ms: round(r.p99),
      max_ms: round(r.max),
      cpu_us_per_op_leader: Math.round(((cpu[leader - 1] ?? NaN) * 1000) / ops),
      cpu_us_per_op_nodes: Math.round((cpu.reduce((a, b) => a + b, 0) * 1000) / ops),
      fsync: true,
    };
  } finally {
    await Promise.all(
      procs.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null) return resolve();
            const force = setTimeout(() => p.kill('SIGKILL'), 5000);
            p.once('exit', () => {
              clearTimeout(force);
              resolve();
            });
            p.send({ cmd: 'stop' } satisfies Request);
          }),
      ),
    );
  }
}

if (process.argv[2] === '--node' && process.argv[1] === fileURLToPath(import.meta.url)) {
  await runNode(JSON.parse(process.argv[3] as string) as NodeConfig);
}
