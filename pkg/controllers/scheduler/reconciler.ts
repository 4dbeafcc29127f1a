// The scheduler. All placement happens under one work-queue key, so a pass
// sees the waiting Runs and every node at once: it can order Runs by
// priority then age, and account for what it binds during the pass. Any Run
// or Node event enqueues that key (merged by the queue), so a Run that fits
// nowhere is looked at again when capacity or nodes change.
//
// A pass costs what it can place, not how many Runs wait: the waiting Runs
// stand in a line kept between passes (line.ts, in placement order), a pass
// takes from its front until no shape left in it fits anywhere, and Runs
// that fit nowhere are held out of the passes until room frees up or a Node
// changes (room.ts). Queued Runs are gated anew by every pass (queues.ts).
// Every waiting Run is told once why it waits (a status message and a
// FailedScheduling Event), again only when the reasons change, not their
// counts (docs/decisions.md, "Why a Run waits").
//
// A pass is a plan (Nomad's plan and plan applier): every Run it places is
// placed first, against the nodes' usage as this scheduler assumes it (the
// cache, plus what its own plans took that the cache does not show yet), and
// then all the binds are committed as ONE store command, `plan`
// (pkg/store/commands.ts), one Raft entry (or part of one, group commit)
// whatever the number of Runs. Each bind sets spec.nodeName and status
// Scheduled in one change. The state machine re-checks every bind against the
// state it meets (the same fit rules, pkg/store/fit.ts) and refuses only those
// that no longer fit; their Runs stay Pending and the next pass looks again.
//
// Pipelining: a pass does not wait for its plan to commit. Its binds are
// "assumed" (as kube-scheduler's assume cache) from the moment the plan is
// sent, so the next pass, computed while the plan commits, neither places
// those Runs again nor counts their room as free. An assumed bind is dropped
// once the cache shows it, or when the store refuses it (the pass is woken
// again). At most MAX_PLANS_IN_FLIGHT plans commit at once. The re-check in
// the store is what makes planning against an assumed view safe: a plan
// computed from a stale view can be refused, never wrong.
import type { ResourceClient } from '../../client/index.js';
import type { Node, PlanBind, Proposer, Queue, Requests, Run } from '../../store/index.js';
import { resultError, runRequests } from '../../store/index.js';
import type { Clock } from '../../util/clock.js';
import { errorMessage, isReason, Reason } from '../../util/errors.js';
import {
  keyOf,
  type Cache,
  type EventRecorder,
  type Lister,
  type Logger,
  type Reconciler,
  type Result,
  type TurnBudget,
  turnBudgetOf,
} from '../../reconcile/index.js';
import { isFinalRun, runPhase } from '../common/runs.js';
import {
  addUsage,
  chooseNode,
  compareRuns,
  nodeState,
  unschedulableMessage,
  type FitReason,
  type NodeState,
} from './fit.js';
import {
  FILED,
  inLine,
  RUNS_BOUND,
  RUNS_QUEUED,
  RUNS_WAITING,
  runBoundIndex,
  runQueuedIndex,
  runWaitingIndex,
  shapeOf,
  WaitingLine,
  type LineEntry,
} from './line.js';
import type { SchedulerMetrics } from './metrics.js';
import { gateQueues } from './queues.js';
import { QueueStatusWriter } from './queue-status.js';
import { RoomWatch } from './room.js';

/** The single key every scheduler pass runs under. */
export const SCHEDULE_KEY = 'schedule';

/** Plans committing at once; a pass beyond waits for the oldest to be answered. */
export const MAX_PLANS_IN_FLIGHT = 2;

/**
 * "Fits nowhere" status writes one pass makes at most, front of the line
 * first. When the cluster is full, every pending Run is told so once; with
 * 100,000 of them a single pass would otherwise send 100,000 writes at once.
 * Each write's Run event asks for another pass, which tells the next ones.
 */
export const MAX_UNSCHEDULABLE_WRITES = 256;

/** Scans for new waiting Runs take at most 1/SCAN_SHARE of the time (scanDueIn). */
export const SCAN_SHARE = 10;

