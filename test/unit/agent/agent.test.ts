// The agent against a real in-memory store and the FakeRuntime, on one
// FakeClock: start and report, outcomes, batching, cancel, deadline, delete,
// orphans, restart adoption, fencing, runtime outages.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { NODE_LABEL, RUN_NAME_LABEL, runLogPath } from '../../../pkg/agent/index.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import type { ContainerInfo } from '../../../pkg/runtime/index.js';
import type { Run } from '../../../pkg/store/index.js';
import { eventually } from '../../support/eventually.js';
import { Bench, container, gatedClient, NODE } from './helpers.js';

let b: Bench;
beforeEach(async () => {
  b = await new Bench().init();
});
afterEach(async () => {
  await b.cleanup();
});

/** Containers the runtime still has. */
async function containers(): Promise<string[]> {
  return (await b.runtime.list()).map((c) => c.runUid);
}

describe('starting and reporting', () => {
  it('starts a bound Run, reports Running, then Succeeded with exit 0', async () => {
    const run = await b.createRun('ok', { command: 'sleep 5; echo hi' });
    b.agent().start();
    await b.until('Running', () => b.phase('ok') === 'Running');
    const running = b.run('ok').status;
    assert.match(running.containerID ?? '', /^fake-/);
    assert.ok(running.startedAt);
    assert.equal(b.runtime.startsFor(run.metadata.uid), 1);

    await b.until('Succeeded', () => b.phase('ok') === 'Succeeded');
    const done = b.run('ok').status;
    assert.equal(done.exitCode, 0);
    assert.equal(done.reason, 'Completed');
    assert.equal(done.containerID, running.containerID);
    assert.equal(done.startedAt, running.startedAt);
    assert.ok(done.finishedAt && done.finishedAt > (running.startedAt ?? ''));
    assert.equal(b.runtime.startsFor(run.metadata.uid), 1);
    // The finished container is removed once the result is recorded; the log stays.
    await b.until('container removed', async () => (await containers()).length === 0);
    assert.equal(await readFile(runLogPath(b.dataDir, run.metadata.uid), 'utf8'), 'hi\n');
    // No Event of its own for success (a Pod gets none either); its Job records Completed.
    assert.deepEqual(b.recorder.reasons('ok'), ['Started']);
  });

  it('reports Failed/Error with the exit code', async () => {
    await b.createRun('bad', { command: 'sleep 1; exit 3' });
    b.agent().start();
    await b.until('Failed', () => b.phase('bad') === 'Failed');
    const s = b.run('bad').status;
    assert.equal(s.exitCode, 3);
    assert.equal(s.reason, 'Error');
    assert.equal(s.message, 'container exited with code 3');
    assert.deepEqual(b.recorder.reasons('bad'), ['Started', 'Failed']);
  });

  it('reports Failed/OOMKilled', async () => {
    await b.createRun('oom', { command: 'oom' });
    b.agent().start();
    await b.until('Failed', () => b.phase('oom') === 'Failed');
    assert.equal(b.run('oom').status.reason, 'OOMKilled');
    assert.equal(b.run('oom').status.exitCode, 137);
  });

  it('reports Failed/ImagePullFailed with the engine message, and Failed/Error for a start failure', async () => {
    const pull = await b.createRun('pull', { image: 'missing:1' });
    const start = await b.createRun('start');
    b.runtime.setOutcome(start.metadata.uid, { startError: 'exec: "nope": not found' });
    b.agent().start();
    await b.until(
      'both failed',
      () => b.phase('pull') === 'Failed' && b.phase('start') === 'Failed',
    );
    const p = b.run('pull').status;
    assert.equal(p.reason, 'ImagePullFailed');
    assert.match(p.message ?? '', /pull access denied for missing/);
    assert.ok(p.finishedAt);
    const s = b.run('start').status;
    assert.equal(s.reason, 'Error');
    assert.equal(s.message, 'exec: "nope": not found');
    assert.equal(b.runtime.startsFor(pull.metadata.uid), 0);
    // One Warning each (not one from the start failure and another from its report).
    assert.deepEqual(b.recorder.reasons('pull'), ['Failed']);
    assert.deepEqual(b.recorder.reasons('start'), ['Failed']);
  });

  it('ignores Runs bound to other nodes', async () => {
    await b.createRun('elsewhere', { node: 'n2' });
    const agent = b.agent();
    agent.start();
    await b.until('synced', () => agent.isSynced());
    await b.elapse(1000);
    assert.equal(b.phase('elsewhere'), 'Scheduled');
    assert.equal(b.runtime.starts.length, 0);
    assert.equal(b.proposer.proposals, 0);
  });
});

