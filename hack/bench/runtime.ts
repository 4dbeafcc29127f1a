// `npm run bench -- runtime` (once main.ts lists it): what the runtime layer costs on top
// of the container engine, for the later exec.overhead figure (issue 4).
//  - runtime.docker_bare      dockerode create+start+wait+remove of `true`, with the same
//                             create options (sandbox) DockerRuntime uses: the floor
//  - runtime.docker           DockerRuntime start+wait+remove of the same spec (adds the
//                             name lookup, image check, log follower, inspect after wait)
//  - runtime.docker_overhead  p50(docker) / p50(docker_bare)
//  - runtime.process          ProcessRuntime start+wait+remove of `true`
//  - runtime.fake             FakeRuntime start+wait+remove, ops/s
// The two Docker series are interleaved (bare, runtime, bare, ...) after a warm-up, so
// drift in the engine affects both alike. RUNTIME_BENCH_N sets the count (default 20).
import Docker from 'dockerode';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOptions, DEFAULT_SANDBOX } from '../../pkg/runtime/docker/create-options.js';
import { DockerRuntime } from '../../pkg/runtime/docker/index.js';
import {
  FakeRuntime,
  ProcessRuntime,
  type RunContainerSpec,
  type Runtime,
} from '../../pkg/runtime/index.js';
import { percentile, round } from './stats.js';

const IMAGE = process.env.RUNTIME_BENCH_IMAGE ?? 'jobctl/busybox:latest';
const BENCH_LABEL = 'jobctl.bench';

function spec(logDir: string): RunContainerSpec {
  const runUid = `bench-${randomBytes(6).toString('hex')}`;
  return {
    image: IMAGE,
    imagePullPolicy: 'IfNotPresent',
    command: ['true'],
    env: [],
    resources: { cpu: '500m', memory: '256Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
    runUid,
    labels: { [BENCH_LABEL]: 'runtime' },
    logPath: join(logDir, `${runUid}.log`),
  };
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function bare(docker: Docker, s: RunContainerSpec): Promise<void> {
  const c = await docker.createContainer(
    createOptions(s, `jobctl-bench-${s.runUid}`, { ...s.labels }, DEFAULT_SANDBOX),
  );
  await c.start();
  await c.wait();
  await c.remove({ force: true });
}

async function viaRuntime(rt: Runtime, s: RunContainerSpec): Promise<void> {
  const { containerId } = await rt.start(s);
  await rt.wait(containerId);
  await rt.remove(containerId);
}

function figures(name: string, samples: number[]): Record<string, number | string> {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    name,
    n: samples.length,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    min_ms: round(sorted[0] ?? NaN),
  };
}

export async function benchRuntime(): Promise<object[]> {
  const n = Number(process.env.RUNTIME_BENCH_N ?? 20);
  const logDir = await mkdtemp(join(tmpdir(), 'jobctl-bench-runtime-'));
  const out: object[] = [];
  try {
    const docker = new Docker();
    const dockerOk = await docker.ping().then(
      () => true,
      () => false,
    );
    if (dockerOk) {
      const rt = new DockerRuntime({ docker, scope: 'bench' });
      for (let i = 0; i < 2; i++) {
        await bare(docker, spec(logDir));
        await viaRuntime(rt, spec(logDir));
      }
      const bareMs: number[] = [];
      const rtMs: number[] = [];
      for (let i = 0; i < n; i++) {
        bareMs.push(await timed(() => bare(docker, spec(logDir))));
        rtMs.push(await timed(() => viaRuntime(rt, spec(logDir))));
      }
      await rt.close();
      const b = figures('runtime.docker_bare', bareMs);
      const r = figures('runtime.docker', rtMs);
      out.push(b, r, {
        name: 'runtime.docker_overhead',
        ratio_p50: round(Number(r.p50_ms) / Number(b.p50_ms), 3),
      });
    } else {
      out.push({ name: 'runtime.docker', skipped: 'Docker engine not reachable' });
    }

    const proc = new ProcessRuntime({ dataDir: join(logDir, 'process') });
    const procMs: number[] = [];
    for (let i = 0; i < n; i++) procMs.push(await timed(() => viaRuntime(proc, spec(logDir))));
    out.push(figures('runtime.process', procMs));

    const fake = new FakeRuntime();
    const count = 20_000;
    const fakeMs = await timed(async () => {
      // No logPath: the fake keeps output in memory, as in control-plane benchmarks.
      for (let i = 0; i < count; i++)
        await viaRuntime(fake, { ...spec(logDir), logPath: undefined });
    });
    out.push({ name: 'runtime.fake', n: count, ops_per_s: round((count / fakeMs) * 1000, 0) });
  } finally {
    await rm(logDir, { recursive: true, force: true });
  }
  return out;
}
