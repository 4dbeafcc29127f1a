// `npm run bench -- compare`: jobctl's replicated write beside etcd's, on the
// same machine, with the same load generator.
//  - a 3-member etcd 3.4 (Debian's etcd-server; installed with apt-get when
//    `etcd` is missing) and a 3-node jobd cluster (fake runtime,
//    --rate-limit 0), both on 127.0.0.1 with free ports, data in a temp dir,
//    fsync on (both systems' default);
//  - one closed-loop load generator: N clients (default 64) over 4 gRPC
//    channels to the leader, each with one write outstanding. A jobctl write
//    is an Apply of a Job whose manifest is exactly --value-bytes of JSON
//    (suspended, so no Runs follow, unless --run-jobs); an etcd write is a
//    Put of those same bytes. Each client cycles over 1000
//    keys of its own, so a run creates first and updates once the cycle wraps;
//  - runs interleaved, etcd then jobctl, --rounds times (default 2), at N
//    clients and then at 1 client; the figures of a system are over all of its
//    runs (ops / time, percentiles of every latency).
// Prints compare.write (N clients) and compare.write.1client, with jobctl's
// store changes per acknowledged write (its store revision moved over the
// runs / writes): an etcd put is one change, a jobctl write is the Job's plus
// whatever the controllers write in answer inside the run (a new suspended
// Job is stored with its status, so about 1). Every process
// and the temp dir are removed at the end, on a failure, and on Ctrl-C or
// SIGTERM. BENCH_KEEP=1 keeps the temp dir (logs); BENCH_PROFILE=DIR writes a
// --cpu-prof of every jobd node there, and DIR/runs.json: each measured run's
// start and end on the clock of the profiles' startTime/endTime (microseconds
// of CLOCK_MONOTONIC), so that one run's window can be cut out of a profile
// (profile.js --skip-ms (start - startTime)/1000 --until-ms (end - startTime)/1000).
// BENCH_TRACE=DIR adds compare.write.trace:
// after the runs, BENCH_TRACE_WRITES (300) single writes, each alone, timed
// step by step inside the nodes (write-trace.ts: where one write's time goes).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { API_VERSION, type ResourceInput } from '../../pkg/store/index.js';
import { JobctlError, Reason } from '../../pkg/util/errors.js';
import { EtcdCluster, EtcdKv, ensureEtcd } from './etcd.js';
import { cpuMs, percentile, round } from './stats.js';
import { epochMicros, traceBreakdown, type TracedCall } from './write-trace.js';

export interface CompareOptions {
  /** Concurrent clients of the main runs. */
  readonly clients: number;
  /** Length of each measured run, ms. */
  readonly durationMs: number;
  /** Bytes of each write: the Job manifest's JSON, and the etcd value. */
  readonly valueBytes: number;
  /** How many etcd-then-jobctl pairs of runs. */
  readonly rounds: number;
  /** gRPC channels the clients share. */
  readonly channels: number;
  /**
   * Let the written Jobs run (on the fake runtime). Off by default: a
   * suspended Job is stored and reconciled but starts no Runs, so a write is a
   * write, as an etcd put is, not a write plus a Run's whole life cycle.
   */
  readonly runJobs: boolean;
}

/** Keys each client cycles over. */
const KEYS_PER_CLIENT = 1000;
/** Unmeasured load before the first run of each system (connections, JIT, caches). */
const WARMUP_MS = 1000;

const FLAGS = {
  clients: { env: 'BENCH_CLIENTS', dflt: 64, min: 1, max: 9999 },
  'duration-ms': { env: 'BENCH_DURATION_MS', dflt: 10_000, min: 100, max: 3_600_000 },
  'value-bytes': { env: 'BENCH_VALUE_BYTES', dflt: 256, min: 1, max: 1 << 20 },
  rounds: { env: 'BENCH_ROUNDS', dflt: 2, min: 1, max: 100 },
  channels: { env: 'BENCH_CHANNELS', dflt: 4, min: 1, max: 64 },
} as const;

/**
 * Options from `--clients N --duration-ms MS --value-bytes B --rounds R
 * --channels C --run-jobs` (also `--flag=value`), else the BENCH_* variables,
 * else the defaults. Bad values fail with one line (JobctlError Invalid).
 */
