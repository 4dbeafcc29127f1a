// A test bench for the agent: a real in-memory store (newTestClient), a
// FakeRuntime and the agent sharing one FakeClock, a proposer that counts the
// agent's proposals, and condition waits that drive the fake clock instead of
// sleeping (each turn lets promises and I/O run, then moves time by stepMs).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, type AgentTuning, type FinishedRunLogs } from '../../../pkg/agent/index.js';
import type { ResourceClient } from '../../../pkg/client/types.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import { MemoryRecorder } from '../../../pkg/reconcile/index.js';
import { FakeRuntime, type Runtime } from '../../../pkg/runtime/index.js';
import {
  API_VERSION,
  type BatchCommand,
  type Command,
  type CommandResult,
  type ContainerSpec,
  type Proposer,
  type ResourceStore,
  type Run,
  type RunCancelReason,
  type RunStatus,
  type WatchEvent,
} from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';

export const NODE = 'n1';

/** Counts what the agent proposes; passes everything to the store. */
export class CountingProposer implements Proposer {
  /** Every batch the agent proposed, in order. */
  readonly batches: BatchCommand[] = [];
  /** When set, propose() rejects with it (a Raft timeout, say). */
  failWith: Error | undefined;

  constructor(private readonly inner: Proposer) {}

  get proposals(): number {
    return this.batches.length;
  }

  propose(command: Command): Promise<CommandResult> {
    if (command.op === 'batch') this.batches.push(command);
    if (this.failWith) return Promise.reject(this.failWith);
    return this.inner.propose(command);
  }
}

/** A client whose watches can be paused: a node cut off from the cluster's news. */
export interface GatedClient {
  readonly client: ResourceClient;
  pause(): void;
  resume(): void;
}

export function gatedClient(inner: ResourceClient): GatedClient {
  let paused = false;
  let waiters: (() => void)[] = [];
  const gate = (): Promise<void> =>
    paused ? new Promise((resolve) => waiters.push(resolve)) : Promise.resolve();
  const client = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'watch') {
        return (kind: string, opts?: Parameters<ResourceClient['watch']>[1]) => ({
          async *[Symbol.asyncIterator](): AsyncGenerator<WatchEvent> {
            for await (const ev of target.watch(kind, opts)) {
              await gate();
              yield ev;
            }
          },
        });
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return {
    client,
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      const w = waiters;
      waiters = [];
      for (const r of w) r();
    },
  };
}

export interface RunOptions {
  readonly command?: string;
  readonly image?: string;
  readonly node?: string;
  readonly activeDeadlineSeconds?: number;
  readonly cancelled?: RunCancelReason;
  readonly status?: RunStatus;
}

export function container(command: string, image = 'busybox:latest'): ContainerSpec {
  return {
    image,
    imagePullPolicy: 'IfNotPresent',
    command: ['sh', '-c', command],
    env: [],
    resources: { cpu: '500m', memory: '256Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
  };
}

export class Bench {
  readonly clock = new FakeClock();
  readonly store: ResourceStore;
  readonly client: ResourceClient;
  readonly proposer: CountingProposer;
  readonly runtime: FakeRuntime;
  readonly recorder = new MemoryRecorder();
  readonly agents: Agent[] = [];
  dataDir = '';

  constructor() {
    const t = newTestClient({ clock: this.clock });
    this.store = t.store;
    this.client = t.client;
    this.proposer = new CountingProposer(t.proposer);
    this.runtime = new FakeRuntime({ clock: this.clock });
  }

  async init(): Promise<this> {
    this.dataDir = await mkdtemp(join(tmpdir(), 'jobctl-agent-'));
    return this;
  }

  /** A new agent over the bench's store and runtime (stopped in cleanup()). */
  agent(
    opts: {
      client?: ResourceClient;
      options?: AgentTuning;
      nodeName?: string;
      logCopies?: FinishedRunLogs;
      /** Default the bench's FakeRuntime; a wrapper of it to hold or watch calls. */
      runtime?: Runtime;
    } = {},
  ): Agent {
    const agent = new Agent({
      nodeName: opts.nodeName ?? NODE,
      client: opts.client ?? this.client,
      proposer: this.proposer,
      runtime: opts.runtime ?? this.runtime,
      dataDir: this.dataDir,
      clock: this.clock,
      recorder: this.recorder,
      options: { statusFlushMs: 50, killGraceMs: 1000, sweepMs: 10_000, ...opts.options },
      ...(opts.logCopies ? { logCopies: opts.logCopies } : {}),
    });
    this.agents.push(agent);
    return agent;
  }

  /** Creates a Run already bound to a node (as the scheduler leaves it). */
  async createRun(name: string, o: RunOptions = {}): Promise<Run> {
    const created = await this.client.create({
      apiVersion: API_VERSION,
      kind: 'Run',
      metadata: { name, namespace: 'default', labels: { 'jobctl.dev/job-name': 'job' } },
      spec: {
        jobName: 'job',
        jobUid: 'job-uid',
        attempt: 0,
        nodeName: o.node ?? NODE,
        container: container(o.command ?? 'echo hello', o.image),
        ...(o.activeDeadlineSeconds !== undefined
          ? { activeDeadlineSeconds: o.activeDeadlineSeconds }
          : {}),
        ...(o.cancelled ? { cancelled: true, cancelReason: o.cancelled } : {}),
      },
      status: o.status ?? { phase: 'Scheduled' },
    });
    return created as unknown as Run;
  }

  run(name: string): Run {
    const r = this.store.get('Run', 'default', name);
    if (!r) throw new Error(`run ${name} not found`);
    return r;
  }

  phase(name: string): string | undefined {
    return this.store.get('Run', 'default', name)?.status.phase;
  }

  /** Lets promises and I/O settle without moving the clock. */
  async settle(turns = 20): Promise<void> {
    for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
  }

  /**
   * Until cond() holds: settle, then advance the fake clock by stepMs. Fails
   * after `maxMs` of fake time (the default covers every timer the tests use).
   * With `pauseMs`, each step also waits that long in real time, so fake time
   * cannot race ahead of real I/O (file writes, a loaded machine): for waits
   * whose fake-time budget is part of the claim.
   */
  async until(
    what: string,
    cond: () => boolean | Promise<boolean>,
    opts: { stepMs?: number; maxMs?: number; pauseMs?: number } = {},
  ): Promise<void> {
    const step = opts.stepMs ?? 10;
    const max = opts.maxMs ?? 60_000;
    for (let t = 0; t <= max; t += step) {
      await this.settle(3);
      if (await cond()) return;
      this.clock.advance(step);
      if (opts.pauseMs) await new Promise((r) => setTimeout(r, opts.pauseMs));
    }
    throw new Error(`timed out (fake ${max} ms) waiting for ${what}`);
  }

  /** Lets `ms` of fake time pass in steps, settling in between. */
  async elapse(ms: number, stepMs = 10): Promise<void> {
    for (let t = 0; t < ms; t += stepMs) {
      await this.settle(3);
      this.clock.advance(stepMs);
    }
    await this.settle(3);
  }

  async cleanup(): Promise<void> {
    for (const a of this.agents) await a.stop();
    await this.runtime.close();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}
