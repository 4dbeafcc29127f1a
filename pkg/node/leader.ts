// Leader-only controllers (job, scheduler, node lifecycle, event TTL) of one jobd: a
// reconcile Manager started while this node is the Raft leader and stopped as
// soon as it is not. The Manager builds fresh informers and controllers per
// start, so a new leader works from replicated state only (pkg/controllers
// README). Leadership is followed through RaftNode.onLeaderChange plus a slow
// poll of isLeader(), so a role change that does not change the leader id
// (e.g. step-down and re-election of the same node) is not missed.
import type { ResourceClient } from '../client/types.js';
import { addControllers, type ControllersOptions } from '../controllers/index.js';
import type { RaftNode } from '../raft/node.js';
import { addEventGc } from '../events/index.js';
import { Manager, type EventRecorder, type ReconcileMetrics } from '../reconcile/index.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import type { NodeLogger } from './logger.js';

export interface LeaderControllersOptions {
  readonly raft: Pick<RaftNode, 'isLeader' | 'onLeaderChange'>;
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
  /** Informer resync period. Default 30 000. */
  readonly resyncMs?: number;
  /** How often isLeader() is polled besides the leader-change callback. Default 500. */
  readonly pollMs?: number;
}

export class LeaderControllers {
  private readonly manager: Manager;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private unsubscribe: (() => void) | undefined;
  private timer: Timer | undefined;
  private running = false;
  /** Serializes start/stop transitions of the manager. */
  private transition: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeaderControllersOptions) {
    this.clock = o.clock ?? realClock;
    this.pollMs = o.pollMs ?? 500;
    this.manager = new Manager({
      client: o.client,
      clock: this.clock,
      logger: o.logger,
      recorder: o.recorder,
      resyncMs: o.resyncMs ?? 30_000,
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
    this.unsubscribe = this.o.raft.onLeaderChange(() => this.sync());
    const poll = (): void => {
      if (!this.running) return;
      this.sync();
      this.timer = this.clock.setTimer(this.pollMs, poll);
    };
    poll();
  }

  /** Stops following leadership and stops the controllers (waits for reconciles in flight). */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.timer?.cancel();
    this.timer = undefined;
    await this.transition;
    await this.manager.stop();
  }

  /** Starts or stops the manager to match isLeader(). */
  private sync(): void {
    if (!this.running) return;
    const leader = this.o.raft.isLeader();
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