export interface SchedulerDeps {
  /** Status-only writes: why a Run fits nowhere, Scheduled for a Run bound without it. */
  readonly client: ResourceClient;
  /** Where plans go (the node's Raft proposer): the ResourceClient has no call for them. */
  readonly proposer: Proposer;
  /** Asks for another pass (a plan had binds refused, or failed, after its pass ended). */
  readonly wake?: () => void;
  /** The Runs; the reconciler files them in its indexes (line.ts: waiting, queued, bound). */
  readonly runs: Lister<Run> & Pick<Cache<Run>, 'addIndex'>;
  readonly nodes: Lister<Node>;
  /** Queues (kind Queue); absent: no Run is held back by a queue. */
  readonly queues?: Lister<Queue>;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  readonly metrics?: SchedulerMetrics;
}

interface Assumed {
  readonly node: string;
  /**
   * resourceVersion of the bind; the cache has caught up once it shows this
   * or later. Infinity while the plan is still committing.
   */
  readonly revision: number;
}

/** Why a shape fits nowhere: the Run's message, and how many nodes refused it for each reason. */
interface Unfit {
  readonly message: string;
  readonly reasons: ReadonlyMap<FitReason, number>;
}

/** Two "fits nowhere" messages that differ at most in their counts. */
export function sameReasons(a: string, b: string): boolean {
  return a === b || a.replace(/\d+/g, '#') === b.replace(/\d+/g, '#');
}

export class SchedulerReconciler implements Reconciler {
  private readonly d: SchedulerDeps;
  /** Run key -> bind this scheduler made (or is committing) that the cache may not show yet. */
  private readonly assumed = new Map<string, Assumed>();
  /** Plans sent and not answered yet. */
  private readonly committing = new Set<Promise<void>>();
  private readonly queueStatus: QueueStatusWriter;
  /** The waiting Runs no Queue gates, in placement order, and those held out (line.ts). */
  private readonly line = new WaitingLine();
  /** The nodes as the last pass left them: whether room freed up since. */
  private readonly room = new RoomWatch();
  /** The last failure of each shape still held: its Runs' message and the metrics' reasons. */
  private readonly lastUnfit = new Map<string, Unfit>();
  private readonly budget: TurnBudget;
  /**
   * No pass starts before this (monotonic ms): a pass is followed by a pause
   * as long as its own work took (not the turns it gave to others while it
   * ran), so that passes, asked for by every Run event, take at most half of
   * the leader's time.
   */
  private nextPassAt = -Infinity;
  /** Time the current pass spent waiting for its turn (share()). */
  private yielded = 0;
  /** When the last scan for new waiting Runs ended, and its work (ms); see scanDueIn. */
  private scannedAt = -Infinity;
  private scanWork = 0;

  constructor(deps: SchedulerDeps) {
    this.d = deps;
    deps.runs.addIndex(RUNS_WAITING, runWaitingIndex);
    deps.runs.addIndex(RUNS_QUEUED, runQueuedIndex);
    deps.runs.addIndex(RUNS_BOUND, runBoundIndex);
    this.queueStatus = new QueueStatusWriter(deps.client);
    this.budget = turnBudgetOf(deps.clock);
  }

  /** Lets the event loop turn when the pass has used its slice (ticks, heartbeats, I/O). */
  private async share(): Promise<void> {
    const turn = this.budget.spend();
    if (!turn) return;
    const before = this.d.clock.monotonic();
    await turn;
    this.yielded += this.d.clock.monotonic() - before;
  }