describe('status batching', () => {
  it('writes the outcomes of 100 Runs finishing together as one batch proposal', async () => {
    const n = 100;
    for (let i = 0; i < n; i++) await b.createRun(`r${i}`, { command: 'sleep 1' });
    b.agent().start();
    await b.until(
      'all Running',
      () => {
        for (let i = 0; i < n; i++) if (b.phase(`r${i}`) !== 'Running') return false;
        return true;
      },
      // Real pauses keep fake time from outrunning 100 starts on a loaded
      // machine: all must run before they exit (1 s) and report in one window.
      { stepMs: 1, maxMs: 999, pauseMs: 2 },
    );
    const runningProposals = b.proposer.proposals;
    assert.equal(runningProposals, 1, '100 Running reports in one proposal');

    b.clock.advance(1000); // every container exits at the same instant
    await b.until('all Succeeded', () => {
      for (let i = 0; i < n; i++) if (b.phase(`r${i}`) !== 'Succeeded') return false;
      return true;
    });
    const finals = b.proposer.batches.slice(runningProposals);
    assert.equal(finals.length, 1, 'one Raft entry for 100 outcomes');
    assert.equal(finals[0]?.commands.length, n);
    assert.ok(
      finals[0]?.commands.every((c) => c.op === 'updateStatus' && c.fence?.nodeName === NODE),
    );
  });

  it('writes a Run whose container exits before its Running report goes out once, final', async () => {
    // One worker, busy with a start that hangs: the Run's own reconcile after
    // its exit waits behind it, past the reporter's window. The exit is
    // reported when its wait() returns, so the Running report never goes out.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let holding = false;
    const waited = new Set<string>();
    const inner = b.runtime;
    const runtime = new Proxy(inner, {
      get(target, prop, receiver) {
        if (prop === 'start') {
          return async (spec: Parameters<typeof inner.start>[0]) => {
            if (spec.labels?.[RUN_NAME_LABEL] !== 'a-quick') {
              holding = true;
              await held;
            }
            return target.start(spec);
          };
        }
        if (prop === 'wait') {
          return (id: string) =>
            target.wait(id).then((exit) => {
              waited.add(id);
              return exit;
            });
        }
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    const agent = b.agent({ runtime, options: { workers: 1 } });
    try {
      agent.start();
      await b.until('synced', () => agent.isSynced() && agent.runtimeReady().ready);
      // Queued in this order: the quick one starts first, then the held start takes the worker.
      const quick = await b.createRun('a-quick', { command: 'echo hi' });
      await b.createRun('b-held', { command: 'sleep 1' });
      // Real time, not turns: the quick exit's wait() flushes its log file through the
      // thread pool, which a loaded machine can hold up for far more than 1,000 turns.
      // The fake clock stands still meanwhile, so the reporter's window cannot end.
      const deadline = Date.now() + 30_000;
      while (!(holding && waited.size === 1) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 1));
      }
      assert.ok(holding && waited.size === 1, 'the held start began and the quick exit was seen');
      await b.settle(3);
      b.clock.advance(60); // the reporter's window ends while the worker is still held
      await b.until('a-quick reported', () => b.phase('a-quick') !== 'Scheduled');
      release();
      await b.until('both Succeeded', () => {
        return b.phase('a-quick') === 'Succeeded' && b.phase('b-held') === 'Succeeded';
      });
      const quickWrites = b.proposer.batches
        .flatMap((batch) => batch.commands)
        .filter((c) => c.op === 'updateStatus' && c.object.metadata.uid === quick.metadata.uid)
        .map((c) => (c.op === 'updateStatus' ? c.object.status : undefined));
      assert.equal(quickWrites.length, 1, 'one status write for the Run');
      const s = quickWrites[0] as Run['status'];
      assert.equal(s.phase, 'Succeeded');
      assert.ok(s.startedAt && s.finishedAt, 'startedAt and finishedAt in the one write');
    } finally {
      release(); // never leave the worker held for cleanup()
    }
    assert.deepEqual(b.recorder.reasons('a-quick'), ['Started']);
  });

  it('makes no writes in a steady state', async () => {
    await b.createRun('ok', { command: 'sleep 1' });
    b.agent().start();
    await b.until('Succeeded', () => b.phase('ok') === 'Succeeded');
    await b.until('removed', async () => (await containers()).length === 0);
    const writes = b.proposer.proposals;
    const rv = b.run('ok').metadata.resourceVersion;
    b.clock.advance(10_000); // a sweep
    b.clock.advance(10_000);
    await b.settle();
    assert.equal(b.proposer.proposals, writes);
    assert.equal(b.run('ok').metadata.resourceVersion, rv);
  });

  it('retries a batch whose proposal failed, then writes it', async () => {
    await b.createRun('ok', { command: 'sleep 1' });
    b.proposer.failWith = new JobctlError(Reason.Timeout, 'proposal timed out');
    b.agent().start();
    await b.until('a failed proposal', () => b.proposer.proposals >= 2);
    assert.equal(b.phase('ok'), 'Scheduled');
    b.proposer.failWith = undefined;
    await b.until('Succeeded', () => b.phase('ok') === 'Succeeded');
  });
});

describe('stopping Runs', () => {
  it('kills a cancelled Run and reports Cancelled with the cancel reason', async () => {
    const run = await b.createRun('c', { command: 'sleep 60' });
    b.agent().start();
    await b.until('Running', () => b.phase('c') === 'Running');
    const copy = structuredClone(b.run('c')) as Run;
    copy.spec.cancelled = true;
    copy.spec.cancelReason = 'Suspended';
    await b.client.update(copy as never);
    await b.until('Cancelled', () => b.phase('c') === 'Cancelled');
    const s = b.run('c').status;
    assert.equal(s.reason, 'Suspended');
    assert.equal(s.exitCode, 143);
    assert.ok(s.finishedAt);
    assert.ok(b.recorder.reasons('c').includes('Killing'));
    await b.until('removed', async () => (await containers()).length === 0);
    assert.equal(b.runtime.startsFor(run.metadata.uid), 1);
  });

  it('never starts a Run that is cancelled before it starts', async () => {
    const run = await b.createRun('c', { cancelled: 'JobFinished' });
    b.agent().start();
    await b.until('Cancelled', () => b.phase('c') === 'Cancelled');
    assert.equal(b.run('c').status.reason, 'JobFinished');
    assert.equal(b.runtime.startsFor(run.metadata.uid), 0);
  });

  it('kills a Run past spec.activeDeadlineSeconds: Failed/DeadlineExceeded', async () => {
    const run = await b.createRun('d', { command: 'sleep 60', activeDeadlineSeconds: 2 });
    b.agent().start();
    await b.until('Running', () => b.phase('d') === 'Running');
    const deadline = Date.parse(b.run('d').status.startedAt ?? '') + 2000;
    const containerOf = async (): Promise<ContainerInfo | undefined> =>
      (await b.runtime.list()).find((c) => c.runUid === run.metadata.uid);

    // The fake clock moves only when this test moves it, so the stamps below are
    // exact however slowly the machine runs; the waits are on conditions.
    // 1 ms short of the deadline the container still runs...
    b.clock.advance(deadline - 1 - b.clock.now());
    await b.settle();
    assert.equal((await containerOf())?.state, 'running');
    assert.equal(b.phase('d'), 'Running');
    // ...and at the deadline the agent kills it, with no more time passing.
    b.clock.advance(1);
    await eventually('the container killed at the deadline', async () =>
      (await containerOf())?.state === 'exited' ? true : undefined,
    );
    assert.equal((await containerOf())?.finishedAt, new Date(deadline).toISOString());

    await b.until('Failed', () => b.phase('d') === 'Failed');
    const s = b.run('d').status;
    assert.equal(s.reason, 'DeadlineExceeded');
    assert.match(s.message ?? '', /active deadline of 2s/);
    assert.equal(s.finishedAt, new Date(deadline).toISOString());
  });

  it('kills and removes the container of a deleted Run, with no report', async () => {
    const run = await b.createRun('gone', { command: 'sleep 60; echo x' });
    b.agent().start();
    await b.until('Running', () => b.phase('gone') === 'Running');
    const writes = b.proposer.proposals;
    await b.client.delete('Run', 'default', 'gone');
    await b.until('removed', async () => (await containers()).length === 0);
    assert.equal(b.proposer.proposals, writes);
    // The log file is kept (the runtime closes it as it removes the container).
    const log = runLogPath(b.dataDir, run.metadata.uid);
    await b.until(
      'log written',
      async () => (await readFile(log, 'utf8').catch(() => '')) === 'x\n',
    );
  });

  it('removes orphan containers (our labels, no Run) at start and on later sweeps', async () => {
    await b.runtime.start({ ...container('sleep 60'), runUid: 'ghost-1' });
    const agent = b.agent();
    agent.start();
    await b.until('first orphan removed', async () => (await containers()).length === 0);
    await b.runtime.start({ ...container('sleep 60'), runUid: 'ghost-2' });
    await b.until('second orphan removed', async () => (await containers()).length === 0, {
      stepMs: 100,
    });
    assert.equal(agent.stats.orphansRemoved, 2);
  });

  it("leaves alone containers another node's agent started on a shared engine", async () => {
    await b.runtime.start({
      ...container('sleep 60'),
      runUid: 'theirs',
      labels: { [NODE_LABEL]: 'n2' },
    });
    const agent = b.agent();
    agent.start();
    await b.until('synced', () => agent.isSynced());
    await b.elapse(20_000, 100); // two sweeps
    assert.deepEqual(await containers(), ['theirs']);
    assert.equal(agent.stats.orphansRemoved, 0);
  });
});

describe('restart adoption', () => {
  it('adopts a running container and records one that finished while it was down; starts each Run once', async () => {
    const long = await b.createRun('long', { command: 'sleep 10' });
    const short = await b.createRun('short', { command: 'sleep 2; exit 4' });
    const first = b.agent();
    first.start();
    await b.until(
      'both Running',
      () => b.phase('long') === 'Running' && b.phase('short') === 'Running',
    );
    const longId = b.run('long').status.containerID;
    await first.stop(); // jobd killed; the containers live on in the engine
    b.clock.advance(3000); // "short" exits while no agent is watching
    assert.equal(b.phase('short'), 'Running');

    const second = b.agent();
    second.start();
    // Recorded before "long" ends at fake 10 s, however slowly the files are read.
    await b.until('short recorded', () => b.phase('short') === 'Failed', {
      stepMs: 1,
      maxMs: 5000,
      pauseMs: 2,
    });
    assert.equal(b.run('short').status.exitCode, 4);
    assert.equal(b.phase('long'), 'Running');
    assert.equal(b.run('long').status.containerID, longId);
    await b.until('long Succeeded', () => b.phase('long') === 'Succeeded');
    assert.equal(b.run('long').status.containerID, longId);
    assert.equal(b.runtime.startsFor(long.metadata.uid), 1);
    assert.equal(b.runtime.startsFor(short.metadata.uid), 1);
    assert.equal(second.stats.starts, 0);
  });

  it('adopts a container started just before a crash (no Running report yet)', async () => {
    const run = await b.createRun('r', { command: 'sleep 5' });
    // The previous agent started the container and died before reporting.
    const { containerId } = await b.runtime.start({
      ...run.spec.container,
      runUid: run.metadata.uid,
      logPath: runLogPath(b.dataDir, run.metadata.uid),
    });
    b.agent().start();
    await b.until('Running', () => b.phase('r') === 'Running', { stepMs: 1 });
    assert.equal(b.run('r').status.containerID, containerId);
    await b.until('Succeeded', () => b.phase('r') === 'Succeeded');
    assert.equal(b.runtime.startsFor(run.metadata.uid), 1);
  });

  it('does not start a Run again whose recorded container has vanished', async () => {
    const run = await b.createRun('r', {
      status: { phase: 'Running', containerID: 'fake-gone', startedAt: '2023-11-14T22:13:20.000Z' },
    });
    b.agent().start();
    await b.until('Failed', () => b.phase('r') === 'Failed');
    assert.match(b.run('r').status.message ?? '', /container fake-gone disappeared/);
    assert.equal(b.runtime.startsFor(run.metadata.uid), 0);
  });
});

describe('fencing', () => {
  it('has its report refused once the Run is Lost, removes the container, and the Run stays Lost', async () => {
    const gated = gatedClient(b.client);
    const run = await b.createRun('r', { command: 'sleep 60' });
    const agent = b.agent({ client: gated.client });
    agent.start();
    await b.until('Running', () => b.phase('r') === 'Running');
    const id = b.run('r').status.containerID as string;

    gated.pause(); // this node hears nothing more ...
    const lost = structuredClone(b.run('r')) as Run;
    lost.status = { ...lost.status, phase: 'Lost', reason: 'NodeLost' };
    await b.client.updateStatus(lost as never); // ... while node lifecycle declares its Run Lost
    b.runtime.finish(id, { exitCode: 0 }); // then the container finishes

    await b.until('report refused', () => agent.stats.refused === 1);
    await b.until('container removed', async () => (await containers()).length === 0);
    assert.equal(b.phase('r'), 'Lost');
    assert.equal(b.run('r').status.reason, 'NodeLost');
    gated.resume();
    await b.elapse(500);
    assert.equal(b.phase('r'), 'Lost');
    assert.equal(b.runtime.startsFor(run.metadata.uid), 1);
  });

  it('a node coming back kills the containers of Runs declared Lost meanwhile, reporting nothing', async () => {
    await b.createRun('r', { command: 'sleep 60' });
    const first = b.agent();
    first.start();
    await b.until('Running', () => b.phase('r') === 'Running');
    await first.stop();
    const lost = structuredClone(b.run('r')) as Run;
    lost.status = { ...lost.status, phase: 'Lost', reason: 'NodeLost' };
    await b.client.updateStatus(lost as never);
    const writes = b.proposer.proposals;

    b.agent().start();
    await b.until('container removed', async () => (await containers()).length === 0);
    assert.equal(b.phase('r'), 'Lost');
    assert.equal(b.proposer.proposals, writes);
  });
});

describe('log copies', () => {
  it('offers each final Run once its container is gone (a Lost one with a container too) and forgets deleted Runs', async () => {
    const offered: string[] = [];
    const forgotten: string[] = [];
    const logCopies = {
      offer: (r: Run) => offered.push(`${r.metadata.name}:${r.status.phase}`),
      forget: (uid: string) => forgotten.push(uid),
      retryFailed: () => {},
    };
    const ok = await b.createRun('ok', { command: 'echo hi' });
    await b.createRun('r', { command: 'sleep 60' });
    const first = b.agent({ logCopies });
    first.start();
    await b.until(
      'ok offered, r Running',
      () => offered.includes('ok:Succeeded') && b.phase('r') === 'Running',
    );
    assert.ok(!offered.some((o) => o.startsWith('r:')), 'a running Run is not offered');
    await first.stop();
    const lost = structuredClone(b.run('r')) as Run;
    lost.status = { ...lost.status, phase: 'Lost', reason: 'NodeLost' };
    await b.client.updateStatus(lost as never);

    b.agent({ logCopies }).start();
    await b.until('r offered', () => offered.includes('r:Lost'));
    assert.deepEqual(await containers(), []);
    await b.client.delete('Run', 'default', 'ok');
    await b.until('ok forgotten', () => forgotten.includes(ok.metadata.uid));
  });

  it('has failed copies tried again at every container sweep, with no informer resync', async () => {
    let retries = 0;
    const logCopies = { offer: () => {}, forget: () => {}, retryFailed: () => void retries++ };
    b.agent({ logCopies, options: { sweepMs: 10_000 } }).start();
    await b.elapse(20_000, 100); // two sweeps
    assert.equal(retries, 2);
  });
});

describe('runtime availability', () => {
  it('reports RuntimeReady false while the runtime is down, starts nothing, and recovers', async () => {
    b.runtime.setAvailable(false);
    await b.createRun('r', { command: 'sleep 1' });
    const agent = b.agent({ options: { pingIntervalMs: 1000, pingRetryMs: 100 } });
    agent.start();
    await b.until('not ready', () => agent.runtimeReady().message.includes('unavailable'));
    assert.equal(agent.runtimeReady().ready, false);
    await b.elapse(3000, 50);
    assert.equal(b.runtime.starts.length, 0);
    assert.equal(b.phase('r'), 'Scheduled');

    b.runtime.setAvailable(true);
    await b.until('ready', () => agent.runtimeReady().ready);
    await b.until('Succeeded', () => b.phase('r') === 'Succeeded');
  });

  it('survives the runtime going away under a running container', async () => {
    await b.createRun('r', { command: 'sleep 5' });
    const agent = b.agent({ options: { pingIntervalMs: 200, pingRetryMs: 100 } });
    agent.start();
    await b.until('Running', () => b.phase('r') === 'Running');
    b.runtime.setAvailable(false);
    await b.until('not ready', () => !agent.runtimeReady().ready);
    b.clock.advance(6000); // the container exits while the runtime is unreachable
    b.runtime.setAvailable(true);
    await b.until('Succeeded', () => b.phase('r') === 'Succeeded');
    await b.until('ready again', () => agent.runtimeReady().ready);
    await b.until('container removed', async () => (await containers()).length === 0);
  });
});

describe('graceful shutdown (drain)', () => {
  it('lets a running Run finish within the grace period and starts nothing new', async () => {
    await b.createRun('short', { command: 'sleep 5' });
    const agent = b.agent();
    agent.start();
    await b.until('Running', () => b.phase('short') === 'Running');
    const drained = agent.drain({ graceMs: 30_000 });
    await b.settle();
    // Bound here after the drain began (before the cordon landed): never started.
    const late = await b.createRun('late', { command: 'sleep 1' });
    let result: Awaited<typeof drained> | undefined;
    void drained.then((r) => (result = r));
    await b.until('drained', () => result !== undefined);
    assert.deepEqual(result, { stopped: 0, left: 0 });
    assert.equal(b.phase('short'), 'Succeeded');
    assert.equal(b.phase('late'), 'Lost');
    assert.equal(b.run('late').status.reason, 'NodeShutdown');
    assert.equal(b.runtime.startsFor(late.metadata.uid), 0);
  });

  it('stops what still runs when the grace period ends: Lost/NodeShutdown, not Failed', async () => {
    await b.createRun('long', { command: 'sleep 600' });
    const agent = b.agent();
    agent.start();
    await b.until('Running', () => b.phase('long') === 'Running');
    const started = b.clock.now();
    let result: { stopped: number; left: number } | undefined;
    void agent.drain({ graceMs: 2_000 }).then((r) => (result = r));
    // Real pauses: the kill and its report are I/O, which fake time must not outrun.
    await b.until('drained', () => result !== undefined, { pauseMs: 2 });
    assert.deepEqual(result, { stopped: 1, left: 0 });
    const s = b.run('long').status;
    assert.equal(s.phase, 'Lost');
    assert.equal(s.reason, 'NodeShutdown');
    assert.match(s.message ?? '', /node .* shut down/);
    // Not before the grace period was over.
    assert.ok(Date.parse(s.finishedAt ?? '') >= started + 2_000, s.finishedAt);
    assert.ok(b.recorder.reasons('long').includes('Killing'));
  });

  it('a second signal (cutShort) ends the grace period early', async () => {
    await b.createRun('long', { command: 'sleep 600' });
    const agent = b.agent();
    agent.start();
    await b.until('Running', () => b.phase('long') === 'Running');
    const started = b.clock.now();
    const cut = new AbortController();
    let result: { stopped: number; left: number } | undefined;
    void agent.drain({ graceMs: 300_000, cutShort: cut.signal }).then((r) => (result = r));
    await b.elapse(500);
    assert.equal(result, undefined);
    cut.abort();
    await b.until('drained', () => result !== undefined, { pauseMs: 2 });
    assert.deepEqual(result, { stopped: 1, left: 0 });
    assert.equal(b.phase('long'), 'Lost');
    assert.ok(b.clock.now() - started < 300_000);
  });
});
