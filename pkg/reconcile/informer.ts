// An informer keeps a Cache of one kind in step with the API: list (in pages
// of LIST_PAGE_SIZE), then watch from the list's resourceVersion, applying
// each event to the cache and then telling the handlers (which only enqueue
// keys); an event the cache already shows (a later page read it) is skipped.
// When the watch is too old (reason Gone) it lists again and reconciles the
// cache with the new list, reporting what appeared, changed or vanished in
// between. Every resyncMs it replays the whole cache to the handlers as
// updates, so anything a reconciler missed is looked at again: a safety net,
// not a clock. What must happen at a time (deadlines, TTLs, back-off, cron
// slots, expiry, node grace) is asked for by the reconciler itself
// (requeueAfter), so the net can be wide: DEFAULT_RESYNC_MS, 10 h, as
// Kubernetes' controllers (a replay of 100,000 finished Jobs every 30 s cost
// the leader CPU and heap at rest; docs/benchmarks.md, "A leader at rest with
// N finished Jobs"). hasSynced() is true once the first list is in the
// cache; workers wait for it. All waiting goes through the injected Clock.
// The list, the resync and a burst of watch events are fed to the cache and
// handlers in slices of the shared TurnBudget (turns.ts): with 100,000
// objects of a kind, doing any of them in one go would hold the event loop
// for seconds.
import type { ResourceClient } from '../client/index.js';
import type { ResourceOf, WatchEvent } from '../store/index.js';
import type { ObjectLike } from './keys.js';
import type { Clock, Timer } from '../util/clock.js';
import { errorMessage, isReason, Reason } from '../util/errors.js';
import { Cache } from './cache.js';
import { keyOf } from './keys.js';
import { silentLogger, type Logger } from '../util/logger.js';
import { turnBudgetOf, type TurnBudget } from './turns.js';

/**
 * Objects per page of an informer's list (as client-go's reflector). One
 * list of everything was one synchronous read of the whole kind and one
 * array of it: 100,000 Jobs or 500,000 Events held a new leader's event loop
 * for 0.2-0.6 s at a time (docs/benchmarks.md, "100,000 Jobs: a new
 * leader's start, session 7").
 */
export const LIST_PAGE_SIZE = 500;

/** The default resync: 10 h (controller-runtime's SyncPeriod). */
export const DEFAULT_RESYNC_MS = 36_000_000;

export interface EventHandler<T extends ObjectLike> {
  onAdd?(object: T): void;
  /** Also called by resync with old === new. */
  onUpdate?(old: T, object: T): void;
  /** `object` is the last known state (from a DELETED event, or the cache on relist). */
  onDelete?(object: T): void;
}

export interface InformerOptions<K extends string = string> {
  readonly client: ResourceClient;
  readonly kind: K;
  readonly clock: Clock;
  readonly logger?: Logger;
  /** Replay the cache to handlers this often (0 or absent: never). */
  readonly resyncMs?: number;
  /** Wait before retrying after a failed list or watch (default 500 ms, doubling to 10 s). */
  readonly retryMs?: number;
  readonly retryMaxMs?: number;
  /** Objects per list page (default LIST_PAGE_SIZE). */
  readonly pageSize?: number;
}

/** Keeps the objects of kind K (ResourceOf<K>: a Job for 'Job') cached and current. */
export class Informer<K extends string = string> {
  readonly kind: K;
  readonly cache = new Cache<ResourceOf<K>>();
  private readonly client: ResourceClient;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly resyncMs: number;
  private readonly retryMs: number;
  private readonly retryMaxMs: number;
  private readonly pageSize: number;
  private readonly handlers: EventHandler<ResourceOf<K>>[] = [];
  private readonly budget: TurnBudget;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private started = false;
  /** Lists done so far (1 after the initial list; more after Gone). */
  private listCount = 0;

  constructor(opts: InformerOptions<K>) {
    this.kind = opts.kind;
    this.client = opts.client;
    this.clock = opts.clock;
    this.logger = opts.logger ?? silentLogger;
    this.resyncMs = opts.resyncMs ?? 0;
    this.retryMs = opts.retryMs ?? 500;
    this.retryMaxMs = opts.retryMaxMs ?? 10_000;
    this.pageSize = Math.max(1, opts.pageSize ?? LIST_PAGE_SIZE);
    this.budget = turnBudgetOf(opts.clock);
  }