  /** Resolves once every plan sent so far has been answered (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.committing.size > 0) await Promise.all([...this.committing]);
  }

  async reconcile(_key: string): Promise<Result> {
    const wait = this.nextPassAt - this.d.clock.monotonic();
    if (wait > 0) return { requeueAfter: wait };
    while (this.committing.size >= MAX_PLANS_IN_FLIGHT) await Promise.race([...this.committing]);
    const started = this.d.clock.monotonic();
    this.yielded = 0;
    this.pruneAssumed();
    const nodes = new Map<string, NodeState>();
    for (const n of this.d.nodes.list()) nodes.set(n.metadata.name, nodeState(n));

    // What is already placed: Runs not over bound to a node, and those this
    // scheduler bound that the cache does not show bound yet.
    const placed: Run[] = [];
    const needsStatus: Run[] = [];
    for (const run of this.d.runs.byIndex(RUNS_BOUND, FILED)) {
      placed.push(run);
      const st = nodes.get(run.spec.nodeName);
      if (st) addUsage(st.used, runRequests(run));
      // Bound without its Scheduled status (by an older scheduler, or by hand).
      if (runPhase(run) === 'Pending' && !this.assumed.has(keyOf(run))) needsStatus.push(run);
    }
    for (const [key, a] of this.assumed) {
      const run = this.d.runs.getByKey(key);
      if (!run || run.spec.nodeName || isFinalRun(run)) continue;
      placed.push(run);
      const st = nodes.get(a.node);
      if (st) addUsage(st.used, runRequests(run));
    }
    // Room freed or nodes changed since the last pass: the held Runs may fit
    // now. Otherwise every shape that failed then fails now (there is no more
    // room than there was), and is not tried again.
    if (this.room.changedSince(nodes)) {
      this.line.release();
      this.lastUnfit.clear();
    }

    // New waiting Runs join the line; skipped while a scan is not due (see scanDue).
    const scanDueIn = this.scanDueIn();
    if (scanDueIn === 0) await this.scan();
    // Queues hold back the Runs over their limits (queues.ts): only the rest are placed.
    const queued = this.d.runs
      .byIndex(RUNS_QUEUED, FILED)
      .filter((run) => !this.assumed.has(keyOf(run)))
      .sort(compareRuns);
    const queueList = this.d.queues?.list() ?? [];
    const queues = gateQueues({ pending: queued, bound: placed, queues: queueList });
    const admitted = queues.admitted.map((run) => ({
      run,
      priority: queueList.find((q) => q.metadata.name === run.spec.queue)?.spec.priority ?? 0,
    }));

    const states = [...nodes.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    // A shape (requests and selector) that failed to fit fails the same way
    // for the rest of the pass: binds only take room. Remember its message.
    const unfit = new Map<string, Unfit>(this.lastUnfit);
    const binds: { run: Run; node: string }[] = [];
    /** Why they fit nowhere, to be told: queued Runs, then Runs of the line, front first. */
    const tell: { run: Run; message: string; entry?: LineEntry }[] = [];
    const current = (e: LineEntry): Run | undefined => {
      const run = this.d.runs.getByKey(e.key);
      return run && run.metadata.uid === e.uid && inLine(run) && !this.assumed.has(e.key)
        ? run
        : undefined;
    };
    /** Every shape left in the line failed in this pass: nothing behind can be placed. */
    const lineBlocked = (): boolean => {
      for (const shape of this.line.shapesLeft()) if (!unfit.has(shape)) return false;
      return true;
    };
    const place = (run: Run, req: Requests, shape: string): Unfit | undefined => {
      const known = unfit.get(shape);
      if (known) return known;
      const { best, reasons } = chooseNode(states, run, req);
      if (best) {
        binds.push({ run, node: best.name });
        addUsage(best.used, req);
        return undefined;
      }
      const failed = { message: unschedulableMessage(states.length, reasons), reasons };
      unfit.set(shape, failed);
      this.lastUnfit.set(shape, failed);
      return failed;
    };
    const queuedUnfit = new Map<FitReason, number>();
    let qi = 0;
    let lineBinds = 0;
    let next: { entry: LineEntry; run: Run } | undefined;
    for (let step = 0; ; step++) {
      if ((step & 63) === 63) await this.share();
      if (!next && !lineBlocked()) next = this.line.take(current);
      const q = admitted[qi];
      // Queue priority first (Runs without a queue count as 0), then compareRuns.
      if (
        q &&
        (!next || q.priority > 0 || (q.priority === 0 && compareRuns(q.run, next.run) <= 0))
      ) {
        qi++;
        const req = runRequests(q.run);
        const failed = place(q.run, req, shapeOf(q.run, req));
        if (!failed) continue;
        for (const r of failed.reasons.keys()) queuedUnfit.set(r, (queuedUnfit.get(r) ?? 0) + 1);
        if (!this.knows(q.run, failed.message)) tell.push({ run: q.run, message: failed.message });
        continue;
      }
      if (!next) break;
      const { entry, run } = next;
      next = undefined;
      const failed = place(run, runRequests(run), entry.shape);
      if (!failed) {
        this.line.placed(entry);
        lineBinds++;
        continue;
      }
      this.line.hold(entry);
      entry.told = true;
      if (!this.knows(run, failed.message)) tell.push({ run, message: failed.message, entry });
    }

