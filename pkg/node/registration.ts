// Node registration and heartbeats: once a leader is known, jobd makes sure
// its Node object exists (name node-<id> or --name, labels from --labels),
// then writes its status every heartbeat interval: capacity, allocatable,
// its Raft role/term/address, condition Ready=True, condition RuntimeReady
// (from the agent) and heartbeatTime. The
// heartbeat is the replicated lease the node-lifecycle controller reads: a
// Node whose heartbeatTime is older than its grace period is NotReady.
//
// Writes go through the node's own ApiService, so they are validated like
// any client's and any node (leader or follower) can register itself.
import type { ResourceClient } from '../client/index.js';
import type { RaftNode } from '../raft/index.js';
import type { Resource } from '../store/index.js';
import { API_VERSION, jsonEqual } from '../store/index.js';
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { errorMessage, isReason, Reason } from '../util/errors.js';
import type { NodeLogger } from './logger.js';

export const JOBD_VERSION = '0.1.0';

/**
 * Set on a Node that jobd cordoned itself while shutting down (SIGTERM), so
 * the next start uncordons it again; a cordon an operator set has no such
 * annotation and stays.
 */
export const SHUTDOWN_CORDON_ANNOTATION = 'jobctl.dev/cordoned-for-shutdown';

export interface NodeResources {
  readonly cpu: string;
  readonly memory: string;
  readonly runs: number;
}

export interface RegistrationOptions {
  readonly client: ResourceClient;
  readonly raft: Pick<RaftNode, 'status' | 'leader' | 'onLeaderChange'>;
  /** Node object name (node-<id> by default). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The --listen address, reported in status.raft.address. */
  readonly address: string;
  readonly capacity: NodeResources;
  /** Milliseconds between heartbeats (jobd: nodeHeartbeatMsFor(grace), a quarter of it). Default 1000. */
  readonly intervalMs?: number;
  readonly clock?: Clock;
  readonly logger: NodeLogger;
  /**
   * The agent's view of its container runtime (condition RuntimeReady). Omitted:
   * no RuntimeReady condition is written. Ready stays True either way: the node
   * is alive; the scheduler places no Runs on a node with RuntimeReady=False.
   */
  readonly runtimeReady?: () => { readonly ready: boolean; readonly message: string };
}

/** Heartbeats outstanding at once (each is bounded by the proposal deadline). */
const MAX_IN_FLIGHT = 8;

const ROLE_NAMES: Readonly<Record<string, string>> = {
  leader: 'Leader',
  follower: 'Follower',
  candidate: 'Candidate',
  preCandidate: 'PreCandidate',
};

export class NodeRegistration {
  private readonly o: RegistrationOptions;
  private readonly clock: Clock;
  private readonly intervalMs: number;
  private timer: Timer | undefined;
  private running = false;
  /**
   * Heartbeats not yet answered. A write can hang until the proposal deadline (5 s)
   * when it was forwarded to a leader that then died or lost its links; the next
   * heartbeat must not wait for it, or a healthy node looks silent for longer than
   * the grace period after a leader change and its Runs are declared Lost.
   */
  private readonly inFlight = new Set<Promise<void>>();
  private registered = false;
  /** When Ready last became True (kept across heartbeats). */
  private readySince: string | undefined;
  /** RuntimeReady's current status and when it last changed. */
  private runtimeState: { status: string; since: string } | undefined;
  private lastError = '';
  private unsubscribe: (() => void) | undefined;

  constructor(opts: RegistrationOptions) {
    this.o = opts;
    this.clock = opts.clock ?? realClock;
    this.intervalMs = opts.intervalMs ?? 1000;
  }

  /** Starts heartbeating (the first one as soon as a leader is known). */
  start(): void {
    if (this.running) return;
    this.running = true;
    // A new leader (or term) is worth reporting at once.
    this.unsubscribe = this.o.raft.onLeaderChange((lead) => {
      if (lead !== 0) this.kick();
    });
    this.kick();
  }

  /** Stops heartbeating and waits for the write in flight. */
  async stop(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.unsubscribe?.();
    await Promise.all([...this.inFlight]);
  }

