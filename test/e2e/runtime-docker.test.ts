// DockerRuntime against the real engine: the shared Runtime contract, then what only
// Docker does — the sandbox seen from inside, OOM kills, image pull policies, bounded
// logs, resuming logs after an agent restart, an unreachable daemon.
//
// Every container carries the label jobctl.test=runtime-docker; after() removes all of
// them (including leftovers of an earlier, interrupted run).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Docker from 'dockerode';
import { DockerRuntime } from '../../pkg/runtime/docker/index.js';
import {
  isRuntimeError,
  logFileSize,
  readLogFile,
  type RunContainerSpec,
  type RuntimeEvent,
} from '../../pkg/runtime/index.js';
import { E2E_IMAGE, dockerGate, getDocker } from '../support/docker.js';
import { newRunUid, readText, runRuntimeContract, waitFor } from '../unit/runtime/contract.js';

const skip = await dockerGate();
const TEST_LABEL = 'jobctl.test';
const TEST_VALUE = 'runtime-docker';
const TIMEOUT = 120_000;

/** Removes every container this test file ever created (by label). */
async function sweep(): Promise<void> {
  const docker = getDocker();
  const leftovers = await docker.listContainers({
    all: true,
    filters: { label: [`${TEST_LABEL}=${TEST_VALUE}`] },
  });
  for (const c of leftovers) {
    await docker
      .getContainer(c.Id)
      .remove({ force: true, v: true })
      .catch(() => undefined);
  }
}

/** Runs a command in a running container and waits for it to finish. */
async function execIn(containerId: string, cmd: string[]): Promise<void> {
  const exec = await getDocker()
    .getContainer(containerId)
    .exec({ Cmd: cmd, User: '65534:65534', AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  stream.resume();
  await new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
  });
  const { ExitCode } = await exec.inspect();
  assert.equal(ExitCode, 0, `${cmd.join(' ')} failed in the container`);
}

/** A scope per runtime, so parallel test files never see each other's containers. */
function newScope(): string {
  return `test-${randomBytes(4).toString('hex')}`;
}

runRuntimeContract(
  'DockerRuntime',
  async () => {
    const logDir = await mkdtemp(join(tmpdir(), 'jobctl-rt-docker-'));
    const runtime = new DockerRuntime({ docker: getDocker(), scope: newScope() });
    return {
      runtime,
      logDir,
      image: E2E_IMAGE,
      labels: { [TEST_LABEL]: TEST_VALUE },
      cleanup: async () => {
        for (const c of await runtime.list()) await runtime.remove(c.containerId);
        await runtime.close();
        await rm(logDir, { recursive: true, force: true });
      },
    };
  },
  { skip, timeout: TIMEOUT },
);

