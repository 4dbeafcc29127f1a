// Node lifecycle: a node whose heartbeat this leader has not seen change for
// the grace period (heartbeats.ts) gets Ready=False (reason NodeStatusUnknown)
// and each of its non-final Runs becomes Lost (reason NodeLost); the job
// controller replaces Lost Runs without counting them as failures. A node whose
// heartbeat moves again gets Ready=True back (only if the False was ours: a
// node's own report of not being ready is left alone). Runs bound to a node
// that no longer exists are Lost at once.
//
// Writes are guarded by resourceVersion: a Run that reported its outcome just
// before we got to it gives Conflict, and the retry sees it final and leaves
// it. (Refusing a late report from a node whose Runs were already declared Lost
// is the agent/API side of fencing.)
import type { ResourceClient } from '../../client/index.js';
import type { Node, NodeStatus, Run } from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import {
  type EventRecorder,
  type Lister,
  type Logger,
  type Reconciler,
  type Result,
  splitKey,
} from '../../reconcile/index.js';
import { findCondition, setCondition } from '../common/conditions.js';
import { RUNS_BY_NODE, isFinalRun } from '../common/runs.js';
import { isoTime } from '../common/time.js';
import { HeartbeatTracker } from './heartbeats.js';

export const DEFAULT_NODE_GRACE_MS = 5_000;
/** Reason of the Ready=False condition this controller sets (and only it clears). */
export const NODE_STATUS_UNKNOWN = 'NodeStatusUnknown';

export interface NodeLifecycleDeps {
  readonly client: ResourceClient;
  readonly nodes: Lister<Node>;
  /** Needs the RUNS_BY_NODE index. */
  readonly runs: Lister<Run>;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  /** Heartbeat silence after which a node is NotReady (default 5 s). */
  readonly gracePeriodMs?: number;
  /**
   * The node's tracker, fed from its own store while it was a follower too
   * (a new leader then knows who went silent before it took over); default a
   * fresh one that only sees what this reconciler observes.
   */
  readonly heartbeats?: HeartbeatTracker;
}

export class NodeLifecycleReconciler implements Reconciler {
  private readonly d: NodeLifecycleDeps;
  private readonly graceMs: number;
  private readonly tracker: HeartbeatTracker;

  constructor(deps: NodeLifecycleDeps) {
    this.d = deps;
    this.graceMs = deps.gracePeriodMs ?? DEFAULT_NODE_GRACE_MS;
    this.tracker = deps.heartbeats ?? new HeartbeatTracker(this.graceMs);
  }

  async reconcile(key: string): Promise<Result> {
    const { name } = splitKey(key);
    const node = this.d.nodes.get('', name);
    if (!node) {
      this.tracker.forget(name);
      await this.loseRuns(name, `node ${name} no longer exists`);
      return {};
    }
    const { liveness, recheckIn } = this.tracker.observe(
      name,
      node.status?.heartbeatTime,
      this.d.clock.monotonic(),
    );
    const ready = findCondition(node.status?.conditions, 'Ready');
    if (liveness === 'stale') {
      const secs = Math.round(this.graceMs / 1000);
      await this.setReady(
        node,
        'False',
        NODE_STATUS_UNKNOWN,
        `Node stopped posting heartbeats: no heartbeat for ${secs}s`,
      );
      if (ready?.status !== 'False' || ready.reason !== NODE_STATUS_UNKNOWN) {
        this.d.recorder.record(node, 'Warning', 'NodeNotReady', `Node ${name} is NotReady`);
        this.d.logger.warn('node missed heartbeats; marking NotReady', { node: name });
      }
      await this.loseRuns(name, `node ${name} stopped responding (no heartbeat for ${secs}s)`);
    } else if (liveness === 'alive') {
      if (!ready || (ready.status === 'False' && ready.reason === NODE_STATUS_UNKNOWN)) {
        await this.setReady(node, 'True', 'NodeReady', 'Node is posting heartbeats');
        this.d.recorder.record(node, 'Normal', 'NodeReady', `Node ${name} is Ready`);
      }
    }
    return { requeueAfter: recheckIn };
  }

  private async setReady(
    node: Node,
    status: 'True' | 'False',
    reason: string,
    message: string,
  ): Promise<void> {
    const now = isoTime(this.d.clock.now());
    const old = node.status?.conditions;
    const conditions = setCondition(old, { type: 'Ready', status, reason, message }, now);
    if (conditions === old) return;
    const next: NodeStatus = { ...node.status, conditions };
    await this.d.client.updateStatus({
      apiVersion: node.apiVersion,
      kind: node.kind,
      metadata: {
        name: node.metadata.name,
        uid: node.metadata.uid,
        resourceVersion: node.metadata.resourceVersion,
      },
      status: next,
    });
  }

  /** Every non-final Run bound to `node` becomes Lost/NodeLost. */
  private async loseRuns(node: string, message: string): Promise<void> {
    const now = isoTime(this.d.clock.now());
    for (const run of this.d.runs.byIndex(RUNS_BY_NODE, node)) {
      if (isFinalRun(run)) continue;
      await this.d.client.updateStatus({
        apiVersion: run.apiVersion,
        kind: run.kind,
        metadata: {
          name: run.metadata.name,
          namespace: run.metadata.namespace,
          uid: run.metadata.uid,
          resourceVersion: run.metadata.resourceVersion,
        },
        status: { ...run.status, phase: 'Lost', reason: 'NodeLost', message, finishedAt: now },
      });
      this.d.recorder.record(run, 'Warning', 'NodeLost', message);
    }
  }
}
