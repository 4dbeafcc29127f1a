// The scheduler. All placement happens under one work-queue key, so a pass
// sees every pending Run and every node at once: it can order Runs by
// priority then age, and account for what it binds during the pass. Any Run
// or Node event enqueues that key (merged by the queue), so a Run that fits
// nowhere is looked at again when capacity or nodes change.
//
// A pass is a plan: every pending Run is placed first, against the nodes'
// usage as this pass assumes it (what earlier binds of the pass took), and
// only then are the writes made, all at once, so that they travel together in
// few Raft entries (the proposer's group commit): the binds in one, their
// Scheduled transitions in the next, whatever the number of Runs.
//
// Binding is an update of spec.nodeName guarded by the Run's resourceVersion
// (a Run changed meanwhile, e.g. cancelled, gives Conflict and is skipped;
// the pass is retried), then status phase Scheduled. Until the cache shows a
// bind, the pass remembers it ("assumed", as kube-scheduler's assume cache) so
// a pass that starts before the watch caught up neither double-books the node
// nor binds the Run again.
import type { ResourceClient } from '../../client/index.js';
import type { Node, Run } from '../../store/index.js';
import { cloneResource, runRequests } from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage, isReason, Reason } from '../../util/errors.js';
import {
  keyOf,
  type EventRecorder,
  type Lister,
  type Logger,
  type Reconciler,
  type Result,
} from '../../reconcile/index.js';
import { isFinalRun, runPhase } from '../common/runs.js';
import {
  allocationAfter,
  nodeState,
  unfitReasons,
  unschedulableMessage,
  type FitReason,
  type NodeState,
} from './fit.js';
import type { SchedulerMetrics } from './metrics.js';

/** The single key every scheduler pass runs under. */
export const SCHEDULE_KEY = 'schedule';

export interface SchedulerDeps {
  readonly client: ResourceClient;
  readonly runs: Lister<Run>;
  readonly nodes: Lister<Node>;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly metrics?: SchedulerMetrics;
}

interface Assumed {
  readonly node: string;
  /** resourceVersion of the bind write; the cache has caught up once it shows this or later. */
  readonly revision: number;
}

/** What placement depends on besides node state: requests and selector. */
function shapeOf(run: Run, req: { cpu: number; memory: number }): string {
  const sel = run.spec.nodeSelector;
  return `${req.cpu}/${req.memory}/${sel ? JSON.stringify(Object.entries(sel).sort()) : ''}`;
}

/** Sorts by compareRuns's order with precomputed keys (the pending list can be long). */
function sortRuns(runs: Run[]): void {
  const keyed = runs.map((r) => ({
    r,
    p: -(r.spec.priority ?? 0),
    k: `${r.metadata.creationTimestamp}\u0000${r.metadata.namespace}/${r.metadata.name}`,
  }));
  keyed.sort((a, b) => a.p - b.p || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) runs[i] = (keyed[i] as { r: Run }).r;
}

export class SchedulerReconciler implements Reconciler {
  private readonly d: SchedulerDeps;
  /** Run key -> bind this scheduler made that the cache may not show yet. */
  private readonly assumed = new Map<string, Assumed>();

  constructor(deps: SchedulerDeps) {
    this.d = deps;
  }