export function compareOptions(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): CompareOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((k) => [k, { type: 'string' as const }])),
      'run-jobs': { type: 'boolean' },
    },
    strict: false,
    allowPositionals: true,
  });
  const get = (flag: keyof typeof FLAGS): number => {
    const f = FLAGS[flag];
    const given = values[flag] ?? env[f.env];
    if (given === undefined || given === '') return f.dflt;
    const n = Number(given);
    if (typeof given !== 'string' || !Number.isInteger(n) || n < f.min || n > f.max) {
      throw new JobctlError(
        Reason.Invalid,
        `--${flag} (or ${f.env}) must be a whole number from ${f.min} to ${f.max}, got "${String(given)}"`,
      );
    }
    return n;
  };
  const o: CompareOptions = {
    clients: get('clients'),
    durationMs: get('duration-ms'),
    valueBytes: get('value-bytes'),
    rounds: get('rounds'),
    channels: get('channels'),
    runJobs: values['run-jobs'] === true || env.BENCH_RUN_JOBS === '1',
  };
  const smallest = manifestSize(o, 0);
  if (o.valueBytes < smallest) {
    throw new JobctlError(
      Reason.Invalid,
      `--value-bytes must be at least ${smallest} (the bench's smallest Job manifest), got ${o.valueBytes}`,
    );
  }
  return o;
}

/** Widths that keep every manifest of a run the same size. */
const SEQ_DIGITS = 10;
const keyDigits = String(KEYS_PER_CLIENT - 1).length;
const clientDigits = (clients: number): number => String(clients - 1).length;

/** The Job name (and etcd key) of client `c`'s key `k`. */
function keyName(clients: number, c: number, k: number): string {
  return `bench-c${String(c).padStart(clientDigits(clients), '0')}-k${String(k).padStart(keyDigits, '0')}`;
}

/**
 * The Job of a write: the sequence number makes every write a change (an
 * Apply of an unchanged manifest would not be one); the pad annotation brings
 * the JSON to the run's value size.
 */
function manifest(name: string, seq: number, pad: number, suspend: boolean): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: {
      name,
      annotations: { seq: String(seq).padStart(SEQ_DIGITS, '0'), pad: 'x'.repeat(pad) },
    },
    spec: { image: 'busybox:latest', command: ['true'], suspend },
  };
}

/** JSON bytes of a manifest with `pad` pad characters (names and numbers are fixed-width). */
function manifestSize(o: CompareOptions, pad: number): number {
  const job = manifest(keyName(o.clients, 0, 0), 0, pad, !o.runJobs);
  return Buffer.byteLength(JSON.stringify(job));
}

const pads = new WeakMap<CompareOptions, number>();

/**
 * Client `c`'s write number `seq`: its key (Job name) and its Job, whose JSON
 * is exactly o.valueBytes long (the etcd value is that JSON).
 */
export function writeFor(
  o: CompareOptions,
  c: number,
  seq: number,
): { key: string; job: ResourceInput } {
  let pad = pads.get(o);
  if (pad === undefined) {
    pad = o.valueBytes - manifestSize(o, 0);
    pads.set(o, pad);
  }
  const key = keyName(o.clients, c, seq % KEYS_PER_CLIENT);
  return { key, job: manifest(key, seq, pad, !o.runJobs) };
}

/** One system under test, as the load generator sees it. */
interface Target {
  readonly name: 'etcd' | 'jobctl';
  /** Processes whose CPU time is counted. */
  pids(): number[];
  /** One write of `job` (named `key`) on channel `ch`. */
  write(ch: number, key: string, job: ResourceInput): Promise<unknown>;
  /** The store revision now (jobctl only): how many changes a run made. */
  revision?(): Promise<number>;
}

interface Run {
  readonly clients: number;
  readonly ops: number;
  readonly errors: number;
  readonly elapsedS: number;
  readonly latencies: number[];
  readonly cpuMs: number;
  /** Store revisions the run moved (NaN where the target has none). */
  readonly changes: number;
}

/** Next sequence number of each (system, client): keys keep cycling across runs. */
const cursors = new Map<string, number>();

/**
 * `clients` concurrent writers, one write outstanding each, for `ms` or until
 * `signal` aborts. The end is a deadline each writer checks, not a timer: a
 * writer whose writes fail at once must not keep the loop from ending.
 */
async function closedLoop(
  t: Target,
  o: CompareOptions,
  clients: number,
  ms: number,
  signal: AbortSignal,
): Promise<Run> {
  const pids = t.pids();
  const rev0 = t.revision ? await t.revision() : NaN;
  const cpu0 = pids.reduce((a, p) => a + cpuMs(p), 0);
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const cursor = `${t.name}/${c}`;
      let seq = cursors.get(cursor) ?? 0;
      while (performance.now() < end && !signal.aborted) {
        const { key, job } = writeFor(o, c, seq++);
        const start = performance.now();
        try {
          await t.write(c % o.channels, key, job);
          latencies.push(performance.now() - start);
        } catch {
          errors++;
          // Let I/O and signals in before the next attempt.
          await new Promise((r) => setImmediate(r));
        }
      }
      cursors.set(cursor, seq);
    }),
  );
  signal.throwIfAborted();
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu = pids.reduce((a, p) => a + cpuMs(p), 0) - cpu0;
  const changes = t.revision ? (await t.revision()) - rev0 : NaN;
  return { clients, ops: latencies.length, errors, elapsedS, latencies, cpuMs: cpu, changes };
}

