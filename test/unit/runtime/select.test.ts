// newRuntime loads dockerode only for the docker runtime: with the fake or
// process runtime a node must not carry ssh2's 16 MB of WebAssembly memory,
// which dockerode brings with it (docker-modem -> ssh2).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { newRuntime } from '../../../pkg/runtime/index.js';

/** Whether a module of this package is loaded in this process (CommonJS cache). */
function loaded(pkg: string): boolean {
  const cache = createRequire(import.meta.url).cache;
  return Object.keys(cache).some((path) => path.includes(`/node_modules/${pkg}/`));
}

describe('newRuntime', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  const dataDir = async (): Promise<string> => {
    const dir = await mkdtemp(join(tmpdir(), 'jobctl-select-'));
    dirs.push(dir);
    return dir;
  };

  // One test, in order: once dockerode is loaded it stays in the cache.
  it('loads dockerode for the docker runtime only', async () => {
    const fake = await newRuntime('fake', { dataDir: await dataDir() });
    const proc = await newRuntime('process', { dataDir: await dataDir() });
    assert.equal(fake.name, 'fake');
    assert.equal(proc.name, 'process');
    assert.equal(loaded('dockerode'), false, 'dockerode loaded without the docker runtime');
    assert.equal(loaded('ssh2'), false, 'ssh2 loaded without the docker runtime');

    // Constructing it does not reach the engine, so this runs without one.
    const docker = await newRuntime('docker', { dataDir: await dataDir(), scope: 'select-test' });
    assert.equal(docker.name, 'docker');
    assert.equal(loaded('dockerode'), true);
    await Promise.all([fake.close(), proc.close(), docker.close()]);
  });
});