  async reconcile(_key: string): Promise<Result> {
    const runs = this.d.runs.list();
    this.pruneAssumed();
    const nodes = new Map<string, NodeState>();
    for (const n of this.d.nodes.list()) nodes.set(n.metadata.name, nodeState(n));

    // What is already placed: non-final Runs bound (or assumed bound) to a node.
    const pending: Run[] = [];
    const needsStatus: Run[] = [];
    for (const run of runs) {
      if (isFinalRun(run)) continue;
      const bound = run.spec.nodeName || this.assumed.get(keyOf(run))?.node || '';
      if (bound) {
        const st = nodes.get(bound);
        if (st) {
          const req = runRequests(run);
          st.used.cpu += req.cpu;
          st.used.memory += req.memory;
          st.used.runs += 1;
        }
        // Bound by an earlier pass whose status write did not happen.
        if (run.spec.nodeName && runPhase(run) === 'Pending' && !this.assumed.has(keyOf(run))) {
          needsStatus.push(run);
        }
        continue;
      }
      if (!run.spec.cancelled) pending.push(run);
    }
    sortRuns(pending);

    const states = [...nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    // Runs of the same shape that failed to fit fail the same way until a
    // bind changes some node's usage: remember the message, skip the work.
    let unfit = new Map<string, { message: string; reasons: readonly FitReason[] }>();
    // For metrics: the reasons Runs fit nowhere.
    const unschedulable = new Map<FitReason, number>();
    const noteUnfit = (reasons: Iterable<FitReason>): void => {
      for (const r of reasons) unschedulable.set(r, (unschedulable.get(r) ?? 0) + 1);
    };
    const binds: { run: Run; node: NodeState }[] = [];
    const unplaced: { run: Run; message: string }[] = [];
    for (const run of pending) {
      const req = runRequests(run);
      const shape = shapeOf(run, req);
      const known = unfit.get(shape);
      if (known !== undefined) {
        noteUnfit(known.reasons);
        unplaced.push({ run, message: known.message });
        continue;
      }
      let best: NodeState | undefined;
      let bestScore = Infinity;
      const reasons = new Map<FitReason, number>();
      for (const st of states) {
        const why = unfitReasons(st, run, req);
        if (why.length > 0) {
          for (const r of why) reasons.set(r, (reasons.get(r) ?? 0) + 1);
          continue;
        }
        const score = allocationAfter(st, req);
        if (score < bestScore) {
          best = st;
          bestScore = score;
        }
      }
      if (best) {
        binds.push({ run, node: best });
        best.used.cpu += req.cpu;
        best.used.memory += req.memory;
        best.used.runs += 1;
        unfit = new Map();
      } else {
        const message = unschedulableMessage(states.length, reasons);
        unfit.set(shape, { message, reasons: [...reasons.keys()] });
        noteUnfit(reasons.keys());
        unplaced.push({ run, message });
      }
    }

    // The plan's writes, all at once.
    const outcomes = await Promise.allSettled([
      ...binds.map((b) => this.bind(b.run, b.node)),
      ...needsStatus.map((run) => this.markScheduled(run)),
      ...unplaced.map((u) => this.reportUnschedulable(u.run, u.message)),
    ]);
    let retry = false;
    let failure: unknown;
    let bound = 0;
    for (const [i, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled') {
        if (i < binds.length) bound++;
        continue;
      }
      const err: unknown = outcome.reason;
      if (isReason(err, Reason.Conflict) || isReason(err, Reason.NotFound)) retry = true;
      else failure ??= err;
    }
    this.d.metrics?.passDone(pending.length - bound, unschedulable);
    if (failure) throw failure;
    // A Run that changed under us: its event requeues the pass anyway, but
    // a retry costs little and covers a lagging cache.
    return retry ? { requeue: true } : {};
  }

  private pruneAssumed(): void {
    for (const [key, a] of this.assumed) {
      const cached = this.d.runs.getByKey(key);
      if (!cached || Number(cached.metadata.resourceVersion) >= a.revision)
        this.assumed.delete(key);
    }
  }

  private async bind(run: Run, node: NodeState): Promise<void> {
    const copy = cloneResource(run) as Run;
    copy.spec.nodeName = node.name;
    // The event's time is the decision's: the agent may react to the bind
    // (and record Started) before this write's answer comes back.
    const decidedAt = this.d.clock.now();
    const bound = await this.d.client.update(copy);
    const created = Date.parse(run.metadata.creationTimestamp);
    if (this.d.metrics && Number.isFinite(created)) {
      this.d.metrics.placed(Math.max(0, this.d.clock.now() - created) / 1000);
    }
    this.assumed.set(keyOf(run), {
      node: node.name,
      revision: Number(bound.metadata.resourceVersion),
    });
    this.d.recorder.record(
      run,
      'Normal',
      'Scheduled',
      `Successfully assigned ${run.metadata.namespace}/${run.metadata.name} to ${node.name}`,
      decidedAt,
    );
    try {
      await this.markScheduled(bound);
    } catch (err) {
      // The agent may already have reported Running: its status wins.
      if (!isReason(err, Reason.Conflict)) {
        this.d.logger.warn('bound run but could not mark it Scheduled; will retry', {
          run: keyOf(run),
          err: errorMessage(err),
        });
      }
    }
  }

  /** Replaces the Run's status, guarded by its resourceVersion (a stale cache gets Conflict). */
  private async writeStatus(run: Run, status: Run['status']): Promise<void> {
    const { name, namespace, uid, resourceVersion } = run.metadata;
    await this.d.client.updateStatus({
      apiVersion: run.apiVersion,
      kind: run.kind,
      metadata: { name, namespace, uid, resourceVersion },
      status,
    });
  }

  /** status.phase Scheduled (message cleared), guarded by the Run's resourceVersion. */
  private async markScheduled(run: Run): Promise<void> {
    const { message: _message, ...rest } = run.status ?? {};
    await this.writeStatus(run, { ...rest, phase: 'Scheduled' });
  }

  /** Keeps the Run Pending with why it fits nowhere; writes only when the message changes. */
  private async reportUnschedulable(run: Run, message: string): Promise<void> {
    if (run.status?.message === message && runPhase(run) === 'Pending') return;
    await this.writeStatus(run, { ...run.status, phase: 'Pending', message });
    this.d.recorder.record(run, 'Warning', 'FailedScheduling', message);
  }
}
