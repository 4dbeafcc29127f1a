// `npm run bench -- exec-run-files`: the file work each Run costs, in one process,
// without the cluster: the FakeRuntime's start, wait and remove with a log file and
// its two journals (as jobd's --runtime fake), then the LogCopier taking the copy and
// handing it to a "peer" that writes it as a peer does (writeLogCopy into another dir).
// EXEC_FILES_RUNS (3,000) Runs, 16 at a time (an agent's workers), after one warm-up Run.
// Prints CPU ms per Run of this process (process.cpuUsage: its libuv thread pool
// included, so each async file call's hand-off is counted; a shared machine disturbs
// it less than wall time) for three cuts of the path:
//   runtime  start, wait, remove only
//   copy     and the copy taken and handed over (the peer's write left out)
//   full     and the peer's write of the copy
// An instrument for before/after pairs: build both trees and run each in turn
// (`node A/dist/hack/bench/main.js exec-run-files`, then B's, ...).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogCopier, runLogPath, writeLogCopy } from '../../pkg/agent/index.js';
import { FakeRuntime } from '../../pkg/runtime/fake/runtime.js';
import type { RunContainerSpec } from '../../pkg/runtime/index.js';
import type { Run } from '../../pkg/store/index.js';
import { round } from './stats.js';

type Cut = 'runtime' | 'copy' | 'full';

const WORKERS = 16;

function spec(dataDir: string, runUid: string): RunContainerSpec {
  return {
    runUid,
    image: 'jobctl/busybox:latest',
    imagePullPolicy: 'IfNotPresent',
    command: ['true'],
    env: [],
    resources: { cpu: '1m', memory: '6Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
    logPath: runLogPath(dataDir, runUid),
  };
}

/** CPU ms per Run of `runs` Runs through the path up to `cut`. */
async function measure(cut: Cut, runs: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-bench-run-files-'));
  const here = join(dir, 'executing');
  const peer = join(dir, 'peer');
  const runtime = new FakeRuntime({
    startsLogPath: join(here, 'fake-starts.jsonl'),
    removedLogPath: join(here, 'fake-removed.jsonl'),
  });
  const copier = new LogCopier({
    dataDir: here,
    nodeName: 'executing',
    sender: {
      sendMany: (copies) =>
        Promise.all(
          copies.map(async (copy) => {
            if (cut === 'full') await writeLogCopy(peer, copy);
            return ['peer'];
          }),
        ),
    },
  });
  const one = async (i: number): Promise<void> => {
    const uid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const { containerId } = await runtime.start(spec(here, uid));
    await runtime.wait(containerId);
    await runtime.remove(containerId);
    if (cut === 'runtime') return;
    copier.offer({ metadata: { uid, name: `run-${i}`, namespace: 'default' } } as Run);
  };
  try {
    await one(runs); // directories, journals, JIT
    await copier.idle();
    const cpu0 = process.cpuUsage();
    let next = 0;
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (next < runs) await one(next++);
      }),
    );
    await copier.idle();
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / 1000 / runs;
  } finally {
    await copier.stop();
    await runtime.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchExecRunFiles(): Promise<object[]> {
  const runs = Number(process.env.EXEC_FILES_RUNS ?? 3_000);
  const out: Record<string, number> = {};
  for (const cut of ['runtime', 'copy', 'full'] as const) {
    out[`${cut}_cpu_ms_per_run`] = round(await measure(cut, runs), 3);
  }
  return [{ name: 'exec.run_files', runs, workers: WORKERS, ...out }];
}
