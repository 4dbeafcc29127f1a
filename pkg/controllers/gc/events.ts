// Event TTL: a leader-only controller that deletes Events whose lastTimestamp
// is older than the TTL (default 1 h), so events never grow without bound.
//
// One key, SWEEP_KEY, for all Events: a cluster keeps hundreds of thousands of
// them (several per Run). A sweep reads the Events from the store in pages
// (LIST_PAGE_SIZE, in slices of the shared TurnBudget), deletes what has
// expired and asks to come back when the next Event will have
// (requeueAfter), but not sooner than the TTL / SWEEPS_PER_TTL after this
// sweep, so a steady trickle of expiries costs one walk per interval, not one
// per Event. An Event written after a sweep carries a lastTimestamp of about
// its writing, so it expires no sooner than a TTL after that sweep: a sweep
// finding nothing to wait for comes back after one TTL, and every Event goes
// within TTL / SWEEPS_PER_TTL of its expiry without the controller watching
// them. (It kept an informer of every Event: at 100,000 finished Jobs, 500,000
// objects that a new leader listed and cached before its controllers could
// start, for a controller that needs them once a minute at most;
// docs/benchmarks.md, "100,000 Jobs: a new leader's start, session 7".)
// Deletes are conditional on the resourceVersion seen, so a bump racing with
// the delete wins.
import type { Event } from '../../store/index.js';
import {
  Controller,
  LIST_PAGE_SIZE,
  turnBudgetOf,
  type ControllerFactory,
  type Manager,
  type Reconciler,
  type Result,
} from '../../reconcile/index.js';
import type { ResourceClient } from '../../client/index.js';
import type { Clock } from '../../util/clock.js';
import { Reason, isReason } from '../../util/errors.js';
import { parseTime } from '../common/time.js';

export const EVENT_GC_CONTROLLER = 'event-gc';
export const DEFAULT_EVENT_TTL_MS = 3_600_000;
/** The one key every sweep runs under. */
export const SWEEP_KEY = 'sweep';
/** Sweeps are at least TTL / SWEEPS_PER_TTL apart (1 min for the default hour). */
export const SWEEPS_PER_TTL = 60;

export interface EventGcOptions {
  /** How long after its lastTimestamp an Event is deleted (default 1 h). */
  readonly ttlMs?: number;
  /** Concurrent deletes within a sweep (default 16). */
  readonly deletes?: number;
}

export interface EventGcReconcilerOptions {
  /** Where Events are read (in pages, from the serving node's copy) and deleted. */
  readonly client: ResourceClient;
  readonly clock: Clock;
  readonly ttlMs?: number;
  /** Concurrent deletes (default 16). */
  readonly deletes?: number;
}

/** When an Event expires (ms since the epoch): lastTimestamp, else creation, plus the TTL. */
export function eventExpiry(event: Event, ttlMs: number): number {
  const last =
    parseTime(event.spec?.lastTimestamp) ??
    parseTime(event.spec?.firstTimestamp) ??
    parseTime(event.metadata.creationTimestamp) ??
    0;
  return last + ttlMs;
}

export class EventGcReconciler implements Reconciler {
  private readonly ttlMs: number;
  private readonly deletes: number;

  constructor(private readonly opts: EventGcReconcilerOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_EVENT_TTL_MS;
    this.deletes = Math.max(1, opts.deletes ?? 16);
  }

  /** The shortest time between two sweeps. */
  get minIntervalMs(): number {
    return Math.max(1, Math.floor(this.ttlMs / SWEEPS_PER_TTL));
  }

  /**
   * Deletes every expired Event; comes back when the next one expires, and at
   * the latest one TTL on (an Event written from now on expires no sooner).
   */
  async reconcile(_key: string): Promise<Result> {
    const budget = turnBudgetOf(this.opts.clock);
    const now = this.opts.clock.now();
    let next = now + this.ttlMs;
    let failure: unknown;
    let token: string | undefined;
    do {
      // A stale read is enough: deletes are conditional on what was read.
      const page = await this.opts.client.list('Event', {
        consistency: 'stale',
        limit: LIST_PAGE_SIZE,
        ...(token !== undefined ? { continue: token } : {}),
      });
      token = page.continue;
      const expired: Event[] = [];
      for (const event of page.items) {
        const turn = budget.spend();
        if (turn) await turn;
        const at = eventExpiry(event, this.ttlMs);
        if (at <= now) expired.push(event);
        else next = Math.min(next, at);
      }
      // Deleting keys already read does not move the next page (continue-token.ts).
      failure ??= await this.removeAll(expired);
    } while (token !== undefined && token !== '');
    // What failed is retried with back-off (the other deletes went through).
    if (failure) throw failure;
    return { requeueAfter: Math.max(next - now, this.minIntervalMs) };
  }

  /** Deletes `events`, `deletes` at a time; the first failure, if any. */
  private async removeAll(events: readonly Event[]): Promise<unknown> {
    let failure: unknown;
    let at = 0;
    const worker = async (): Promise<void> => {
      while (at < events.length) {
        const event = events[at++] as Event;
        try {
          await this.remove(event);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deletes, events.length) }, worker));
    return failure;
  }

  private async remove(event: Event): Promise<void> {
    const { namespace, name, uid, resourceVersion } = event.metadata;
    try {
      await this.opts.client.delete('Event', namespace, name, {
        preconditions: { uid, resourceVersion },
      });
    } catch (err) {
      // Gone already, or bumped since the cache saw it (its update asks for a sweep).
      if (isReason(err, Reason.NotFound) || isReason(err, Reason.Conflict)) return;
      throw err;
    }
  }
}

/** A ControllerFactory for the event TTL controller: a sweep at start, then as each asks. */
export function eventGcController(opts: EventGcOptions = {}): ControllerFactory {
  return (ctx) => {
    const controller = new Controller({
      name: EVENT_GC_CONTROLLER,
      reconciler: new EventGcReconciler({
        client: ctx.client,
        clock: ctx.clock,
        ...(opts.ttlMs !== undefined ? { ttlMs: opts.ttlMs } : {}),
        ...(opts.deletes !== undefined ? { deletes: opts.deletes } : {}),
      }),
      clock: ctx.clock,
      logger: ctx.logger,
    });
    controller.add(SWEEP_KEY);
    return controller;
  };
}

/** Registers the event TTL controller with `manager` (leader only, as addControllers). */
export function addEventGc(manager: Manager, opts: EventGcOptions = {}): void {
  manager.add(EVENT_GC_CONTROLLER, eventGcController(opts));
}
