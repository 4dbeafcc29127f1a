// Leader-only controllers (job, scheduler, node lifecycle, cron, event TTL) of one jobd: a
// reconcile Manager started while this node is the Raft leader and stopped as
// soon as it is not. The Manager builds fresh informers and controllers per
// start, so a new leader works from replicated state only (pkg/controllers
// README). Leadership is followed through RaftNode.onRoleChange, which reports
// every change of role (a step-down and re-election of the same node included)
// as the Raft loop learns it; nothing polls.
import type { ResourceClient } from '../client/index.js';
import { addControllers, type ControllersOptions } from '../controllers/index.js';
import type { RaftNode } from '../raft/index.js';
import { addEventGc } from '../events/index.js';
import { Manager, type EventRecorder, type ReconcileMetrics } from '../reconcile/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import type { NodeLogger } from './logger.js';

export interface LeaderControllersOptions {
  readonly raft: Pick<RaftNode, 'isLeader' | 'onRoleChange'>;
  /** The node's in-process client (LocalClient). */
  readonly client: ResourceClient;
  readonly recorder: EventRecorder;
  readonly controllers: ControllersOptions;
  /** Events are deleted this long after their last occurrence. Default: pkg/events' (1 h). */
  readonly eventTtlMs?: number;
  readonly logger: NodeLogger;
  /** Reconcile latency and outcomes of every controller (monitoring). */
  readonly metrics?: ReconcileMetrics;
  readonly clock?: Clock;
  /** Informer resync period (a safety net; see pkg/reconcile/informer.ts). Default the Manager's (10 h). */
  readonly resyncMs?: number;
}

export class LeaderControllers {
  private readonly manager: Manager;
  private unsubscribe: (() => void) | undefined;
  private running = false;
  /** Serializes start/stop transitions of the manager. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeaderControllersOptions) {
    this.manager = new Manager({
      client: o.client,
      clock: o.clock ?? realClock,
      logger: o.logger,
      recorder: o.recorder,
      ...(o.resyncMs !== undefined ? { resyncMs: o.resyncMs } : {}),
      ...(o.metrics ? { metrics: o.metrics } : {}),
    });
    addControllers(this.manager, o.controllers);
    addEventGc(this.manager, o.eventTtlMs !== undefined ? { ttlMs: o.eventTtlMs } : {});
  }

  /** True while this node runs the controllers (it is or just was leader). */
  get isActive(): boolean {
    return this.manager.isRunning;
  }

  /** Work queue length of each running controller (empty when not leader). */
  queueDepths(): [string, number][] {
    return this.manager.controllers().map((c) => [c.name, c.queue.length]);
  }

  /** Follows leadership from now on. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.unsubscribe = this.o.raft.onRoleChange((change) => this.sync(change.role === 'leader'));
    this.sync(this.o.raft.isLeader());
  }

  /** Stops following leadership and stops the controllers (waits for reconciles in flight). */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.transition;
    await this.manager.stop();
  }

  /** Starts or stops the manager to match the role. */
  private sync(leader: boolean): void {
    if (!this.running) return;
    if (leader === this.manager.isRunning) return;
    if (leader) {
      this.o.logger.info('became leader: starting controllers');
      // start() resolves once caches synced; a failure is logged by the manager.
      this.manager.start().catch((err: unknown) => {
        this.o.logger.error('controllers failed to start', { error: errorMessage(err) });
      });
    } else {
      this.o.logger.info('lost leadership: stopping controllers');
      this.transition = this.manager.stop();
    }
  }
}
