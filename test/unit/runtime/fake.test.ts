// FakeRuntime beyond the contract: outcomes scripted by the spec or by the test, time on
// an injected FakeClock, start counting, and an unavailable engine.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FakeRuntime, isRuntimeError, type RunContainerSpec } from '../../../pkg/runtime/index.js';
import { REMOVALS_GATHER_MS } from '../../../pkg/runtime/fake/runtime.js';
import { FakeClock } from '../../../pkg/util/clock.js';

let n = 0;
function spec(command: string[], extra: Partial<RunContainerSpec> = {}): RunContainerSpec {
  return {
    image: 'busybox:latest',
    imagePullPolicy: 'IfNotPresent',
    command,
    env: [],
    resources: { cpu: '500m', memory: '256Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
    runUid: `run-${++n}`,
    ...extra,
  };
}

describe('FakeRuntime', () => {
  it('exits 0 at once by default, with a log line kept in memory', async () => {
    const rt = new FakeRuntime();
    const s = spec(['true']);
    const { containerId } = await rt.start(s);
    assert.equal((await rt.inspect(containerId)).state, 'exited');
    assert.deepEqual(
      { ...(await rt.wait(containerId)), finishedAt: 'x' },
      { exitCode: 0, oomKilled: false, reason: 'Completed', finishedAt: 'x' },
    );
    assert.equal(rt.logsOf(s.runUid), 'fake: ran true\n');
  });

  it('runs `sleep N` for N seconds of the injected clock', async () => {
    const clock = new FakeClock();
    const rt = new FakeRuntime({ clock });
    const { containerId } = await rt.start(spec(['sh', '-c', 'sleep 5; exit 3']));
    assert.equal((await rt.inspect(containerId)).state, 'running');
    clock.advance(4999);
    assert.equal((await rt.inspect(containerId)).state, 'running');
    clock.advance(1);
    const exit = await rt.wait(containerId);
    assert.equal(exit.exitCode, 3);
    assert.equal(exit.reason, 'Error');
    assert.equal(exit.finishedAt, new Date(clock.now()).toISOString());
  });

  it('uses the default duration for unscripted commands', async () => {
    const clock = new FakeClock();
    const rt = new FakeRuntime({ clock, defaultDurationMs: 1000 });
    const { containerId } = await rt.start(spec(['echo', 'hi']));
    assert.equal((await rt.inspect(containerId)).state, 'running');
    clock.advance(1000);
    assert.equal((await rt.wait(containerId)).exitCode, 0);
  });

  it('scripts OOM kills and missing images', async () => {
    const rt = new FakeRuntime();
    const { containerId } = await rt.start(spec(['sh', '-c', 'oom']));
    const exit = await rt.wait(containerId);
    assert.equal(exit.reason, 'OOMKilled');
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.oomKilled, true);
    await assert.rejects(
      rt.start(spec(['true'], { image: 'missing:thing' })),
      (err: unknown) => isRuntimeError(err, 'ImagePullFailed') && /missing:thing/.test(err.message),
    );
  });

  it('setOutcome by runUid or predicate overrides the script; the latest rule wins', async () => {
    const rt = new FakeRuntime();
    rt.setOutcome((s) => s.command.includes('flaky'), { exitCode: 1, output: 'nope\n' });
    const a = spec(['flaky']);
    rt.setOutcome(a.runUid, { exitCode: 7 });
    const ra = await rt.start(a);
    assert.equal((await rt.wait(ra.containerId)).exitCode, 7);
    assert.equal(rt.logsOf(a.runUid), 'nope\n');
    const b = spec(['flaky']);
    assert.equal((await rt.wait((await rt.start(b)).containerId)).exitCode, 1);
    rt.setOutcome(() => true, { startError: 'exec format error' });
    await assert.rejects(rt.start(spec(['x'])), (err: unknown) =>
      isRuntimeError(err, 'StartFailed'),
    );
    rt.clearOutcomes();
    assert.equal((await rt.wait((await rt.start(spec(['x']))).containerId)).exitCode, 0);
  });

  it('counts real starts per runUid; finish() ends a running container', async () => {
    const clock = new FakeClock();
    const rt = new FakeRuntime({ clock });
    const s = spec(['sleep', '60']);
    const { containerId } = await rt.start(s);
    await rt.start(s);
    await rt.start(s);
    assert.equal(rt.startsFor(s.runUid), 1);
    assert.deepEqual(rt.starts, [s.runUid]);
    rt.finish(containerId, { exitCode: 2 });
    assert.equal((await rt.wait(containerId)).exitCode, 2);
  });

  it('kill exits 143 with a grace period and 137 without', async () => {
    const rt = new FakeRuntime({ clock: new FakeClock() });
    const a = await rt.start(spec(['sleep', '60']));
    await rt.kill(a.containerId, { graceMs: 1000 });
    assert.equal((await rt.wait(a.containerId)).exitCode, 143);
    const b = await rt.start(spec(['sleep', '60']));
    await rt.kill(b.containerId, { graceMs: 0 });
    assert.equal((await rt.wait(b.containerId)).exitCode, 137);
  });

  it('setAvailable(false) makes every call RuntimeUnavailable', async () => {
    const rt = new FakeRuntime();
    rt.setAvailable(false);
    const unavailable = (err: unknown): boolean => isRuntimeError(err, 'RuntimeUnavailable');
    await assert.rejects(rt.ping(), unavailable);
    await assert.rejects(rt.list(), unavailable);
    await assert.rejects(rt.start(spec(['true'])), unavailable);
    rt.setAvailable(true);
    await rt.ping();
  });

  it('holds 10 000 containers (it is meant for control-plane benchmarks)', async () => {
    const rt = new FakeRuntime();
    for (let i = 0; i < 10_000; i++) await rt.start(spec(['true']));
    assert.equal((await rt.list()).length, 10_000);
  });

  it('a new instance over the same logs lists what the old one ran as exited, status unknown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobctl-fake-'));
    try {
      const files = {
        startsLogPath: join(dir, 'fake-starts.log'),
        removedLogPath: join(dir, 'fake-removed.log'),
      };
      const clock = new FakeClock();
      const before = new FakeRuntime({ clock, ...files });
      const running = spec(['sleep', '60']);
      const done = spec(['true']);
      const { containerId } = await before.start(running);
      const gone = await before.start(done);
      await before.wait(gone.containerId);
      await before.remove(gone.containerId);
      clock.advance(REMOVALS_GATHER_MS); // the removal is written
      await before.flushRemovals();

      // jobd died; a new jobd's runtime finds the container it did not remove.
      const after = new FakeRuntime({ clock, ...files });
      const listed = await after.list();
      assert.deepEqual(
        listed.map((c) => [c.containerId, c.runUid, c.state]),
        [[containerId, running.runUid, 'exited']],
      );
      const exit = await after.wait(containerId);
      assert.equal(exit.reason, 'Unknown');
      // Starting that Run again is the idempotent no-op of an engine that has it.
      assert.deepEqual(await after.start(running), { containerId });
      assert.equal(after.startsFor(running.runUid), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('writes removals together, later; one a crash kept from the file is listed again as exited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobctl-fake-'));
    try {
      const files = {
        startsLogPath: join(dir, 'fake-starts.log'),
        removedLogPath: join(dir, 'fake-removed.log'),
      };
      const clock = new FakeClock();
      const before = new FakeRuntime({ clock, ...files });
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const { containerId } = await before.start(spec(['true']));
        await before.wait(containerId);
        await before.remove(containerId); // resolves without waiting for its line
        ids.push(containerId);
      }
      const removedLines = (): string[] =>
        existsSync(files.removedLogPath)
          ? readFileSync(files.removedLogPath, 'utf8')
              .split('\n')
              .filter((l) => l !== '')
          : [];
      assert.deepEqual(removedLines(), []);
      // jobd died now: a new instance lists them, exited with an unknown status,
      // as it lists any container it cannot know was removed (the agent removes it).
      const crashed = new FakeRuntime({ clock, ...files });
      assert.deepEqual(
        (await crashed.list()).map((c) => [c.containerId, c.state]).sort(),
        ids.map((id) => [id, 'exited']).sort(),
      );
      clock.advance(REMOVALS_GATHER_MS);
      await before.flushRemovals();
      assert.deepEqual(
        removedLines().map((l) => (JSON.parse(l) as { containerId: string }).containerId),
        ids,
      );
      assert.deepEqual(await new FakeRuntime({ clock, ...files }).list(), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts a Run once per container: again only after its container was removed', async () => {
    const rt = new FakeRuntime();
    const s = spec(['true']);
    const first = await rt.start(s);
    assert.deepEqual(await rt.start(s), first, 'idempotent while the container exists');
    await rt.remove(first.containerId);
    const second = await rt.start(s);
    assert.notEqual(second.containerId, first.containerId);
    assert.equal(rt.startsFor(s.runUid), 2);
    assert.deepEqual(await rt.start(s), second);
  });
});
