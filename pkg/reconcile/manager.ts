// The Manager runs the leader-only controllers. The node calls start() when it
// becomes Raft leader and stop() when it stops being leader (or shuts down).
// Each start() begins a fresh session: new informers (one per kind, shared by
// the session's controllers), new queues and new controller instances built
// by the registered factories, so whatever a controller remembers in memory
// (back-off counters, heartbeat observations) never outlives a leadership
// term and a new leader works from replicated state alone. Workers start only
// once every informer has listed (hasSynced); stop() cancels the watches,
// stops handing out keys and waits for in-flight reconciles to finish.
import type { ResourceClient } from '../client/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import type { Controller } from './controller.js';
import { noopRecorder, type EventRecorder } from './events.js';
import { DEFAULT_RESYNC_MS, Informer } from './informer.js';
import { silentLogger, type Logger } from '../util/logger.js';
import type { ReconcileMetrics } from './metrics.js';

/** What a controller factory gets to build one controller for one session. */
export interface ManagerContext {
  readonly client: ResourceClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly recorder: EventRecorder;
  /** The session's informer for `kind` (created on first use, shared). */
  informer<K extends string>(kind: K): Informer<K>;
}

/** Builds a controller and wires its informer handlers. Called once per session. */
export type ControllerFactory = (ctx: ManagerContext) => Controller;

export interface ManagerOptions {
  readonly client: ResourceClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly recorder?: EventRecorder;
  /** Informer resync period (default DEFAULT_RESYNC_MS, 10 h; 0 disables). */
  readonly resyncMs?: number;
  /** Given to every controller the factories build (monitoring). */
  readonly metrics?: ReconcileMetrics;
}

/** What the session does with every informer, whatever its kind. */
type SessionInformer = Pick<Informer, 'run' | 'waitForSync'>;

class Session {
  readonly abort = new AbortController();
  /** One informer per kind: the one under kind K is an Informer<K> (see informerOf). */
  readonly informers = new Map<string, SessionInformer>();
  readonly controllers: Controller[] = [];
  readonly informerRuns: Promise<void>[] = [];
  ready: Promise<void> = Promise.resolve();
  started = false;
}

export class Manager {
  private readonly opts: ManagerOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly factories: { name: string; factory: ControllerFactory }[] = [];
  private session: Session | undefined;
  private stopping: Promise<void> = Promise.resolve();

  constructor(opts: ManagerOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Registers a controller factory (before start; takes effect at the next start). */
  add(name: string, factory: ControllerFactory): void {
    if (this.factories.some((f) => f.name === name)) {
      throw new Error(`controller ${name} registered twice`);
    }
    this.factories.push({ name, factory });
  }

  /** True between start() and stop(). */
  get isRunning(): boolean {
    return this.session !== undefined;
  }

  /** True once the current session's caches synced and workers run. */
  get isStarted(): boolean {
    return this.session?.started ?? false;
  }

  /** The current session's controller named `name` (tests, metrics). */
  controller(name: string): Controller | undefined {
    return this.session?.controllers.find((c) => c.name === name);
  }

  /** The current session's controllers (metrics: queue depths); empty when not running. */
  controllers(): readonly Controller[] {
    return this.session?.controllers ?? [];
  }

  /** The current session's informer for `kind`, if any controller uses it. */
  informer<K extends string>(kind: K): Informer<K> | undefined {
    return this.session && informerOf(this.session, kind);
  }

  /**
   * Begins a session (idempotent while running). Resolves once caches have
   * synced and workers run, or once stop() cancels the session first. Safe to
   * call without awaiting (`void manager.start()`).
   */
  start(): Promise<void> {
    if (this.session) return this.session.ready;
    const s = new Session();
    this.session = s;
    const previousStop = this.stopping;
    s.ready = (async () => {
      await previousStop;
      if (s.abort.signal.aborted) return;
      this.build(s);
      for (const inf of s.informers.values()) s.informerRuns.push(inf.run(s.abort.signal));
      await Promise.all([...s.informers.values()].map((i) => i.waitForSync(s.abort.signal)));
      if (s.abort.signal.aborted) return;
      for (const c of s.controllers) c.start();
      s.started = true;
      this.logger.info('controllers started', {
        controllers: s.controllers.map((c) => c.name),
      });
    })().catch((err) => {
      this.logger.error('controllers failed to start', { err: errorMessage(err) });
      throw err;
    });
    return s.ready;
  }

  /** Ends the session: watches cancelled, workers drained. Idempotent. */
  stop(): Promise<void> {
    const s = this.session;
    if (!s) return this.stopping;
    this.session = undefined;
    s.abort.abort();
    this.stopping = (async () => {
      await s.ready.catch(() => {});
      await Promise.all(s.controllers.map((c) => c.stop()));
      await Promise.all(s.informerRuns);
      if (s.started) this.logger.info('controllers stopped');
    })();
    return this.stopping;
  }

  private build(s: Session): void {
    const ctx: ManagerContext = {
      client: this.opts.client,
      clock: this.clock,
      logger: this.logger,
      recorder: this.opts.recorder ?? noopRecorder,
      informer: <K extends string>(kind: K): Informer<K> => {
        let inf = informerOf(s, kind);
        if (!inf) {
          inf = new Informer({
            client: this.opts.client,
            kind,
            clock: this.clock,
            logger: this.logger,
            resyncMs: this.opts.resyncMs ?? DEFAULT_RESYNC_MS,
          });
          s.informers.set(kind, inf);
        }
        return inf;
      },
    };
    for (const { factory } of this.factories) {
      const c = factory(ctx);
      if (this.opts.metrics) c.observe(this.opts.metrics);
      s.controllers.push(c);
    }
  }
}

/**
 * The session's informer for `kind`. A Map cannot tie each entry's type to its
 * key; the cast is sound because the only writer (ManagerContext.informer)
 * files the Informer<K> it built for kind K under K.
 */
function informerOf<K extends string>(s: Session, kind: K): Informer<K> | undefined {
  return s.informers.get(kind) as Informer<K> | undefined;
}
