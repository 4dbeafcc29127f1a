// The Runtime contract against FakeRuntime (real clock, so `sleep` really waits until killed).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeRuntime } from '../../../pkg/runtime/index.js';
import { runRuntimeContract } from './contract.js';

runRuntimeContract(
  'FakeRuntime',
  async () => {
    const runtime = new FakeRuntime();
    const logDir = await mkdtemp(join(tmpdir(), 'jobctl-rt-fake-'));
    return {
      runtime,
      logDir,
      image: 'busybox:latest',
      startsFor: (uid) => runtime.startsFor(uid),
      cleanup: async () => {
        for (const c of await runtime.list()) await runtime.remove(c.containerId);
        await rm(logDir, { recursive: true, force: true });
      },
    };
  },
  { noRealCommands: 'the fake runtime scripts outcomes and never executes commands' },
);
