// The Runtime contract suite (STYLE §5, habit 8): FakeRuntime and ProcessRuntime run it
// from test/unit/runtime/, DockerRuntime from test/e2e/runtime-docker.test.ts.
//
//   runRuntimeContract('ProcessRuntime', async () => ({ runtime, logDir, image, ..., cleanup }));
//
// Every test uses a fresh runUid, so tests never see each other's containers except in
// list(), where they look only for their own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  isRuntimeError,
  RUN_UID_LABEL,
  MANAGED_LABEL,
  type RunContainerSpec,
  type Runtime,
  type RuntimeEvent,
} from '../../../pkg/runtime/index.js';

export interface RuntimeHarness {
  readonly runtime: Runtime;
  /** Directory for the tests' log files. */
  readonly logDir: string;
  /** Image for every spec (ignored by the process runtime). */
  readonly image: string;
  /** Labels added to every spec (e.g. for a cleanup sweep of leftovers). */
  readonly labels?: Record<string, string>;
  /** How many starts the runtime really made for a runUid, when it can tell. */
  readonly startsFor?: (runUid: string) => number;
  readonly cleanup: () => Promise<void>;
}

export interface ContractOptions {
  /** A reason to skip the whole suite (e.g. Docker unavailable locally), or false. */
  readonly skip?: string | false;
  /** Per-test timeout. Default 60 s. */
  readonly timeout?: number;
  /**
   * Why tests that need a real command (env, workingDir, exec failures) are skipped, or
   * false (the default) when the runtime executes commands. FakeRuntime only scripts them.
   */
  readonly noRealCommands?: string | false;
}

