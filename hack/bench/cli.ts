// `npm run bench -- cli`: how long a whole `jobctl get jobs` process takes,
// against a 3-node cluster of real jobd processes (fake runtime) holding 20
// Jobs, beside a bare `node -e 0` on the same machine at the same moment.
// Runs are interleaved (jobctl, node, jobctl, node, ...) after warm-up runs,
// so both see the same load. Prints
//   {"name":"cli.get","runs":…,"median_ms":…,"p99_ms":…,"bare_node_median_ms":…,
//    "bare_node_p99_ms":…,"over_bare_node_ms":…,"cpu_median_ms":…,
//    "bare_node_cpu_median_ms":…,"cpu_over_bare_node_ms":…}
// Wall times are what the target is about; on a shared machine they are
// mostly waiting for a core, so when `perf` is installed each process also
// runs under `perf stat -e task-clock` and the CPU medians (all threads of
// the process) are printed too: the steadier figure for comparing builds.
// CLI_RUNS sets the number of runs (default 30). The CLI measured is
// dist/cmd/jobctl.cjs, the `jobctl` bin `npm run build` makes (hack/build-cli.mjs).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { API_VERSION } from '../../pkg/store/index.js';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { percentile, retry, round } from './stats.js';

const jobctl = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cmd', 'jobctl.cjs');

/** Wall time in ms of one `node ARGS` process, from spawn to exit (which must be 0). */
function timed(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(performance.now() - t0);
      else reject(new Error(`node ${args.join(' ')}: exit ${code}\n${stderr}`));
    });
  });
}

/** Whether `perf stat` can count this user's processes here. */
function perfWorks(): boolean {
  const r = spawnSync('perf', ['stat', '-x,', '-e', 'task-clock', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /task-clock/.test(r.stderr ?? '');
}

/** CPU time in ms (task-clock, all threads) of one `node ARGS` process, run under perf. */
function cpuTimed(args: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('perf', ['stat', '-x,', '-e', 'task-clock', process.execPath, ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = stderr.split('\n').find((l) => l.includes('task-clock'));
      const ms = Number(line?.split(',')[0]);
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(`perf stat node ${args.join(' ')}: exit ${code}\n${stderr}`));
    });
  });
}

const median = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const p99 = (xs: readonly number[]): number =>
  percentile(
    [...xs].sort((a, b) => a - b),
    99,
  );

export async function benchCli(): Promise<object[]> {
  const runs = Number(process.env.CLI_RUNS ?? 30);
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-cli-'));
  const cluster = await LocalCluster.start({
    nodes: 3,
    baseDir: dir,
    extraArgs: ['--runtime', 'fake'],
  });
  try {
    await cluster.waitForLeader({ timeoutMs: 30_000 });
    const client = new GrpcClient({ servers: cluster.servers() });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        retry(() =>
          client.apply({
            apiVersion: API_VERSION,
            kind: 'Job',
            metadata: { name: `cli-${i}` },
            spec: { image: 'busybox:latest', command: ['echo', String(i)] },
          }),
        ),
      ),
    );
    client.close();
    const env = {
      ...process.env,
      JOBCTL_SERVER: cluster.servers(),
      JOBCTL_CONFIG: join(dir, 'none.yaml'),
      NO_COLOR: '1',
    };
    const get = [jobctl, 'get', 'jobs'];
    const bare = ['-e', '0'];
    for (let i = 0; i < 3; i++) {
      await timed(get, env);
      await timed(bare, env);
    }
    const load = loadavg()[0] ?? NaN;
    const cli: number[] = [];
    const node: number[] = [];
    for (let i = 0; i < runs; i++) {
      cli.push(await timed(get, env));
      node.push(await timed(bare, env));
    }
    const cpu: number[] = [];
    const nodeCpu: number[] = [];
    const withCpu = perfWorks();
    for (let i = 0; withCpu && i < runs; i++) {
      cpu.push(await cpuTimed(get, env));
      nodeCpu.push(await cpuTimed(bare, env));
    }
    return [
      {
        name: 'cli.get',
        runs,
        objects: 20,
        median_ms: round(median(cli), 1),
        p99_ms: round(p99(cli), 1),
        bare_node_median_ms: round(median(node), 1),
        bare_node_p99_ms: round(p99(node), 1),
        over_bare_node_ms: round(median(cli) - median(node), 1),
        ...(withCpu
          ? {
              cpu_median_ms: round(median(cpu), 1),
              bare_node_cpu_median_ms: round(median(nodeCpu), 1),
              cpu_over_bare_node_ms: round(median(cpu) - median(nodeCpu), 1),
            }
          : {}),
        loadavg_1m: [round(load, 2), round(loadavg()[0] ?? NaN, 2)],
      },
    ];
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
