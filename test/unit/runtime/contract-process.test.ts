// The Runtime contract against ProcessRuntime (real child processes of this test process).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime } from '../../../pkg/runtime/index.js';
import { runRuntimeContract } from './contract.js';

runRuntimeContract('ProcessRuntime', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'jobctl-rt-process-'));
  const runtime = new ProcessRuntime({ dataDir: join(dir, 'data') });
  return {
    runtime,
    logDir: join(dir, 'logs'),
    image: 'ignored-by-the-process-runtime',
    cleanup: async () => {
      for (const c of await runtime.list()) await runtime.remove(c.containerId);
      await rm(dir, { recursive: true, force: true });
    },
  };
});