describe('DockerRuntime only', { skip, timeout: TIMEOUT }, () => {
  let logDir: string;
  let rt: DockerRuntime;
  const scope = newScope();

  before(async () => {
    logDir = await mkdtemp(join(tmpdir(), 'jobctl-rt-docker-only-'));
    rt = new DockerRuntime({ docker: getDocker(), scope });
  });
  after(async () => {
    await rt?.close();
    await sweep();
    await rm(logDir, { recursive: true, force: true });
  });

  function spec(command: string[], extra: Partial<RunContainerSpec> = {}): RunContainerSpec {
    const runUid = extra.runUid ?? newRunUid();
    return {
      image: E2E_IMAGE,
      imagePullPolicy: 'IfNotPresent',
      command,
      env: [],
      resources: { cpu: '500m', memory: '64Mi' },
      sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
      runUid,
      labels: { [TEST_LABEL]: TEST_VALUE },
      logPath: join(logDir, `${runUid}.log`),
      ...extra,
    };
  }

  async function run(s: RunContainerSpec): Promise<{ exitCode: number; log: string }> {
    const { containerId } = await rt.start(s);
    const exit = await rt.wait(containerId);
    return { exitCode: exit.exitCode, log: await readText(s.logPath ?? '') };
  }

  it('applies the sandbox of DESIGN §8 by default (seen from inside)', async () => {
    const script = [
      'echo "uid=$(id -u)"',
      'echo "gid=$(id -g)"',
      'if echo x >/probe 2>/dev/null; then echo root=writable; else echo root=readonly; fi',
      'if echo hi >/tmp/probe && [ "$(cat /tmp/probe)" = hi ]; then echo tmp=writable; else echo tmp=broken; fi',
      'echo "ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\\n" ",")"',
      'echo "capeff=$(grep CapEff /proc/self/status | cut -f2)"',
      'echo "nonewprivs=$(grep NoNewPrivs /proc/self/status | cut -f2)"',
      'echo "pids=$(cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null | head -n1)"',
      'echo "mem=$(cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null | head -n1)"',
    ].join('\n');
    const { exitCode, log } = await run(spec(['sh', '-c', script]));
    const seen = Object.fromEntries(
      log
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    ) as Record<string, string>;
    const context = `container printed:\n${log}`;
    assert.equal(exitCode, 0, context);
    assert.equal(seen.uid, '65534', context);
    assert.equal(seen.gid, '65534', context);
    assert.equal(seen.root, 'readonly', context);
    assert.equal(seen.tmp, 'writable', context);
    assert.equal(seen.ifaces, 'lo,', context);
    assert.equal(seen.capeff, '0000000000000000', context);
    assert.equal(seen.nonewprivs, '1', context);
    assert.equal(seen.pids, '256', context);
    assert.equal(seen.mem, String(64 * 1024 * 1024), context);
  });

  it('relaxations in spec.sandbox are applied (writable root, another user)', async () => {
    const { exitCode, log } = await run(
      spec(['sh', '-c', 'echo x >/probe && echo root=writable; echo "uid=$(id -u)"'], {
        sandbox: { network: 'none', readOnlyRootFilesystem: false, user: '1000:1000' },
      }),
    );
    // uid 1000 may not write to / of the image; only the mount flag is checked here.
    assert.equal(exitCode === 0 || exitCode === 1, true, log);
    assert.match(log, /uid=1000/);
    const { log: rootLog } = await run(
      spec(['sh', '-c', 'echo x >/probe && echo root=writable'], {
        sandbox: { network: 'none', readOnlyRootFilesystem: false, user: '0:0' },
      }),
    );
    assert.match(rootLog, /root=writable/);
  });

  it('a memory bomb under 32Mi is OOMKilled', async () => {
    const s = spec(['sh', '-c', 'x=a; while true; do x=$x$x; done'], {
      resources: { cpu: '500m', memory: '32Mi' },
    });
    const { containerId } = await rt.start(s);
    const exit = await rt.wait(containerId);
    assert.equal(exit.oomKilled, true, JSON.stringify(exit));
    assert.equal(exit.reason, 'OOMKilled');
    assert.equal(exit.exitCode, 137);
    const info = await rt.inspect(containerId);
    assert.equal(info.oomKilled, true);
  });

  it('a missing image with IfNotPresent is ImagePullFailed with Docker’s message', async () => {
    const events: RuntimeEvent[] = [];
    const s = spec(['true'], {
      image: 'jobctl/does-not-exist:1',
      onEvent: (ev) => events.push(ev),
    });
    await assert.rejects(rt.start(s), (err: unknown) => {
      assert.ok(isRuntimeError(err, 'ImagePullFailed'), String(err));
      assert.match(err.message, /jobctl\/does-not-exist:1/);
      // The daemon's own words (no registry here: a DNS or connection error).
      assert.match(err.message, /registry|lookup|dial|denied|not found|manifest/i, err.message);
      return true;
    });
    assert.equal(events[0]?.type, 'Pulling');
    assert.equal((await rt.list()).filter((c) => c.runUid === s.runUid).length, 0);
  });

  it('pull policy Never: a missing image fails at once; a present one runs', async () => {
    await assert.rejects(
      rt.start(spec(['true'], { image: 'jobctl/does-not-exist:1', imagePullPolicy: 'Never' })),
      (err: unknown) =>
        isRuntimeError(err, 'ImagePullFailed') &&
        /not present and pull policy is Never/.test(err.message),
    );
    const events: RuntimeEvent[] = [];
    const { exitCode } = await run(
      spec(['true'], { imagePullPolicy: 'Never', onEvent: (ev) => events.push(ev) }),
    );
    assert.equal(exitCode, 0);
    assert.deepEqual(
      events.map((e) => e.type),
      ['Created', 'Started'],
    );
  });

  it('bounds the log file and keeps the newest bytes', async () => {
    const small = new DockerRuntime({ docker: getDocker(), scope, maxLogBytes: 64 * 1024 });
    try {
      // 20 000 numbered lines of ~16 bytes: ~300 KiB through a 64 KiB bound.
      const s = spec([
        'sh',
        '-c',
        'i=0; while [ $i -lt 20000 ]; do echo "line-$i-padding"; i=$((i+1)); done; echo last-line',
      ]);
      const { containerId } = await small.start(s);
      assert.equal((await small.wait(containerId)).exitCode, 0);
      const size = await logFileSize(s.logPath ?? '');
      const text = (await readLogFile(s.logPath ?? '')).toString();
      assert.ok(size <= 64 * 1024, `kept ${size} bytes`);
      assert.ok(size >= 32 * 1024, `kept only ${size} bytes`);
      assert.match(text, /line-19999-padding\nlast-line\n$/);
      assert.doesNotMatch(text, /^line-0-padding$/m);
      // What is kept is contiguous: every full line after the first follows its predecessor.
      const nums = [...text.matchAll(/^line-(\d+)-padding$/gm)].map((m) => Number(m[1]));
      for (let i = 1; i < nums.length; i++) assert.equal(nums[i], (nums[i - 1] ?? 0) + 1);
    } finally {
      await small.close();
    }
  });

  it('attachLogs in a new instance (agent restart) resumes the log without loss or duplication', async () => {
    const first = new DockerRuntime({ docker: getDocker(), scope });
    const s = spec([
      'sh',
      '-c',
      'echo first; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo second; echo third',
    ]);
    const { containerId } = await first.start(s);
    await waitFor('"first" in the log', async () =>
      (await readText(s.logPath ?? '')).includes('first'),
    );
    await first.close(); // the agent goes away; the container keeps running

    // Output written while no agent is copying it.
    await execIn(containerId, ['touch', '/tmp/go']);
    await waitFor('the container to exit', async () => {
      return (await rt.inspect(containerId)).state === 'exited';
    });
    assert.equal(await readText(s.logPath ?? ''), 'first\n');

    const second = new DockerRuntime({ docker: getDocker(), scope });
    try {
      // start() again for the same Run finds the container and does not run it again.
      const again = await second.start(s);
      assert.equal(again.containerId, containerId);
      await second.attachLogs(containerId, s.logPath ?? '');
      assert.equal((await second.wait(containerId)).exitCode, 0);
      assert.equal(await readText(s.logPath ?? ''), 'first\nsecond\nthird\n');
    } finally {
      await second.close();
    }
  });

  it('attachLogs to a running container picks up live output', async () => {
    const first = new DockerRuntime({ docker: getDocker(), scope });
    const s = spec([
      'sh',
      '-c',
      'echo one; while [ ! -e /tmp/go ]; do sleep 0.1; done; echo two; while [ ! -e /tmp/stop ]; do sleep 0.1; done; echo three',
    ]);
    const { containerId } = await first.start(s);
    await waitFor('"one"', async () => (await readText(s.logPath ?? '')).includes('one'));
    await first.close();
    const touch = (path: string): Promise<void> => execIn(containerId, ['touch', path]);
    await touch('/tmp/go');
    const second = new DockerRuntime({ docker: getDocker(), scope });
    try {
      await second.attachLogs(containerId, s.logPath ?? '');
      await waitFor('"two"', async () => (await readText(s.logPath ?? '')).includes('two'));
      await touch('/tmp/stop');
      assert.equal((await second.wait(containerId)).exitCode, 0);
      assert.equal(await readText(s.logPath ?? ''), 'one\ntwo\nthree\n');
    } finally {
      await second.close();
    }
  });

  it('a second instance counts the container once (a start is never repeated)', async () => {
    const s = spec(['sh', '-c', 'echo ran']);
    const { containerId } = await rt.start(s);
    await rt.wait(containerId);
    const other = new DockerRuntime({ docker: getDocker(), scope });
    try {
      assert.equal((await other.start(s)).containerId, containerId);
      const info = await getDocker().getContainer(containerId).inspect();
      assert.equal(info.RestartCount, 0);
      assert.equal(info.State.Status, 'exited');
      assert.equal(await readText(s.logPath ?? ''), 'ran\n');
    } finally {
      await other.close();
    }
  });

  it('an unreachable daemon is RuntimeUnavailable, never a crash', async () => {
    const dead = new DockerRuntime({
      docker: new Docker({ socketPath: join(logDir, 'no-such-docker.sock') }),
    });
    const unavailable = (err: unknown): boolean => isRuntimeError(err, 'RuntimeUnavailable');
    await assert.rejects(dead.ping(), unavailable);
    await assert.rejects(dead.list(), unavailable);
    await assert.rejects(dead.start(spec(['true'])), unavailable);
    await assert.rejects(dead.inspect('abc'), unavailable);
    await assert.rejects(dead.wait('abc'), unavailable);
    await assert.rejects(dead.kill('abc'), unavailable);
    await assert.rejects(dead.attachLogs('abc', join(logDir, 'x.log')), unavailable);
    await dead.close();
  });
});
