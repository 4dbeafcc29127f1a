// Smoke test of the Docker engine the agent depends on (DESIGN.md §8): a container of the
// locally built busybox image runs through dockerode, and the sandbox the docker runtime
// applies by default holds from inside the container.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import type Docker from 'dockerode';
import { E2E_IMAGE, demuxLogs, dockerGate, getDocker } from '../support/docker.js';

const skip = await dockerGate();
const TIMEOUT = 120_000;

interface Finished {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** create + start + wait + logs + remove (always, even when an assertion fails later). */
async function runToCompletion(
  docker: Docker,
  opts: Docker.ContainerCreateOptions,
): Promise<Finished> {
  const container = await docker.createContainer({
    name: `jobctl-e2e-smoke-${randomBytes(4).toString('hex')}`,
    Labels: { 'jobctl.test': 'docker-smoke' },
    AttachStdout: false,
    AttachStderr: false,
    Tty: false,
    ...opts,
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const raw = await container.logs({ stdout: true, stderr: true, follow: false });
    return { exitCode: StatusCode, ...demuxLogs(raw) };
  } finally {
    await container.remove({ force: true, v: true }).catch(() => undefined);
  }
}

/** The docker runtime's default sandbox (DESIGN.md §8), as dockerode HostConfig. */
const sandbox: Docker.ContainerCreateOptions = {
  User: '65534:65534',
  HostConfig: {
    NetworkMode: 'none',
    ReadonlyRootfs: true,
    Tmpfs: { '/tmp': 'rw,size=64m' },
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
    PidsLimit: 256,
    Memory: 256 * 1024 * 1024,
    NanoCpus: 500_000_000,
  },
};

test('busybox image runs `echo ok` with no network', { skip, timeout: TIMEOUT }, async () => {
  const res = await runToCompletion(getDocker(), {
    Image: E2E_IMAGE,
    Cmd: ['echo', 'ok'],
    HostConfig: { NetworkMode: 'none' },
  });
  assert.equal(res.exitCode, 0, `exit code; stderr: ${res.stderr}`);
  assert.match(res.stdout, /^ok$/m);
});

test('a failing command reports its exit code', { skip, timeout: TIMEOUT }, async () => {
  const res = await runToCompletion(getDocker(), {
    Image: E2E_IMAGE,
    Cmd: ['sh', '-c', 'echo oops >&2; exit 3'],
    HostConfig: { NetworkMode: 'none' },
  });
  assert.equal(res.exitCode, 3);
  assert.match(res.stderr, /oops/);
});

test('the sandbox options hold inside the container', { skip, timeout: TIMEOUT }, async () => {
  // One line per probe, `key=value`, so a failure shows everything the container saw.
  const script = [
    'echo "uid=$(id -u)"',
    'echo "gid=$(id -g)"',
    'if echo x >/probe 2>/dev/null; then echo root=writable; else echo root=readonly; fi',
    'if echo hi >/tmp/probe && [ "$(cat /tmp/probe)" = hi ]; then echo tmp=writable; else echo tmp=broken; fi',
    // Interfaces: /proc/net/dev lists one "name:" per line after two header lines.
    'echo "ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\\n" ",")"',
    'echo "capeff=$(grep CapEff /proc/self/status | cut -f2)"',
    'echo "nonewprivs=$(grep NoNewPrivs /proc/self/status | cut -f2)"',
    // cgroup v1 or v2 paths, whichever the engine mounted.
    'echo "pids=$(cat /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null | head -n1)"',
    'echo "mem=$(cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null | head -n1)"',
  ].join('\n');
  const res = await runToCompletion(getDocker(), {
    ...sandbox,
    Image: E2E_IMAGE,
    Cmd: ['sh', '-c', script],
  });
  const seen = Object.fromEntries(
    res.stdout
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Record<string, string>;
  const context = `container printed:\n${res.stdout}\nstderr:\n${res.stderr}`;
  assert.equal(res.exitCode, 0, context);
  assert.equal(seen.uid, '65534', context);
  assert.equal(seen.gid, '65534', context);
  assert.equal(seen.root, 'readonly', context);
  assert.equal(seen.tmp, 'writable', context);
  assert.equal(seen.ifaces, 'lo,', context);
  assert.equal(seen.capeff, '0000000000000000', context);
  assert.equal(seen.nonewprivs, '1', context);
  assert.equal(seen.pids, '256', context);
  assert.equal(seen.mem, String(256 * 1024 * 1024), context);
});

test('forks stop at the pids limit', { skip, timeout: TIMEOUT }, async () => {
  // Start up to 400 sleepers, printing a count after each. With a pids limit of 256 a
  // fork fails (busybox sh then exits), and the container ends by itself: its init is
  // gone, so the kernel kills the sleepers.
  const script =
    'i=0; while [ $i -lt 400 ]; do sleep 60 & i=$((i+1)); echo "started=$i"; done; echo all-started';
  const res = await runToCompletion(getDocker(), {
    ...sandbox,
    Image: E2E_IMAGE,
    Cmd: ['sh', '-c', script],
  });
  const counts = [...res.stdout.matchAll(/started=(\d+)/g)].map((m) => Number(m[1]));
  const most = Math.max(0, ...counts);
  const context = `started ${most}; exit ${res.exitCode}; stderr: ${res.stderr.slice(0, 500)}`;
  assert.ok(most > 10, context);
  assert.ok(most < 256, context);
  assert.doesNotMatch(res.stdout, /all-started/, context);
  assert.notEqual(res.exitCode, 0, context);
});