  /** Handlers added after start still see later events (and resyncs), not the past. */
  addHandler(handler: EventHandler<ResourceOf<K>>): void {
    this.handlers.push(handler);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** How many times the informer has listed (tests: relist on Gone). */
  get lists(): number {
    return this.listCount;
  }

  /** Resolves once the first list is cached, or when `signal` aborts. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.syncWaiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Runs list+watch until `signal` aborts; the promise settles then. Errors
   * other than Gone are logged and retried with back-off, never thrown.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error(`informer for ${this.kind} already started`);
    this.started = true;
    const resync = this.resyncMs > 0 ? this.scheduleResync(signal) : undefined;
    let failures = 0;
    try {
      while (!signal.aborted) {
        try {
          let rv = await this.list();
          failures = 0;
          // Watch; on a clean end (server closed the stream) watch again from
          // where we are; on Gone fall out to relist.
          while (!signal.aborted) {
            const next = await this.watch(rv, signal);
            // A stream that ends at once with nothing new: don't spin on it.
            if (next === rv && !signal.aborted) {
              await abortableSleep(this.clock, this.retryMs, signal);
            }
            rv = next;
          }
        } catch (err) {
          if (signal.aborted) break;
          if (isReason(err, Reason.Gone)) {
            this.logger.info('watch too old; relisting', {
              kind: this.kind,
              err: errorMessage(err),
            });
            continue;
          }
          const delay = Math.min(this.retryMaxMs, this.retryMs * Math.pow(2, failures++));
          this.logger.warn('list/watch failed; retrying', {
            kind: this.kind,
            err: errorMessage(err),
            retryMs: delay,
          });
          await abortableSleep(this.clock, delay, signal);
        }
      }
    } finally {
      resync?.cancel();
    }
  }

  /**
   * Lists in pages, replaces the cache (telling handlers the differences) and
   * returns the revision to watch from: the first page's. Later pages read
   * the state of their own moment, so the cache may hold an object at a
   * newer revision than that; the watch replays the changes in between and
   * apply() skips those the cache already shows. Only a relist (after Gone)
   * looks for what vanished: a first list starts from an empty cache.
   */
  private async list(): Promise<string> {
    const seen = this.cache.size > 0 ? new Set<string>() : undefined;
    let rv: string | undefined;
    let token: string | undefined;
    do {
      const page = await this.client.list(this.kind, {
        limit: this.pageSize,
        ...(token !== undefined ? { continue: token } : {}),
      });
      rv ??= page.resourceVersion;
      token = page.continue;
      for (const obj of page.items) {
        const turn = this.budget.spend();
        if (turn) await turn;
        const old = this.cache.upsert(obj);
        const now = this.cache.get(obj.metadata.namespace, obj.metadata.name) as ResourceOf<K>;
        seen?.add(keyOf(now));
        if (!old) this.emitAdd(now);
        else if (old.metadata.resourceVersion !== now.metadata.resourceVersion) {
          this.emitUpdate(old, now);
        }
      }
    } while (token !== undefined && token !== '');
    this.listCount++;
    if (seen) {
      for (const key of this.cache.keys()) {
        const turn = this.budget.spend();
        if (turn) await turn;
        if (seen.has(key)) continue;
        const old = this.cache.remove(key);
        if (old) this.emitDelete(old);
      }
    }
    if (!this.synced) {
      this.synced = true;
      const waiters = this.syncWaiters.splice(0);
      for (const w of waiters) w();
    }
    return rv;
  }

  /** Watches from `rv` until the stream ends; returns the last revision seen. */
  private async watch(rv: string, signal: AbortSignal): Promise<string> {
    let last = rv;
    for await (const event of this.client.watch(this.kind, { resourceVersion: rv, signal })) {
      this.apply(event);
      last = event.object.metadata.resourceVersion;
      const turn = this.budget.spend();
      if (turn) await turn;
    }
    return last;
  }

  private apply(event: WatchEvent<ResourceOf<K>>): void {
    const obj = event.object;
    const cached = this.cache.get(obj.metadata.namespace, obj.metadata.name);
    // A change a later page of the list already showed (see list()).
    if (cached && revisionOf(cached) >= revisionOf(obj)) return;
    if (event.type === 'DELETED') {
      const old = this.cache.remove(keyOf(obj));
      this.emitDelete(old && obj.metadata.uid !== old.metadata.uid ? old : obj);
      return;
    }
    const old = this.cache.upsert(obj);
    const now = this.cache.get(obj.metadata.namespace, obj.metadata.name) as ResourceOf<K>;
    if (old) this.emitUpdate(old, now);
    else this.emitAdd(now);
  }

  /** Replays the cache every resyncMs; the next period starts when a replay has ended. */
  private scheduleResync(signal: AbortSignal): { cancel(): void } {
    let timer: Timer | undefined;
    const tick = (): void => {
      if (signal.aborted) return;
      void this.replay(signal).then(() => {
        if (!signal.aborted) timer = this.clock.setTimer(this.resyncMs, tick);
      });
    };
    timer = this.clock.setTimer(this.resyncMs, tick);
    return { cancel: () => timer?.cancel() };
  }

  /**
   * Tells the handlers of every cached object (as an update, old === new).
   * An object changed or removed since the replay began is skipped: its own
   * event has told the handlers already.
   */
  private async replay(signal: AbortSignal): Promise<void> {
    if (!this.synced) return;
    for (const obj of this.cache.list()) {
      const turn = this.budget.spend();
      if (turn) await turn;
      if (signal.aborted) return;
      if (this.cache.get(obj.metadata.namespace, obj.metadata.name) === obj) {
        this.emitUpdate(obj, obj);
      }
    }
  }

  private emitAdd(obj: ResourceOf<K>): void {
    for (const h of this.handlers) this.safely(() => h.onAdd?.(obj));
  }

  private emitUpdate(old: ResourceOf<K>, obj: ResourceOf<K>): void {
    for (const h of this.handlers) this.safely(() => h.onUpdate?.(old, obj));
  }

  private emitDelete(obj: ResourceOf<K>): void {
    for (const h of this.handlers) this.safely(() => h.onDelete?.(obj));
  }

  /** A throwing handler must not stop the informer or starve other handlers. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error('event handler threw', { kind: this.kind, err: errorMessage(err) });
    }
  }
}

/** An object's resourceVersion as the store revision it is (they are decimal numbers). */
function revisionOf(obj: ObjectLike): number {
  return Number(obj.metadata.resourceVersion);
}

/** Resolves after ms on the clock, or at once when `signal` aborts. */
export function abortableSleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = clock.setTimer(ms, done);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      timer.cancel();
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