/** A system's figures over all its runs. */
function summary(runs: readonly Run[]) {
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const ops = latencies.length;
  const seconds = runs.reduce((a, r) => a + r.elapsedS, 0);
  return {
    ops_per_s: Math.round(ops / seconds),
    p50_ms: round(percentile(latencies, 50)),
    p99_ms: round(percentile(latencies, 99)),
    errors: runs.reduce((a, r) => a + r.errors, 0),
    cpu_ms_per_op: round(runs.reduce((a, r) => a + r.cpuMs, 0) / Math.max(1, ops), 3),
    changes_per_op: round(runs.reduce((a, r) => a + r.changes, 0) / Math.max(1, ops), 2),
    runs_ops_per_s: runs.map((r) => Math.round(r.ops / r.elapsedS)),
  };
}

/** One output line: jobctl beside etcd at one client count. */
function line(name: string, o: CompareOptions, clients: number, jobctl: Run[], etcd: Run[]) {
  const j = summary(jobctl);
  const e = summary(etcd);
  return {
    name,
    jobctl_ops_per_s: j.ops_per_s,
    etcd_ops_per_s: e.ops_per_s,
    ratio: round(j.ops_per_s / e.ops_per_s, 3),
    jobctl_p50_ms: j.p50_ms,
    etcd_p50_ms: e.p50_ms,
    jobctl_p99_ms: j.p99_ms,
    etcd_p99_ms: e.p99_ms,
    clients,
    channels: Math.min(o.channels, clients),
    value_bytes: o.valueBytes,
    rounds: o.rounds,
    run_jobs: o.runJobs,
    run_s: round(o.durationMs / 1000),
    jobctl_runs_ops_per_s: j.runs_ops_per_s,
    etcd_runs_ops_per_s: e.runs_ops_per_s,
    jobctl_errors: j.errors,
    etcd_errors: e.errors,
    // CPU of the 3 server processes per acknowledged write (the load generator's not counted).
    jobctl_cpu_ms_per_op: j.cpu_ms_per_op,
    etcd_cpu_ms_per_op: e.cpu_ms_per_op,
    // Store changes per acknowledged jobctl write, the controllers' answers included.
    jobctl_store_changes_per_op: j.changes_per_op,
    loadavg_1m: round(loadavg()[0] ?? NaN),
    fsync: true,
  };
}

function note(text: string): void {
  process.stderr.write(`compare: ${text}\n`);
}

/** Pause after each traced write: the controllers' answers to it are over before the next. */
const TRACE_PAUSE_MS = 20;

/**
 * `n` jobctl writes one at a time, each followed by a pause, with the nodes'
 * tracers on (DIR/on exists): the calls' start and end, for traceBreakdown.
 */
async function tracedWrites(
  t: Target,
  o: CompareOptions,
  dir: string,
  n: number,
  signal: AbortSignal,
): Promise<TracedCall[]> {
  const gate = join(dir, 'on');
  writeFileSync(gate, '');
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // The tracers look for the gate every 200 ms.
  await pause(500);
  const calls: TracedCall[] = [];
  let seq = cursors.get(`${t.name}/0`) ?? 0;
  try {
    for (let i = 0; i < n && !signal.aborted; i++) {
      const { key, job } = writeFor(o, 0, seq++);
      const startUs = epochMicros();
      await t.write(0, key, job);
      calls.push({ startUs, endUs: epochMicros() });
      await pause(TRACE_PAUSE_MS);
    }
  } finally {
    cursors.set(`${t.name}/0`, seq);
    rmSync(gate, { force: true });
  }
  // Let every tracer see the gate gone and write out what it holds.
  await pause(500);
  return calls;
}

