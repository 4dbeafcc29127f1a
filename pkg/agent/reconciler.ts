// RunReconciler: reconcile(key) makes one Run bound to this node and its
// container agree (DESIGN.md §3 "Agent"). Level-triggered: it reads the cached
// Run and the agent's ContainerTable and converges, whatever events led here.
//
//   Run gone, or a newer Run of that name     → kill + remove the old container, no report
//   Run final (Succeeded/Failed/Lost/Cancelled) → kill if running, remove; log file kept
//   report of this Run refused by the store    → kill + remove; tombstone until the Run is final
//   container exited                           → report the outcome (or the kill's cause)
//   container running                          → cancelled: kill; past deadline: kill;
//                                                 else report Running, requeue at the deadline
//   container running, node stopping (SIGTERM) → kill; report Lost/NodeShutdown
//   no container, cancelled                    → report Cancelled, never start
//   no container, node shutting down           → report Lost/NodeShutdown, never start
//   no container, status names one             → report Failed (never start twice)
//   no container                               → start it (runtime idempotent per uid), report Running
//
// Exits are observed by one background wait() per container (a "waiter"),
// which records the exit and enqueues the key. Kills, starts and removals run
// inside reconcile, so the work queue serializes them per Run.
import {
  isRuntimeError,
  type RunContainerSpec,
  type Runtime,
  type RuntimeEvent,
} from '../runtime/index.js';
import { isFinalRunPhase, type Run, type RunStatus } from '../store/index.js';
import { runtimeContainerSpec } from './container-spec.js';
import type { Clock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import {
  keyOf,
  type EventRecorder,
  type Lister,
  type Logger,
  type Reconciler,
  type Result,
} from '../reconcile/index.js';
import type { ContainerTable, Tracked } from './containers.js';
import type { AgentMetrics } from './metrics.js';
import { runLogPath } from './paths.js';
import type { StatusReporter } from './reporter.js';
import type { RuntimeHealth } from './runtime-health.js';
import {
  cancelledBeforeStartStatus,
  containerGoneStatus,
  deadlineLeft,
  exitedStatus,
  isFinal,
  nodeShutdownStatus,
  runningStatus,
  sameStatus,
  startFailedStatus,
  type ContainerFacts,
  type KillCause,
} from './status.js';

/** Labels the agent adds to its containers (for `docker ps`; identity is jobctl.run.uid). */
export const RUN_NAME_LABEL = 'jobctl.run.name';
export const RUN_NAMESPACE_LABEL = 'jobctl.run.namespace';
export const JOB_NAME_LABEL = 'jobctl.job.name';
export const NODE_LABEL = 'jobctl.node';

export interface RunReconcilerDeps {
  readonly nodeName: string;
  readonly runs: Lister<Run>;
  readonly runtime: Runtime;
  readonly table: ContainerTable;
  readonly reporter: StatusReporter;
  readonly health: RuntimeHealth;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly recorder: EventRecorder;
  readonly dataDir: string;
  readonly killGraceMs: number;
  /** Requeue delay while the runtime is unavailable or the inventory is not loaded. */
  readonly retryMs: number;
  /** True once the runtime's containers have been listed (adoption done). */
  readonly inventoryLoaded: () => boolean;
  readonly enqueue: (key: string) => void;
  readonly stopped: () => boolean;
  /** Where a graceful node shutdown is (Agent.drain): no new starts, then stop the rest. */
  readonly shutdown: () => ShutdownStage;
  readonly metrics: AgentMetrics;
  /** A Run bound here is final and its container gone: its log is complete (copies). */
  readonly finished: (run: Run) => void;
}

/**
 * running: normal; draining: start nothing new, let running containers
 * finish; stopping: kill what still runs and report it Lost/NodeShutdown.
 */
export type ShutdownStage = 'running' | 'draining' | 'stopping';

export class RunReconciler implements Reconciler {
  /** runtime.start() calls that returned a container (idempotent ones included). */
  starts = 0;

  constructor(private readonly d: RunReconcilerDeps) {}

  async reconcile(key: string): Promise<Result> {
    const run = this.d.runs.getByKey(key);
    // Containers filed under this name that belong to no current Run of it.
    for (const t of this.d.table.withKey(key)) {
      if (!run || t.runUid !== run.metadata.uid) {
        await this.dispose(t, run ? 'its Run was replaced' : 'its Run was deleted');
      }
    }
    if (!run) return {};
    const uid = run.metadata.uid;
    const t = this.d.table.get(uid);
    if (t) this.d.table.setKey(t, key);
    if (run.spec.nodeName !== this.d.nodeName) {
      if (t) await this.dispose(t, `the Run is bound to node "${run.spec.nodeName}"`);
      return {};
    }
    if (isFinal(run)) {
      if (t) await this.dispose(t, `the Run is ${run.status.phase}`, run);
      this.d.reporter.forget(uid);
      this.d.finished(run);
      return {};
    }
    if (t?.state === 'removed') return {}; // refused: wait for the Run to turn final or go
    if (t?.refused !== undefined) {
      // Fenced: the store says this Run is not ours to report on (declared Lost,
      // rebound, already final). Stop the container; never count its result.
      await this.dispose(t, `status report refused: ${t.refused}`, run, true);
      return {};
    }
    if (!this.d.inventoryLoaded()) return { requeueAfter: this.d.retryMs };
    if (t && t.state !== 'created') return this.track(run, t);
    return this.startOrSettle(run, key);
  }

  /** The Run has a container (or had one, or failed to get one). */
  private async track(run: Run, t: Tracked): Promise<Result> {
    const now = this.isoNow();
    const facts = this.facts(run, t);
    if (t.state === 'starting') return { requeue: true }; // a start() we lost track of
    if (t.state === 'failed' && t.startFailure) {
      this.report(run, startFailedStatus(t.startFailure.reason, t.startFailure.message, now));
      return {};
    }
    if (t.exit && facts) {
      this.report(run, exitedStatus(facts, t.exit, t.killCause));
      return {};
    }
    if (t.state === 'gone' || !facts) {
      const cancel = run.spec.cancelled ? run.spec.cancelReason : undefined;
      const gone = facts ?? {
        containerID: run.status.containerID,
        startedAt: run.status.startedAt,
      };
      this.report(
        run,
        cancel ? cancelledBeforeStartStatus(cancel, now) : containerGoneStatus(gone, now),
      );
      return {};
    }
    if (!this.d.health.ready && !t.waiting) return { requeueAfter: this.d.retryMs };
    this.ensureWaiter(t);
    if (t.state === 'exited') return {}; // the waiter reports once wait() returns
    if (run.spec.cancelled) {
      await this.kill(
        t,
        { kind: 'cancelled', reason: run.spec.cancelReason ?? 'JobFinished' },
        run,
      );
      return {};
    }
    const left = deadlineLeft(run, facts.startedAt, this.d.clock.now());
    if (left !== undefined && left <= 0) {
      const seconds = run.spec.activeDeadlineSeconds ?? 0;
      await this.kill(t, { kind: 'deadline', seconds }, run);
      return {};
    }
    if (this.d.shutdown() === 'stopping') {
      await this.kill(t, { kind: 'shutdown', node: this.d.nodeName }, run);
      return {};
    }
    this.report(run, runningStatus(facts));
    return left !== undefined ? { requeueAfter: left } : {};
  }

  /** No container for this Run (or one created but never started). */
  private async startOrSettle(run: Run, key: string): Promise<Result> {
    const now = this.isoNow();
    if (run.spec.cancelled) {
      this.report(run, cancelledBeforeStartStatus(run.spec.cancelReason ?? 'JobFinished', now));
      return {};
    }
    const existing = this.d.table.get(run.metadata.uid);
    if (run.status.containerID && existing?.state !== 'created') {
      // It was started before and its container is gone: never start it twice.
      const { containerID, startedAt } = run.status;
      this.report(run, containerGoneStatus({ containerID, startedAt }, now));
      return {};
    }
    if (this.d.shutdown() !== 'running') {
      this.report(run, nodeShutdownStatus(this.d.nodeName, now));
      return {};
    }
    if (!this.d.health.ready) return { requeueAfter: this.d.retryMs };
    return this.start(run, key);
  }

  private async start(run: Run, key: string): Promise<Result> {
    const uid = run.metadata.uid;
    const t = this.d.table.ensure(uid, key);
    t.state = 'starting';
    const spec: RunContainerSpec = {
      ...runtimeContainerSpec(run.spec.container),
      runUid: uid,
      labels: {
        [RUN_NAME_LABEL]: run.metadata.name,
        [RUN_NAMESPACE_LABEL]: run.metadata.namespace,
        [JOB_NAME_LABEL]: run.spec.jobName,
        [NODE_LABEL]: this.d.nodeName,
      },
      logPath: runLogPath(this.d.dataDir, uid),
      onEvent: (ev) => this.onRuntimeEvent(run, ev),
    };
    let containerId: string;
    const started = this.d.clock.monotonic();
    try {
      ({ containerId } = await this.d.runtime.start(spec));
    } catch (err) {
      if (isRuntimeError(err, 'ImagePullFailed') || isRuntimeError(err, 'StartFailed')) {
        const reason = isRuntimeError(err, 'ImagePullFailed') ? 'ImagePullFailed' : 'Error';
        this.d.metrics.containerStartFailed(reason);
        t.state = 'failed';
        t.startFailure = { reason, message: errorMessage(err) };
        this.d.table.touch(t);
        // report() records the Warning for the Failed status.
        this.report(run, startFailedStatus(reason, errorMessage(err), this.isoNow()));
        return {};
      }
      this.d.table.delete(uid);
      if (isRuntimeError(err, 'RuntimeUnavailable')) {
        this.d.health.markUnavailable(err);
        return { requeueAfter: this.d.retryMs };
      }
      throw err;
    }
    this.starts++;
    this.d.metrics.containerStarted((this.d.clock.monotonic() - started) / 1000);
    t.containerId = containerId;
    t.state = 'running';
    t.startedAt = this.isoNow();
    this.d.table.touch(t);
    this.d.logger.info('started run', {
      run: key,
      uid,
      containerId,
      node: this.d.nodeName,
    });
    this.d.recorder.record(run, 'Normal', 'Started', `Started container ${containerId}`);
    this.ensureWaiter(t);
    const facts = this.facts(run, t) as ContainerFacts;
    this.report(run, runningStatus(facts));
    const left = deadlineLeft(run, facts.startedAt, this.d.clock.now());
    return left !== undefined ? { requeueAfter: Math.max(0, left) || 1 } : {};
  }

  /** Kills a running container for `cause`; its waiter then reports the outcome. */
  private async kill(t: Tracked, cause: KillCause, run: Run): Promise<void> {
    if (t.exit || !t.containerId) return; // it exited on its own first: report that
    if (!t.killCause) {
      t.killCause = cause;
      this.d.table.touch(t);
      const why =
        cause.kind === 'cancelled'
          ? `Run cancelled (${cause.reason})`
          : cause.kind === 'shutdown'
            ? `node ${cause.node} is shutting down`
            : `Run exceeded its active deadline of ${cause.seconds}s`;
      this.d.recorder.record(
        run,
        'Normal',
        'Killing',
        `Stopping container ${t.containerId}: ${why}`,
      );
      this.d.logger.info('killing container', { run: keyOf(run), containerId: t.containerId, why });
    }
    try {
      await this.d.runtime.kill(t.containerId, { graceMs: this.d.killGraceMs });
    } catch (err) {
      if (isRuntimeError(err, 'ContainerNotFound')) {
        t.state = 'gone';
        this.d.table.touch(t);
        return;
      }
      if (isRuntimeError(err, 'RuntimeUnavailable')) this.d.health.markUnavailable(err);
      throw err;
    }
  }

  /**
   * Kills (gracefully) and removes the container of `t`, keeping its log file.
   * The entry is forgotten, or kept as a `removed` tombstone when the cached Run
   * may still look active (a refused report), so the Run is never restarted.
   */
  async dispose(t: Tracked, why: string, run?: Run, tombstone = false): Promise<void> {
    const id = t.containerId;
    if (id && t.state !== 'gone' && t.state !== 'removed') {
      try {
        if (!t.exit && t.state !== 'exited') {
          if (run) {
            this.d.recorder.record(run, 'Normal', 'Killing', `Stopping container ${id}: ${why}`);
          }
          this.d.logger.info('killing container', { runUid: t.runUid, containerId: id, why });
          await this.d.runtime.kill(id, { graceMs: this.d.killGraceMs });
        }
        await this.d.runtime.remove(id);
      } catch (err) {
        if (!isRuntimeError(err, 'ContainerNotFound')) {
          if (isRuntimeError(err, 'RuntimeUnavailable')) this.d.health.markUnavailable(err);
          throw err;
        }
      }
    }
    if (tombstone) {
      t.state = 'removed';
      this.d.table.touch(t);
    } else {
      this.d.table.delete(t.runUid);
    }
    this.d.reporter.forget(t.runUid);
  }

  /** One background wait() per container; records the exit and enqueues the Run. */
  ensureWaiter(t: Tracked): void {
    const id = t.containerId;
    if (t.waiting || t.exit || !id || this.d.stopped()) return;
    if (t.state !== 'running' && t.state !== 'exited' && t.state !== 'unknown') return;
    t.waiting = true;
    const logPath = runLogPath(this.d.dataDir, t.runUid);
    let reported = false;
    void (async () => {
      if (t.adopted && !t.logsAttached) {
        // A restarted agent: resume copying the output the old one was copying.
        await this.d.runtime.attachLogs(id, logPath).then(
          () => (t.logsAttached = true),
          (err: unknown) =>
            this.d.logger.warn('could not re-attach logs', {
              containerId: id,
              err: errorMessage(err),
            }),
        );
      }
      const exit = await this.d.runtime.wait(id);
      if (t.containerId === id && !t.exit) {
        t.exit = exit;
        t.state = 'exited';
        this.d.table.touch(t);
        reported = this.reportExitNow(t);
      }
    })()
      .catch((err: unknown) => {
        if (isRuntimeError(err, 'ContainerNotFound')) {
          if (t.containerId === id && !t.exit && t.state !== 'removed') {
            t.state = 'gone';
            this.d.table.touch(t);
          }
        } else if (isRuntimeError(err, 'RuntimeUnavailable')) {
          this.d.health.markUnavailable(err);
        } else {
          this.d.logger.warn('waiting for a container failed', {
            containerId: id,
            err: errorMessage(err),
          });
        }
      })
      .finally(() => {
        t.waiting = false;
        // A reported exit needs no reconcile now: the Run turning final (or
        // the report refused) enqueues it, and a failed proposal is retried.
        if (t.key && !this.d.stopped() && !reported) this.d.enqueue(t.key);
      });
  }

  /**
   * Reports an exit the moment its waiter sees it, not when the work queue next
   * gets to the Run. A container that ends soon after it started then replaces
   * its Running report while that still waits for the reporter's window, and
   * the Run goes from Pending (or Scheduled) straight to its final phase in one
   * write, startedAt and finishedAt both in it, as a Kubernetes Pod may be seen
   * doing. Without it, a busy queue (longer than the window) sent the Running
   * report alone: one more write for the Run, and one for its Job's Running.
   * Only the plain case is taken here (the Run cached, ours, not final, no
   * report refused); every other case is left to the reconcile the waiter
   * then enqueues. True when the exit was reported here.
   */
  private reportExitNow(t: Tracked): boolean {
    if (!t.key || !t.exit || t.refused !== undefined || this.d.stopped()) return false;
    const run = this.d.runs.getByKey(t.key);
    if (!run || run.metadata.uid !== t.runUid || run.spec.nodeName !== this.d.nodeName) {
      return false;
    }
    if (isFinal(run)) return false;
    const facts = this.facts(run, t);
    if (!facts) return false;
    this.report(run, exitedStatus(facts, t.exit, t.killCause));
    return true;
  }

  /** Submits `status` unless the Run already shows it or it is already on its way. */
  private report(run: Run, status: RunStatus): void {
    if (sameStatus(run.status, status) || this.d.reporter.isSent(run, status)) return;
    if (status.phase && isFinalRunPhase(status.phase)) {
      this.d.metrics.runFinished(status.phase, status.reason ?? '');
    }
    // A Run that succeeded gets no Event of its own, as a Kubernetes Pod gets
    // none: its Job records Completed, and the Run's status says the rest
    // (docs/decisions.md, "Events per Job"). Failures are worth a Warning.
    if (status.phase === 'Failed') {
      this.d.recorder.record(run, 'Warning', 'Failed', `${status.reason}: ${status.message ?? ''}`);
    } else if (status.phase === 'Lost') {
      this.d.recorder.record(run, 'Warning', status.reason ?? 'Lost', status.message ?? '');
    }
    this.d.reporter.submit({
      uid: run.metadata.uid,
      namespace: run.metadata.namespace,
      name: run.metadata.name,
      status,
    });
  }

  /** containerID and startedAt for reports (what we reported before wins for startedAt). */
  private facts(run: Run, t: Tracked): ContainerFacts | undefined {
    if (!t.containerId) return undefined;
    const reported =
      run.status.containerID === t.containerId && run.status.startedAt
        ? run.status.startedAt
        : undefined;
    const startedAt = reported ?? t.startedAt;
    return { containerID: t.containerId, ...(startedAt ? { startedAt } : {}) };
  }

  private onRuntimeEvent(run: Run, ev: RuntimeEvent): void {
    if (ev.type === 'Pulling' || ev.type === 'Pulled') {
      this.d.metrics.imagePull(ev.type);
      this.d.recorder.record(run, 'Normal', ev.type, ev.message);
    }
  }

  private isoNow(): string {
    return new Date(this.d.clock.now()).toISOString();
  }
}