    // The plan leaves now and is answered in the background; the next pass
    // may be computed meanwhile (see the header).
    if (binds.length > 0) this.send(binds);
    this.room.remember(nodes);
    this.d.metrics?.passDone(
      this.line.size + queued.length - (binds.length - lineBinds),
      this.unschedulableCounts(queuedUnfit),
    );
    const now = this.d.clock.monotonic();
    this.nextPassAt = now + Math.max(0, now - started - this.yielded);

    // Runs not told yet why they wait, front of the line first, with their
    // shape's message from this pass; at most MAX_UNSCHEDULABLE_WRITES in all.
    const room = Math.max(0, MAX_UNSCHEDULABLE_WRITES - tell.length);
    const untold = this.line.takeUntold(room, current);
    for (const u of untold) {
      const failed = unfit.get(u.entry.shape);
      if (!failed) {
        this.line.untoldAgain(u.entry);
        continue;
      }
      u.entry.told = true;
      if (!this.knows(u.run, failed.message))
        tell.push({ run: u.run, message: failed.message, entry: u.entry });
    }
    const told = tell.slice(0, MAX_UNSCHEDULABLE_WRITES);
    // Runs of the line not told for the cap: told by a later pass.
    for (const t of tell.slice(MAX_UNSCHEDULABLE_WRITES)) {
      if (!t.entry) continue;
      t.entry.told = false;
      this.line.untoldAgain(t.entry);
    }

