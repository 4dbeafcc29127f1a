// Jobs end to end: a real 3-node jobd cluster (child processes, --runtime docker,
// short back-off), driven through the real CLI (`node dist/cmd/jobctl.cjs`), with
// real sandboxed containers. One cluster for the whole file.
//   - hello: Succeeded, exit 0, `logs job/hello` from every node, a follower alone too
//   - apply --wait exits 0 / 4; wait --for=condition=finished exits 0 / 4
//   - exit 1 with backoffLimit 2: exactly 3 Runs, Job Failed/BackoffLimitExceeded
//   - memory bomb at 32Mi: Run OOMKilled
//   - activeDeadlineSeconds lowered to 2 on a running sleep 600: container killed,
//     Job Failed/DeadlineExceeded
//   - the sandbox, asserted from inside the container (uid, read-only root, no network,
//     no capabilities, no-new-privileges)
//   - completions 10, parallelism 3: never more than 3 active, exactly 10 succeed,
//     spread over more than one node
//   - delete of a running Job removes its container within seconds
//   - missing image: Run Failed/ImagePullFailed with Docker's error
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  isFinalRunPhase,
  type Job,
  type Resource,
  type Run,
  type WatchEvent,
} from '../../pkg/store/index.js';
import {
  E2ECluster,
  containersOfRun,
  eventually,
  manifestDir,
  names,
  writeJob,
} from '../support/cluster.js';
import { E2E_IMAGE, dockerGate, getDocker } from '../support/docker.js';

const skip = await dockerGate();
const EXAMPLES = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'manifests',
  'examples',
);
const sel = (job: string): string => `jobctl.dev/job-name=${job}`;