/** A fresh runUid; uuid-shaped like the store's. */
export function newRunUid(): string {
  const h = randomBytes(16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The file's text, or '' if it does not exist yet. */
export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

export function runRuntimeContract(
  name: string,
  factory: () => Promise<RuntimeHarness>,
  opts: ContractOptions = {},
): void {
  const timeout = opts.timeout ?? 60_000;
  const noRealCommands = opts.noRealCommands ?? false;
  describe(`Runtime contract: ${name}`, { skip: opts.skip ?? false, timeout }, () => {
    let h: RuntimeHarness;
    let rt: Runtime;

    before(async () => {
      h = await factory();
      rt = h.runtime;
    });
    after(async () => {
      await h?.cleanup();
    });

    function spec(command: string[], extra: Partial<RunContainerSpec> = {}): RunContainerSpec {
      const runUid = extra.runUid ?? newRunUid();
      return {
        image: h.image,
        imagePullPolicy: 'IfNotPresent',
        command,
        env: [],
        resources: { cpu: '500m', memory: '64Mi' },
        sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
        runUid,
        labels: { ...h.labels },
        logPath: join(h.logDir, `${runUid}.log`),
        ...extra,
      };
    }

    const sh = (script: string): string[] => ['sh', '-c', script];

    it('ping resolves', async () => {
      await rt.ping();
    });

    it('runs a command to exit 0 and captures its output in logPath', async () => {
      const events: RuntimeEvent[] = [];
      const s = spec(sh('echo hello; echo oops >&2'), { onEvent: (ev) => events.push(ev) });
      const { containerId } = await rt.start(s);
      assert.ok(containerId);
      const exit = await rt.wait(containerId);
      assert.equal(exit.exitCode, 0);
      assert.equal(exit.reason, 'Completed');
      assert.equal(exit.oomKilled, false);
      assert.ok(!Number.isNaN(Date.parse(exit.finishedAt)), exit.finishedAt);
      const log = await readText(s.logPath ?? '');
      assert.match(log, /^hello$/m);
      assert.match(log, /^oops$/m);
      const types = events.map((e) => e.type);
      assert.ok(types.indexOf('Created') < types.indexOf('Started'), types.join(','));
      assert.ok(types.includes('Started'), types.join(','));
    });

    it('reports a non-zero exit as Error with its code', async () => {
      const { containerId } = await rt.start(spec(sh('exit 3')));
      const exit = await rt.wait(containerId);
      assert.equal(exit.exitCode, 3);
      assert.equal(exit.reason, 'Error');
      const info = await rt.inspect(containerId);
      assert.equal(info.state, 'exited');
      assert.equal(info.exitCode, 3);
    });

    it('lists its containers with runUid, labels and state', async () => {
      const s = spec(sh('exit 0'), { labels: { ...h.labels, team: 'data' } });
      const { containerId } = await rt.start(s);
      await rt.wait(containerId);
      const mine = (await rt.list()).filter((c) => c.runUid === s.runUid);
      assert.equal(mine.length, 1);
      const [c] = mine;
      assert.equal(c?.containerId, containerId);
      assert.equal(c?.state, 'exited');
      assert.equal(c?.exitCode, 0);
      assert.equal(c?.labels[RUN_UID_LABEL], s.runUid);
      assert.equal(c?.labels[MANAGED_LABEL], 'true');
      assert.equal(c?.labels.team, 'data');
      assert.ok(c?.startedAt && !Number.isNaN(Date.parse(c.startedAt)), c?.startedAt);
    });

    it('starts a runUid once: a repeated or concurrent start returns the same container', async () => {
      const s = spec(sh('echo started-once'));
      const [a, b] = await Promise.all([rt.start(s), rt.start(s)]);
      assert.equal(a.containerId, b.containerId);
      await rt.wait(a.containerId);
      const again = await rt.start(s);
      assert.equal(again.containerId, a.containerId);
      assert.equal((await rt.list()).filter((c) => c.runUid === s.runUid).length, 1);
      // The output appears once: the command really ran once.
      await rt.wait(a.containerId);
      const log = await readText(s.logPath ?? '');
      assert.equal(log.match(/started-once/g)?.length, 1, log);
      if (h.startsFor) assert.equal(h.startsFor(s.runUid), 1);
    });

    it('kills a long sleep promptly (SIGTERM, then SIGKILL after the grace period)', async () => {
      const { containerId } = await rt.start(spec(['sleep', '600']));
      await waitFor('running', async () => (await rt.inspect(containerId)).state === 'running');
      const began = Date.now();
      await rt.kill(containerId, { graceMs: 2000 });
      const exit = await rt.wait(containerId);
      assert.ok(Date.now() - began < 15_000, `kill took ${Date.now() - began} ms`);
      assert.notEqual(exit.exitCode, 0);
      assert.equal((await rt.inspect(containerId)).state, 'exited');
      await rt.kill(containerId, { graceMs: 0 }); // killing an exited container is fine
    });

    it('remove deletes the container, keeps the log, and is idempotent', async () => {
      const s = spec(sh('echo kept'));
      const { containerId } = await rt.start(s);
      await rt.wait(containerId);
      await rt.remove(containerId);
      assert.equal((await rt.list()).filter((c) => c.runUid === s.runUid).length, 0);
      await assert.rejects(rt.inspect(containerId), (err: unknown) =>
        isRuntimeError(err, 'ContainerNotFound'),
      );
      await rt.remove(containerId);
      assert.match(await readText(s.logPath ?? ''), /kept/);
    });

    it('remove kills a running container', async () => {
      const { containerId } = await rt.start(spec(['sleep', '600']));
      await rt.remove(containerId);
      await assert.rejects(rt.inspect(containerId), (err: unknown) =>
        isRuntimeError(err, 'ContainerNotFound'),
      );
    });

    it('unknown containers are ContainerNotFound for inspect, wait, kill', async () => {
      const id = 'no-such-container-0123456789';
      const calls = [() => rt.inspect(id), () => rt.wait(id), () => rt.kill(id, { graceMs: 0 })];
      for (const call of calls) {
        await assert.rejects(call(), (err: unknown) => isRuntimeError(err, 'ContainerNotFound'));
      }
    });

    it('honours env and workingDir', { skip: noRealCommands }, async () => {
      const s = spec(sh('echo "$GREETING from $(pwd)"'), {
        env: [{ name: 'GREETING', value: 'hi there' }],
        workingDir: '/tmp',
      });
      const { containerId } = await rt.start(s);
      assert.equal((await rt.wait(containerId)).exitCode, 0);
      assert.match(await readText(s.logPath ?? ''), /^hi there from \/tmp$/m);
    });

    it('a command that cannot be executed fails the run', { skip: noRealCommands }, async () => {
      // Either start() rejects with StartFailed and leaves nothing behind (process), or
      // the container's init reports the failed exec as exit 127 (docker-init/tini).
      const s = spec(['/no/such/binary']);
      const started = await rt.start(s).then(
        (r) => r,
        (err: unknown) => {
          assert.ok(isRuntimeError(err, 'StartFailed'), String(err));
          return undefined;
        },
      );
      if (started) {
        const exit = await rt.wait(started.containerId);
        assert.equal(exit.exitCode, 127);
        assert.equal(exit.reason, 'Error');
      } else {
        assert.equal((await rt.list()).filter((c) => c.runUid === s.runUid).length, 0);
      }
    });
  });
}