    // The pass's other writes (status only), all at once.
    const outcomes = await Promise.allSettled([
      ...needsStatus.map((run) => this.markScheduled(run)),
      ...told.map((u) => this.reportUnschedulable(u.run, u.message)),
      ...queues.waiting.map((w) => this.reportWaiting(w.run, w.message)),
      ...this.queueStatus.write(queueList, queues.statuses),
    ]);
    let retry = false;
    let failure: unknown;
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') continue;
      const err: unknown = outcome.reason;
      if (isReason(err, Reason.Conflict) || isReason(err, Reason.NotFound)) retry = true;
      else failure ??= err;
    }
    if (failure) throw failure;
    // More to tell (and a shape to tell it with): the next pass does (after its pause).
    if (told.length < tell.length || (untold.length === room && this.line.untoldCount > 0))
      return { requeueAfter: Math.max(1, this.nextPassAt - this.d.clock.monotonic()) };
    // Runs that arrived since the last scan are looked for once it is due.
    if (scanDueIn > 0) return { requeueAfter: scanDueIn };
    // A Run that changed under us: its event requeues the pass anyway, but
    // a retry costs little and covers a lagging cache.
    return retry ? { requeue: true } : {};
  }

  /**
   * Ms until the next scan for new waiting Runs may run (0: now). A scan
   * looks at every waiting Run (one identity lookup each for those filed
   * already): with 100,000 waiting, milliseconds that every pass (one per
   * Run event) would pay. So scans take at most 1/SCAN_SHARE of the time:
   * after a scan that took t ms of work, the next waits SCAN_SHARE * t. A
   * Run that arrives meanwhile joins the line (in its place) that much later.
   */
  private scanDueIn(): number {
    const due = this.scannedAt + SCAN_SHARE * this.scanWork;
    return Math.max(0, due - this.d.clock.monotonic());
  }

  /** Files the waiting Runs the line does not hold yet (new, or replaced). */
  private async scan(): Promise<void> {
    const started = this.d.clock.monotonic();
    const yielded = this.yielded;
    const waitingRuns = this.d.runs.byIndex(RUNS_WAITING, FILED);
    for (let i = 0; i < waitingRuns.length; i++) {
      if ((i & 255) === 255) await this.share();
      const run = waitingRuns[i] as Run;
      this.line.add(run, () => shapeOf(run, runRequests(run)));
    }
    const now = this.d.clock.monotonic();
    this.scannedAt = now;
    this.scanWork = Math.max(0, now - started - (this.yielded - yielded));
  }

  /**
   * Runs that fit nowhere, by reason: the line's, by the last failure of
   * their shape (held Runs are not tried again until room frees up), and
   * the queued ones of this pass.
   */
  private unschedulableCounts(queued: Map<FitReason, number>): Map<FitReason, number> {
    const out = queued;
    for (const [shape, failed] of this.lastUnfit) {
      const n = this.line.countOf(shape);
      if (n > 0) for (const r of failed.reasons.keys()) out.set(r, (out.get(r) ?? 0) + n);
    }
    return out;
  }

  private pruneAssumed(): void {
    for (const [key, a] of this.assumed) {
      const cached = this.d.runs.getByKey(key);
      if (!cached || Number(cached.metadata.resourceVersion) >= a.revision)
        this.assumed.delete(key);
    }
  }

  /** Commits one pass's binds as a plan; its binds are assumed until answered. */
  private send(binds: readonly { run: Run; node: string }[]): void {
    // The events' time is the decision's: the agent may react to a bind
    // (and record Started) before the plan's answer comes back.
    const decidedAt = this.d.clock.now();
    for (const b of binds) this.assumed.set(keyOf(b.run), { node: b.node, revision: Infinity });
    const plan: PlanBind[] = binds.map(({ run, node }) => ({
      namespace: run.metadata.namespace,
      name: run.metadata.name,
      uid: run.metadata.uid,
      node,
    }));
    const done = this.commit(binds, plan, decidedAt);
    this.committing.add(done);
    void done.finally(() => this.committing.delete(done));
  }

  private async commit(
    binds: readonly { run: Run; node: string }[],
    plan: readonly PlanBind[],
    decidedAt: number,
  ): Promise<void> {
    let refused = 0;
    try {
      const result = await this.d.proposer.propose({ op: 'plan', binds: plan });
      if (!result.ok) throw resultError(result);
      if (result.outcome !== 'batch' || result.results.length !== binds.length) {
        throw new Error('a plan was answered without one result per bind');
      }
      for (const [i, answer] of result.results.entries()) {
        const { run, node } = binds[i] as { run: Run; node: string };
        const key = keyOf(run);
        if (!answer.ok) {
          // No longer fits (or the Run changed): it stays Pending; look again.
          this.assumed.delete(key);
          this.unplaced(run);
          refused++;
          continue;
        }
        this.assumed.set(key, { node, revision: Number(answer.object.metadata.resourceVersion) });
        const created = Date.parse(run.metadata.creationTimestamp);
        if (this.d.metrics && Number.isFinite(created)) {
          this.d.metrics.placed(Math.max(0, this.d.clock.now() - created) / 1000);
        }
        this.d.recorder.record(
          run,
          'Normal',
          'Scheduled',
          `Successfully assigned ${run.metadata.namespace}/${run.metadata.name} to ${node}`,
          decidedAt,
        );
      }
    } catch (err) {
      // Not answered (Timeout, Unavailable, leadership lost): the plan may or
      // may not commit; forget it and let the cache tell.
      for (const b of binds) {
        this.assumed.delete(keyOf(b.run));
        this.unplaced(b.run);
      }
      refused = binds.length;
      this.d.logger.warn('plan not answered; its runs will be placed again', {
        binds: binds.length,
        err: errorMessage(err),
      });
    }
    if (refused > 0) this.d.wake?.();
  }

  /** A bind that did not commit: its Run joins the line again (queued Runs are gated anew each pass). */
  private unplaced(run: Run): void {
    if (inLine(run)) this.line.restore(run, () => shapeOf(run, runRequests(run)));
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

  /** Keeps a queued Run Pending with its place in line; writes only when the message changes. */
  private async reportWaiting(run: Run, message: string): Promise<void> {
    if (run.status?.message === message && runPhase(run) === 'Pending') return;
    await this.writeStatus(run, { ...run.status, phase: 'Pending', message });
  }

  /**
   * Whether the Run already says why it fits nowhere (as a Pending Run) for
   * the same reasons as `message`: a message whose counts alone differ ("0/3
   * nodes available: 3 too many runs" against "2 too many runs, 1 ...") is
   * not written again (docs/decisions.md, "Why a Run waits").
   */
  private knows(run: Run, message: string): boolean {
    const said = run.status?.message;
    return said !== undefined && runPhase(run) === 'Pending' && sameReasons(said, message);
  }

  /** Keeps the Run Pending with why it fits nowhere; writes only when the reasons change. */
  private async reportUnschedulable(run: Run, message: string): Promise<void> {
    if (this.knows(run, message)) return;
    await this.writeStatus(run, { ...run.status, phase: 'Pending', message });
    this.d.recorder.record(run, 'Warning', 'FailedScheduling', message);
  }
}