describe('jobs on a 3-node docker cluster (CLI)', { skip, timeout: 600_000 }, () => {
  let c: E2ECluster;
  let m: { dir: string; remove: () => void };

  before(async () => {
    c = await E2ECluster.start({
      runtime: 'docker',
      extraArgs: ['--backoff-base-ms', '100', '--backoff-max-ms', '500'],
    });
    m = manifestDir();
  });

  after(async () => {
    await c?.stop();
    m?.remove();
  });

  const runsOf = (job: string): Promise<Run[]> => c.runsOf(job);

  const condition = (job: Job, type: string) =>
    (job.status?.conditions ?? []).find((x) => x.type === type && x.status === 'True');

  /** Waits (through the CLI) until the Job has ended; returns its exit code for `wait`. */
  const waitFinished = async (name: string, timeout = '300s'): Promise<number> => {
    const r = await c.cliRetry([
      'wait',
      `job/${name}`,
      '--for=condition=finished',
      `--timeout=${timeout}`,
    ]);
    assert.ok(r.code === 0 || r.code === 4, `wait job/${name} exited ${r.code}: ${r.stderr}`);
    return r.code;
  };

  it('hello: apply --wait exits 0, Succeeded with exit 0, logs from any node', async () => {
    const r = await c.cliRetry(['apply', '-f', join(EXAMPLES, 'hello.yaml'), '--wait=300s']);
    assert.equal(r.code, 0, `apply --wait: ${r.stderr}\n${c.logTail()}`);
    assert.match(r.stdout, /job\.jobctl\.dev\/hello (created|unchanged)/);

    const job = await c.getJson<Job>('job', 'hello');
    assert.equal(job.status?.phase, 'Succeeded');
    assert.equal(job.status?.succeeded, 1);
    assert.ok(condition(job, 'Complete'), JSON.stringify(job.status));

    const runs = await runsOf('hello');
    assert.equal(runs.length, 1);
    const run = runs[0] as Run;
    assert.equal(run.status?.phase, 'Succeeded');
    assert.equal(run.status?.exitCode, 0);
    assert.equal(run.status?.reason, 'Completed');
    assert.ok(run.spec.nodeName.startsWith(c.prefix), run.spec.nodeName);

    // Every node serves the logs, whichever ran the container; a follower alone too.
    const leader = await c.leader();
    for (const mem of c.members) {
      const out = await c.cliRetry(['logs', 'job/hello'], { server: mem.address });
      assert.equal(out.code, 0, `logs via node ${mem.id}: ${out.stderr}`);
      assert.equal(out.stdout.trim(), 'hello', `logs via node ${mem.id}`);
    }
    const follower = c.members.find((x) => x.id !== leader && x.name !== run.spec.nodeName);
    const viaFollower = await c.cliRetry(['logs', `run/${run.metadata.name}`], {
      server: (follower ?? c.members.find((x) => x.id !== leader))!.address,
    });
    assert.equal(viaFollower.code, 0, viaFollower.stderr);
    assert.equal(viaFollower.stdout.trim(), 'hello');
  });

  it('apply --wait exits 4 for a failing Job; wait --for=condition=finished exits 0 / 4', async () => {
    const failing = writeJob(m.dir, 'fails', {
      image: E2E_IMAGE,
      command: ['sh', '-c', 'echo failing; exit 1'],
      backoffLimit: 0,
    });
    const r = await c.cliRetry(['apply', '-f', failing, '--wait=300s']);
    assert.equal(r.code, 4, `apply --wait of a failing Job: ${r.code} ${r.stderr}`);
    assert.match(r.stdout, /job\.jobctl\.dev\/fails (created|unchanged)/);

    // Finished already: wait returns at once, 0 for the succeeded one, 4 for the failed one.
    assert.equal(await waitFinished('hello'), 0);
    assert.equal(await waitFinished('fails'), 4);
    const short = await c.cliRetry(['wait', 'job/fails', '--for=finished', '--timeout=60s']);
    assert.equal(short.code, 4, short.stderr);

    // Not finished yet when wait starts: it really waits.
    const slowOk = writeJob(m.dir, 'slow-ok', { image: E2E_IMAGE, command: ['sleep', '2'] });
    const slowFail = writeJob(m.dir, 'slow-fail', {
      image: E2E_IMAGE,
      command: ['sh', '-c', 'sleep 2; exit 3'],
      backoffLimit: 0,
    });
    await c.cliOk(['apply', '-f', slowOk]);
    await c.cliOk(['apply', '-f', slowFail]);
    const [ok, bad] = await Promise.all([waitFinished('slow-ok'), waitFinished('slow-fail')]);
    assert.equal(ok, 0);
    assert.equal(bad, 4);
    const failedRun = (await runsOf('slow-fail'))[0];
    assert.equal(failedRun?.status?.exitCode, 3);
    assert.equal(failedRun?.status?.reason, 'Error');
  });

  it('exit 1 with backoffLimit 2: exactly 3 Runs, Job Failed/BackoffLimitExceeded', async () => {
    const file = writeJob(m.dir, 'retry', {
      image: E2E_IMAGE,
      command: ['sh', '-c', 'echo attempt; exit 1'],
      backoffLimit: 2,
    });
    await c.cliOk(['apply', '-f', file]);
    assert.equal(await waitFinished('retry'), 4);

    const runNames = names(await c.cliOk(['get', 'runs', '-l', sel('retry'), '-o', 'name']));
    assert.deepEqual(runNames.sort(), ['retry-0', 'retry-1', 'retry-2']);
    for (const run of await runsOf('retry')) {
      assert.equal(run.status?.phase, 'Failed', run.metadata.name);
      assert.equal(run.status?.exitCode, 1, run.metadata.name);
      assert.equal(run.status?.reason, 'Error', run.metadata.name);
    }
    const job = await c.getJson<Job>('job', 'retry');
    assert.equal(job.status?.phase, 'Failed');
    assert.equal(job.status?.failed, 3);
    assert.equal(
      condition(job, 'Failed')?.reason,
      'BackoffLimitExceeded',
      JSON.stringify(job.status),
    );
    // Still three once the Job is final (no late extra attempt).
    const again = names(await c.cliOk(['get', 'runs', '-l', sel('retry'), '-o', 'name']));
    assert.equal(again.length, 3);
  });

  it('a memory bomb under 32Mi ends OOMKilled', async () => {
    const file = writeJob(m.dir, 'membomb', {
      image: E2E_IMAGE,
      command: ['sh', '-c', 'x=a; while true; do x=$x$x; done'],
      resources: { cpu: '500m', memory: '32Mi' },
      backoffLimit: 0,
    });
    await c.cliOk(['apply', '-f', file]);
    assert.equal(await waitFinished('membomb'), 4);
    const runs = await runsOf('membomb');
    assert.equal(runs.length, 1);
    assert.equal(runs[0]?.status?.phase, 'Failed');
    assert.equal(runs[0]?.status?.reason, 'OOMKilled', JSON.stringify(runs[0]?.status));
  });

  it('activeDeadlineSeconds lowered to 2 on a running sleep 600: container killed, Job Failed/DeadlineExceeded', async (t) => {
    // The deadline is set once the container runs, so there is always a running
    // container to kill, however long the engine takes to start it.
    const spec = {
      image: E2E_IMAGE,
      command: ['sleep', '600'],
      activeDeadlineSeconds: 3600,
      backoffLimit: 0,
    };
    await c.cliOk(['apply', '-f', writeJob(m.dir, 'deadline', spec)]);
    const running = await eventually('the deadline Run to be Running', async () => {
      const run = (await runsOf('deadline'))[0];
      return run?.status?.phase === 'Running' ? run : undefined;
    });
    const containerID = running.status?.containerID;
    assert.ok(containerID, JSON.stringify(running.status));
    const cs = await containersOfRun(running.metadata.uid);
    assert.ok(
      cs.some((x) => x.id === containerID && x.state === 'running'),
      `the Run's container is not running: ${JSON.stringify(cs)}`,
    );

    const t0 = Date.now();
    await c.cliOk([
      'apply',
      '-f',
      writeJob(m.dir, 'deadline', { ...spec, activeDeadlineSeconds: 2 }),
    ]);
    assert.equal(await waitFinished('deadline'), 4);
    t.diagnostic(`Job Failed ${Date.now() - t0} ms after the deadline was lowered`);
    const job = await c.getJson<Job>('job', 'deadline');
    assert.equal(job.status?.phase, 'Failed');
    assert.equal(condition(job, 'Failed')?.reason, 'DeadlineExceeded', JSON.stringify(job.status));
    // The container was killed: it is no longer running, well before sleep 600
    // ends, and the Run records its exit and the reason.
    await eventually(
      'the deadline container to stop',
      async () => {
        const now = await containersOfRun(running.metadata.uid);
        return now.every((x) => x.state !== 'running') ? true : undefined;
      },
      120_000,
    );
    assert.ok(Date.now() - t0 < 300_000, 'the container was not killed before sleep 600 ended');
    const run = await eventually('the deadline Run to be final', async () => {
      const r = (await runsOf('deadline'))[0];
      return r && isFinalRunPhase(r.status?.phase) ? r : undefined;
    });
    assert.equal(run.metadata.uid, running.metadata.uid);
    assert.equal(run.status?.reason, 'DeadlineExceeded', JSON.stringify(run.status));
    assert.equal(run.status?.containerID, containerID);
    assert.ok(
      run.status?.exitCode === 137 || run.status?.exitCode === 143,
      `exit code of a killed sleep: ${JSON.stringify(run.status)}`,
    );
  });

  it('the sandbox holds, asserted from inside the container', async () => {
    const script = [
      'fail() { echo "SANDBOX BROKEN: $*"; exit 1; }',
      'uid=$(id -u); [ "$uid" = 65534 ] || fail "uid $uid"',
      'if touch /x 2>/dev/null; then fail "root filesystem is writable"; fi',
      'echo probe > /tmp/probe && [ "$(cat /tmp/probe)" = probe ] || fail "/tmp not writable"',
      "ifaces=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | tr '\\n' ' ')",
      '[ "$ifaces" = "lo " ] || fail "interfaces: $ifaces"',
      "capeff=$(grep '^CapEff:' /proc/self/status | tr -d '\\t ')",
      '[ "$capeff" = CapEff:0000000000000000 ] || fail "$capeff"',
      "nnp=$(grep '^NoNewPrivs:' /proc/self/status | tr -d '\\t ')",
      '[ "$nnp" = NoNewPrivs:1 ] || fail "$nnp"',
      'echo "sandbox ok uid=$uid ifaces=$ifaces$capeff $nnp"',
    ].join('\n');
    const file = writeJob(m.dir, 'sandbox', {
      image: E2E_IMAGE,
      command: ['sh', '-c', script],
      backoffLimit: 0,
    });
    const r = await c.cliRetry(['apply', '-f', file, '--wait=300s']);
    const logs = await c.cliRetry(['logs', 'job/sandbox']);
    assert.equal(r.code, 0, `sandbox Job failed: ${logs.stdout}${logs.stderr}`);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(
      logs.stdout.trim(),
      'sandbox ok uid=65534 ifaces=lo CapEff:0000000000000000 NoNewPrivs:1',
    );
  });

  it('completions 10, parallelism 3: at most 3 active, exactly 10 succeed, over several nodes', async () => {
    const client = c.client();
    const ac = new AbortController();
    const active = new Set<string>();
    let maxActive = 0;
    const succeeded = new Set<string>();
    const seen = new Map<string, Resource>();
    // Watch from the current revision, so every Run of the Job is seen from its creation.
    const start = await client.list('runs', { labelSelector: sel('batch') });
    const watching = (async () => {
      const events = client.watch('runs', {
        labelSelector: sel('batch'),
        resourceVersion: start.resourceVersion,
        signal: ac.signal,
      });
      for await (const ev of events as AsyncIterable<WatchEvent>) {
        const run = ev.object as unknown as Run;
        const uid = run.metadata.uid;
        seen.set(uid, ev.object);
        if (ev.type === 'DELETED' || isFinalRunPhase(run.status?.phase)) active.delete(uid);
        else active.add(uid);
        if (run.status?.phase === 'Succeeded') succeeded.add(uid);
        maxActive = Math.max(maxActive, active.size);
      }
    })().catch((err: unknown) => {
      if (!ac.signal.aborted) throw err;
    });
    try {
      const file = writeJob(m.dir, 'batch', {
        image: E2E_IMAGE,
        command: ['sh', '-c', 'echo item; sleep 1'],
        completions: 10,
        parallelism: 3,
        resources: { cpu: '250m', memory: '64Mi' },
      });
      const r = await c.cliRetry(['apply', '-f', file, '--wait=300s'], { timeoutMs: 320_000 });
      assert.equal(r.code, 0, r.stderr);
      await eventually('the watch to see 10 Succeeded Runs', () =>
        succeeded.size >= 10 ? true : undefined,
      );
    } finally {
      ac.abort();
      await watching;
    }
    assert.ok(maxActive <= 3, `saw ${maxActive} Runs active at once`);
    assert.equal(maxActive, 3, 'parallelism 3 was used');
    const runs = await runsOf('batch');
    assert.equal(runs.filter((r) => r.status?.phase === 'Succeeded').length, 10);
    assert.equal(
      runs.length,
      10,
      runs.map((r) => `${r.metadata.name}:${r.status?.phase}`).join(' '),
    );
    const nodes = new Set(runs.map((r) => r.spec.nodeName));
    assert.ok(nodes.size > 1, `all Runs on ${[...nodes].join(',')}`);
    const job = await c.getJson<Job>('job', 'batch');
    assert.equal(job.status?.succeeded, 10);
    assert.equal(job.status?.phase, 'Succeeded');
  });

  it('delete of a running Job removes its container within seconds', async (t) => {
    const file = writeJob(m.dir, 'sleeper', { image: E2E_IMAGE, command: ['sleep', '60'] });
    await c.cliOk(['apply', '-f', file]);
    const run = await eventually('the sleeper Run to be Running', async () => {
      const r = (await runsOf('sleeper'))[0];
      return r?.status?.phase === 'Running' ? r : undefined;
    });
    const before = await containersOfRun(run.metadata.uid);
    assert.deepEqual(
      before.map((x) => x.state),
      ['running'],
    );
    const t0 = Date.now();
    await c.cliOk(['delete', 'job', 'sleeper']);
    await eventually(
      `no container labelled jobctl.run.uid=${run.metadata.uid}`,
      async () => ((await containersOfRun(run.metadata.uid)).length === 0 ? true : undefined),
      20_000,
    );
    const gone = Date.now() - t0;
    t.diagnostic(`container removed ${gone} ms after delete`);
    assert.ok(gone < 15_000, `container removed after ${gone} ms`);
    await eventually('the Job and its Runs to be gone', async () => {
      const job = await c.cli(['get', 'job', 'sleeper']);
      const runs = names(await c.cliOk(['get', 'runs', '-l', sel('sleeper'), '-o', 'name']));
      return job.code === 1 && runs.length === 0 ? true : undefined;
    });
  });

  it("a missing image fails the Run with ImagePullFailed and Docker's message", async () => {
    const image = 'jobctl/does-not-exist:1';
    // What the engine itself says about it (registry unreachable, or not found).
    const dockerSays = await getDocker()
      .pull(image)
      .then(
        (stream: NodeJS.ReadableStream) =>
          new Promise<string>((resolve) => {
            let text = '';
            stream.on('data', (d) => (text += String(d)));
            stream.on('end', () => resolve(text));
          }),
      )
      .catch(
        (err: { json?: { message?: string }; message: string }) => err.json?.message ?? err.message,
      );
    const file = writeJob(m.dir, 'noimage', { image, command: ['true'], backoffLimit: 0 });
    await c.cliOk(['apply', '-f', file]);
    assert.equal(await waitFinished('noimage'), 4);
    const run = (await runsOf('noimage'))[0];
    assert.equal(run?.status?.phase, 'Failed', JSON.stringify(run?.status));
    assert.equal(run?.status?.reason, 'ImagePullFailed');
    const msg = run?.status?.message ?? '';
    assert.ok(msg.includes(image), msg);
    // dockerode prefixes the daemon's text with "(HTTP code 500) server error - ".
    const daemonText = String(dockerSays).replace(/^\(HTTP code \d+\)[^-]*- /, '');
    const core = daemonText.trim().split('\n')[0]?.slice(0, 60) ?? '';
    assert.ok(
      core.length > 0 && msg.includes(core),
      `Run message "${msg}" lacks Docker's "${core}"`,
    );
    const job = await c.getJson<Job>('job', 'noimage');
    assert.equal(job.status?.phase, 'Failed');
  });
});
