// ProcessRuntime beyond the contract: what a new instance (a restarted jobd) reports about
// the processes an earlier instance started, and the process-group kill.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProcessRuntime, type RunContainerSpec } from '../../../pkg/runtime/index.js';
import { newRunUid, readText, waitFor } from './contract.js';

describe('ProcessRuntime', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jobctl-rt-proc-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function spec(command: string[]): RunContainerSpec {
    const runUid = newRunUid();
    return {
      image: 'ignored',
      imagePullPolicy: 'IfNotPresent',
      command,
      env: [],
      resources: { cpu: '500m', memory: '256Mi' },
      sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
      runUid,
      logPath: join(dir, 'logs', `${runUid}.log`),
    };
  }

  it('a new instance reports earlier processes: exit codes kept, live ones not adoptable', async () => {
    const dataDir = join(dir, 'restart');
    const first = new ProcessRuntime({ dataDir });
    const done = spec(['sh', '-c', 'exit 4']);
    const live = spec(['sleep', '600']);
    const doneId = (await first.start(done)).containerId;
    await first.wait(doneId);
    const liveId = (await first.start(live)).containerId;
    await first.close();

    const second = new ProcessRuntime({ dataDir, pollMs: 50 });
    const byId = new Map((await second.list()).map((c) => [c.containerId, c]));
    assert.equal(byId.get(doneId)?.state, 'exited');
    assert.equal(byId.get(doneId)?.exitCode, 4);
    assert.equal(byId.get(liveId)?.state, 'unknown');
    assert.match(byId.get(liveId)?.message ?? '', /not adoptable/);
    // Never started twice: start() for the same Run returns the old id.
    assert.equal((await second.start(live)).containerId, liveId);
    // kill() still reaches it (by process group); wait() can only say "Unknown".
    await second.kill(liveId, { graceMs: 1000 });
    const exit = await second.wait(liveId);
    assert.equal(exit.reason, 'Unknown');
    assert.equal(exit.exitCode, -1);
    await second.remove(liveId);
    await second.remove(doneId);
    assert.deepEqual(await second.list(), []);
    // `first` still holds the child handle; its exit was observed there too.
    await first.wait(liveId);
  });

  it('kill stops the whole process group, not just the shell', async () => {
    const rt = new ProcessRuntime({ dataDir: join(dir, 'group') });
    const s = spec(['sh', '-c', 'sleep 600 & echo "child=$!"; wait']);
    const { containerId } = await rt.start(s);
    const log = await waitFor('the child pid', async () => {
      const text = await readText(s.logPath ?? '');
      return /child=\d+/.test(text) ? text : undefined;
    });
    const childPid = Number(/child=(\d+)/.exec(log)?.[1]);
    await rt.kill(containerId, { graceMs: 2000 });
    await rt.wait(containerId);
    await waitFor('the background sleep to die', () => {
      try {
        process.kill(childPid, 0);
        return false;
      } catch {
        return true;
      }
    });
    await rt.remove(containerId);
  });
});