  /**
   * Marks this Node unschedulable for a graceful shutdown (best effort: false
   * when it could not be written). A Node already cordoned is left as it is.
   */
  async cordonForShutdown(): Promise<boolean> {
    const { client, name } = this.o;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const node = await client.get('Node', '', name);
        if (node.spec.unschedulable === true) return true;
        await client.update({
          apiVersion: API_VERSION,
          kind: 'Node',
          metadata: {
            name,
            labels: node.metadata.labels,
            annotations: { ...node.metadata.annotations, [SHUTDOWN_CORDON_ANNOTATION]: 'true' },
            resourceVersion: node.metadata.resourceVersion,
          },
          spec: { ...node.spec, unschedulable: true },
        });
        this.o.logger.info('node cordoned for shutdown', { node: name });
        return true;
      } catch (err) {
        if (isReason(err, Reason.Conflict)) continue;
        this.o.logger.warn('cannot cordon node for shutdown', { error: errorMessage(err) });
        return false;
      }
    }
    return false;
  }

  /** Best effort, bounded by the proposal deadline: report Ready=False (shutting down). */
  async markNotReady(message: string): Promise<void> {
    if (!this.registered) return;
    try {
      await this.o.client.updateStatus(this.object(false, message));
    } catch (err) {
      this.o.logger.warn('cannot mark node not ready', { error: errorMessage(err) });
    }
  }

  /**
   * Runs one heartbeat now and schedules the next one interval later, whether or
   * not earlier ones were answered (at most MAX_IN_FLIGHT outstanding).
   */
  private kick(): void {
    if (!this.running) return;
    this.timer?.cancel();
    this.timer = this.clock.setTimer(this.intervalMs, () => this.kick());
    if (this.inFlight.size >= MAX_IN_FLIGHT) return;
    const beat: Promise<void> = this.beat().finally(() => this.inFlight.delete(beat));
    this.inFlight.add(beat);
  }

  private async beat(): Promise<void> {
    if (this.o.raft.leader() === 0) return;
    try {
      if (!this.registered) await this.register();
      await this.o.client.updateStatus(this.object(true));
      if (this.lastError) {
        this.o.logger.info('node heartbeats resumed', { node: this.o.name });
        this.lastError = '';
      }
    } catch (err) {
      if (isReason(err, Reason.NotFound)) this.registered = false;
      const msg = errorMessage(err);
      // Log a failure once, not every second.
      if (msg !== this.lastError) this.o.logger.warn('node heartbeat failed', { error: msg });
      this.lastError = msg;
    }
  }

  /** Creates the Node object, or brings its labels up to date (spec is the cluster's: cordon stays). */
  private async register(): Promise<void> {
    const { client, name } = this.o;
    let existing: Resource | undefined;
    try {
      existing = await client.get('Node', '', name);
    } catch (err) {
      if (!isReason(err, Reason.NotFound)) throw err;
    }
    if (!existing) {
      try {
        await client.create({ ...this.object(true), spec: {} });
        this.o.logger.info('node registered', { node: name });
      } catch (err) {
        // Raced with an earlier attempt of ours whose answer was lost: fine.
        if (!isReason(err, Reason.AlreadyExists)) throw err;
      }
    } else {
      const labels = { ...existing.metadata.labels, ...this.o.labels };
      // Back from a graceful shutdown: lift the cordon that shutdown set.
      const { [SHUTDOWN_CORDON_ANNOTATION]: shutdownCordon, ...annotations } =
        existing.metadata.annotations ?? {};
      const spec =
        shutdownCordon !== undefined ? { ...existing.spec, unschedulable: false } : existing.spec;
      if (!jsonEqual(labels, existing.metadata.labels) || shutdownCordon !== undefined) {
        await client.update({
          apiVersion: API_VERSION,
          kind: 'Node',
          metadata: { name, labels, annotations },
          spec,
        });
        if (shutdownCordon !== undefined) {
          this.o.logger.info('node uncordoned after its shutdown', { node: name });
        }
      }
      this.o.logger.info('node re-registered', { node: name });
    }
    this.registered = true;
  }

  /** Condition RuntimeReady from the agent (none without a runtimeReady source). */
  private runtimeCondition(now: string): Record<string, string>[] {
    if (!this.o.runtimeReady) return [];
    const r = this.o.runtimeReady();
    const status = r.ready ? 'True' : 'False';
    if (this.runtimeState?.status !== status) this.runtimeState = { status, since: now };
    return [
      {
        type: 'RuntimeReady',
        status,
        reason: r.ready ? 'RuntimeReachable' : 'RuntimeUnavailable',
        message: r.message,
        lastHeartbeatTime: now,
        lastTransitionTime: this.runtimeState.since,
      },
    ];
  }

  /** The Node object with this node's current status. */
  private object(ready: boolean, message?: string) {
    const now = new Date(this.clock.now()).toISOString();
    const s = this.o.raft.status();
    if (ready) this.readySince ??= now;
    else this.readySince = undefined;
    const cap = this.o.capacity;
    return {
      apiVersion: API_VERSION,
      kind: 'Node',
      metadata: { name: this.o.name, labels: { ...this.o.labels } },
      status: {
        capacity: { cpu: cap.cpu, memory: cap.memory, runs: cap.runs },
        allocatable: { cpu: cap.cpu, memory: cap.memory, runs: cap.runs },
        raft: {
          id: s.id,
          role: ROLE_NAMES[s.role] ?? 'Follower',
          term: s.term,
          address: this.o.address,
        },
        conditions: [
          {
            type: 'Ready',
            status: ready ? 'True' : 'False',
            reason: ready ? 'NodeHeartbeating' : 'NodeShuttingDown',
            message: message ?? (ready ? 'jobd is heartbeating' : 'jobd is stopping'),
            lastHeartbeatTime: now,
            lastTransitionTime: this.readySince ?? now,
          },
          ...this.runtimeCondition(now),
        ],
        heartbeatTime: now,
        versions: { jobd: JOBD_VERSION, node: process.versions.node },
      },
    };
  }
}
