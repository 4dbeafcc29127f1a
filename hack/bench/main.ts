// `npm run bench -- [NAME...]` (default: all but compare, which installs etcd).
// Prints one JSON object per line.
//   raft   3 real jobd processes: commit throughput/latency, raw proposals (raft.propose) and failover split into detection/election/client (raft.ts)
//   raft-wire  raft.proto's MessageBatch codec in process: encode/decode per second (raft-wire.ts)
//   api    3 real jobd processes: apply/get/watch/list through GrpcClient, RSS, CLI (api.ts)
//   wal    the write-ahead log alone (wal.ts, storage slice)
//   store  the replicated store's state machine (store.ts, store slice)
//   store-replay  the store's apply over a real data dir's WAL, CPU µs per change (store-replay.ts; opt-in)
//   runtime  container runtimes: bare dockerode vs DockerRuntime, process, fake (runtime.ts)
//   exec   3 real jobd processes: Jobs/s (fake runtime), failover to placement, docker overhead (exec.ts)
//   exec-run-files  the per-Run file work (fake runtime, log copy) in process, CPU ms per Run (exec-run-files.ts; opt-in)
//   exec-changes  store changes and Raft entries per Job, by writer, one node in process (exec-changes.ts; opt-in)
//   dashboard  3 real jobd processes + headless Chromium: apply -> jobs-page row update (dashboard.ts)
//   compare  3-member etcd beside 3 jobd processes, one load generator: writes/s, p50/p99 (compare.ts)
//   idle   3 jobd processes and a 3-member etcd at rest: CPU per node, writes/s (idle.ts; opt-in)
//   cli    3 real jobd processes: a whole `jobctl get jobs` process beside bare `node -e 0` (cli.ts)
//   leader-start  a new leader's controller start over N finished Jobs, in process: event-loop stalls (leader-start.ts; opt-in)
// Flags after the names belong to the benchmarks (`-- compare --clients 8`); a
// benchmark's error meant for the user (JobctlError) is printed as one line.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobctlError, Reason } from '../../pkg/util/errors.js';

type Bench = () => Promise<object[]>;

const here = dirname(fileURLToPath(import.meta.url));

/** Modules owned by other slices are loaded by path, so this file compiles without them. */
function optional(file: string, exportName: string): () => Promise<Bench | undefined> {
  return async () => {
    if (!existsSync(join(here, file))) return undefined;
    const mod = (await import(`./${file}`)) as Record<string, Bench | undefined>;
    return mod[exportName];
  };
}

const benches: Record<string, () => Promise<Bench | undefined>> = {
  raft: async () => (await import('./raft.js')).benchRaft,
  'raft-wire': async () => (await import('./raft-wire.js')).benchRaftWire,
  api: async () => (await import('./api.js')).benchApi,
  wal: optional('wal.js', 'benchWal'),
  store: optional('store.js', 'benchStore'),
  'store-replay': async () => (await import('./store-replay.js')).benchStoreReplay,
  runtime: optional('runtime.js', 'benchRuntime'),
  exec: optional('exec.js', 'benchExec'),
  'exec-run-files': optional('exec-run-files.js', 'benchExecRunFiles'),
  'exec-changes': optional('exec-changes.js', 'benchExecChanges'),
  dashboard: optional('dashboard.js', 'benchDashboard'),
  compare: async () => (await import('./compare.js')).benchCompare,
  cli: async () => (await import('./cli.js')).benchCli,
  idle: async () => (await import('./idle.js')).benchIdle,
  'leader-start': async () => (await import('./leader-start.js')).benchLeaderStart,
};

/**
 * Run only when named: compare and idle install and start etcd; store-replay needs a
 * data dir; exec-run-files is an instrument for pairs, not a figure of its own.
 */
const OPT_IN = new Set([
  'compare',
  'store-replay',
  'idle',
  'exec-run-files',
  'exec-changes',
  'leader-start',
]);

/**
 * The benchmark names among the arguments. A word after a `--flag` (without
 * "=") that is no benchmark's name is that flag's value (`--clients 8`).
 */
function benchNames(args: readonly string[]): string[] {
  return args.filter((a, i) => {
    if (a.startsWith('-')) return false;
    if (Object.hasOwn(benches, a)) return true;
    const prev = args[i - 1];
    return !(prev?.startsWith('--') && !prev.includes('='));
  });
}

async function main(): Promise<void> {
  const names = benchNames(process.argv.slice(2));
  const selected = names.length > 0 ? names : Object.keys(benches).filter((n) => !OPT_IN.has(n));
  const unknown = selected.find((name) => !Object.hasOwn(benches, name));
  if (unknown !== undefined) {
    process.stderr.write(
      `unknown benchmark "${unknown}"; known: ${Object.keys(benches).join(', ')}\n`,
    );
    process.exit(2);
  }
  for (const name of selected) {
    const load = benches[name] as () => Promise<Bench | undefined>;
    const fn = await load();
    if (!fn) {
      if (names.length > 0) process.stderr.write(`benchmark "${name}" is not available yet\n`);
      continue;
    }
    let results: object[];
    try {
      results = await fn();
    } catch (err) {
      if (!(err instanceof JobctlError)) throw err;
      process.stderr.write(`bench ${name}: ${err.message}\n`);
      process.exit(err.reason === Reason.Invalid ? 2 : 1);
    }
    for (const result of results) process.stdout.write(JSON.stringify(result) + '\n');
  }
}

await main();