export async function benchCompare(opts?: CompareOptions): Promise<object[]> {
  const o = opts ?? compareOptions();
  const etcdVersion = ensureEtcd();
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-compare-'));
  // Undone in reverse order by cleanup(): on success, on a failure and on a signal.
  const undo: (() => Promise<void> | void)[] = [
    () => {
      if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  ];
  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      for (const step of undo.reverse()) await Promise.resolve(step()).catch(() => undefined);
    })());
  // A signal stops the load first (the writers check it), then cleans up and
  // exits 128+n. Its exit is queued on the cleanup before the unwinding run's
  // own wait for it, so it wins over the run's error.
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    note(`${signal}: stopping etcd and jobd, removing ${dir}`);
    interrupted.abort(new JobctlError(Reason.Unavailable, `interrupted by ${signal}`));
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const profile = process.env.BENCH_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`]
      : [];
    // The nodes inherit BENCH_TRACE and load the tracer (idle until DIR/on exists).
    const traceDir = process.env.BENCH_TRACE;
    if (traceDir) {
      mkdirSync(traceDir, { recursive: true });
      profile.push(
        '--import',
        join(dirname(fileURLToPath(import.meta.url)), 'write-trace-preload.js'),
      );
    }
    const [etcd, cluster] = await Promise.all([
      EtcdCluster.start({ size: 3, baseDir: join(dir, 'etcd') }).then((c) => {
        undo.push(() => c.stop());
        return c;
      }),
      LocalCluster.start({
        nodes: 3,
        baseDir: join(dir, 'jobctl'),
        nodeArgs: profile,
        // Writes are measured: no container work (fake runtime), no per-client limiter.
        extraArgs: ['--runtime', 'fake', '--rate-limit', '0'],
      }).then((c) => {
        // A node writes its --cpu-prof as it exits, which takes seconds on a
        // busy machine: the default 5 s before SIGKILL lost two of three.
        undo.push(() => c.stop(process.env.BENCH_PROFILE ? 60_000 : undefined));
        return c;
      }),
    ]);
    const [etcdLeader, jobdLeader] = await Promise.all([
      etcd.waitForLeader(30_000),
      cluster.waitForLeader({ timeoutMs: 30_000 }),
    ]);
    const jobdAddress = cluster.member(jobdLeader.id).address;
    note(
      `etcd ${etcdVersion} leader ${etcdLeader.address}, jobd leader ${jobdAddress}; ` +
        `${o.clients} clients, ${o.valueBytes}-byte writes, ${o.rounds} rounds of ${o.durationMs} ms`,
    );

    const kvs = Array.from({ length: o.channels }, () => new EtcdKv(etcdLeader.address, 5000));
    const grpcs = Array.from(
      { length: o.channels },
      () => new GrpcClient({ servers: [jobdAddress], timeoutMs: 5000 }),
    );
    undo.push(() => {
      for (const c of [...kvs, ...grpcs]) c.close();
    });
    const targets: Target[] = [
      {
        name: 'etcd',
        pids: () => etcd.pids(),
        write: (ch, key, job) => (kvs[ch] as EtcdKv).put(key, Buffer.from(JSON.stringify(job))),
      },
      {
        name: 'jobctl',
        pids: () => cluster.members.flatMap((m) => (m.proc?.pid ? [m.proc.pid] : [])),
        write: (ch, _key, job) => (grpcs[ch] as GrpcClient).apply(job),
        revision: async () =>
          Number((await (grpcs[0] as GrpcClient).list('Job', { limit: 1 })).resourceVersion),
      },
    ];

    for (const t of targets) await closedLoop(t, o, o.clients, WARMUP_MS, interrupted.signal);
    const out: object[] = [];
    // CLOCK_MONOTONIC in microseconds: the clock of a V8 CPU profile's startTime.
    const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);
    const windows: {
      system: string;
      clients: number;
      round: number;
      startUs: number;
      endUs: number;
    }[] = [];
    // The main runs, then (unless they were already) the one-client runs.
    const sets = o.clients === 1 ? [1] : [o.clients, 1];
    for (const [i, clients] of sets.entries()) {
      const runs: Record<Target['name'], Run[]> = { etcd: [], jobctl: [] };
      for (let r = 1; r <= o.rounds; r++) {
        for (const t of targets) {
          const startUs = monotonicUs();
          const run = await closedLoop(t, o, clients, o.durationMs, interrupted.signal);
          windows.push({ system: t.name, clients, round: r, startUs, endUs: monotonicUs() });
          runs[t.name].push(run);
          note(
            `${t.name} run ${r}/${o.rounds}, ${clients} client(s): ` +
              `${Math.round(run.ops / run.elapsedS)} writes/s, ${run.errors} errors`,
          );
        }
      }
      const name = i === 0 ? 'compare.write' : 'compare.write.1client';
      out.push({ ...line(name, o, clients, runs.jobctl, runs.etcd), etcd_version: etcdVersion });
    }
    if (process.env.BENCH_PROFILE) {
      // The nodes make the directory only when they exit, after this.
      mkdirSync(process.env.BENCH_PROFILE, { recursive: true });
      writeFileSync(
        join(process.env.BENCH_PROFILE, 'runs.json'),
        `${JSON.stringify(windows, null, 1)}\n`,
      );
    }
    if (traceDir) {
      const jobctl = targets[1] as Target;
      const writes = Number(process.env.BENCH_TRACE_WRITES ?? 300);
      const calls = await tracedWrites(jobctl, o, traceDir, writes, interrupted.signal);
      out.push({
        name: 'compare.write.trace',
        ...traceBreakdown(traceDir, calls),
        writes,
        value_bytes: o.valueBytes,
        loadavg_1m: round(loadavg()[0] ?? NaN),
      });
    }
    return out;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
