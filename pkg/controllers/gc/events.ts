// Event TTL: a leader-only controller that deletes Events whose lastTimestamp
// is older than the TTL (default 1 h), so events never grow without bound.
//
// One key, SWEEP_KEY, for all Events: a cluster keeps hundreds of thousands of
// them (several per Run), and a key per Event meant as many pending timers
// and, at every informer resync, as many reconciles. A sweep walks the cache
// (in slices of the shared TurnBudget), deletes what has expired and asks to
// come back when the next Event will have (requeueAfter), but not sooner than
// the TTL / SWEEPS_PER_TTL after this sweep, so a steady trickle of expiries
// costs one walk per interval, not one per Event. An Event added or bumped
// asks for a sweep at its own expiry; the queue keeps only the earliest
// deadline. Deletes are conditional on the resourceVersion seen, so a bump
// racing with the delete wins (and its update asks for a later sweep).
import type { Event } from '../../store/index.js';
import {
  Controller,
  turnBudgetOf,
  type ControllerFactory,
  type Lister,
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
  readonly client: ResourceClient;
  /** Where Events are read from (the informer's cache). */
  readonly events: Pick<Lister<Event>, 'list'>;
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

  /** Deletes every expired Event; comes back when the next one expires (none left: never). */
  async reconcile(_key: string): Promise<Result> {
    const budget = turnBudgetOf(this.opts.clock);
    const now = this.opts.clock.now();
    const expired: Event[] = [];
    let next = Infinity;
    for (const event of this.opts.events.list()) {
      const turn = budget.spend();
      if (turn) await turn;
      const at = eventExpiry(event, this.ttlMs);
      if (at <= now) expired.push(event);
      else next = Math.min(next, at);
    }
    let failure: unknown;
    let at = 0;
    const worker = async (): Promise<void> => {
      while (at < expired.length) {
        const event = expired[at++] as Event;
        try {
          await this.remove(event);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.deletes, expired.length) }, worker));
    // What failed is retried with back-off (the other deletes went through).
    if (failure) throw failure;
    if (next === Infinity) return {};
    return { requeueAfter: Math.max(next - now, this.minIntervalMs) };
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

/** A ControllerFactory for the event TTL controller. */
export function eventGcController(opts: EventGcOptions = {}): ControllerFactory {
  return (ctx) => {
    const events = ctx.informer('Event');
    const ttlMs = opts.ttlMs ?? DEFAULT_EVENT_TTL_MS;
    const controller = new Controller({
      name: EVENT_GC_CONTROLLER,
      reconciler: new EventGcReconciler({
        client: ctx.client,
        events: events.cache,
        clock: ctx.clock,
        ttlMs,
        ...(opts.deletes !== undefined ? { deletes: opts.deletes } : {}),
      }),
      clock: ctx.clock,
      logger: ctx.logger,
    });
    // A sweep at this Event's expiry (the queue keeps the earliest deadline).
    const due = (event: Event): void =>
      controller.queue.addAfter(SWEEP_KEY, eventExpiry(event, ttlMs) - ctx.clock.now());
    events.addHandler({
      onAdd: due,
      // A resync (old === new) changes no expiry: the sweep it asked for is pending.
      onUpdate: (old, event) => {
        if (old !== event) due(event);
      },
    });
    return controller;
  };
}

/** Registers the event TTL controller with `manager` (leader only, as addControllers). */
export function addEventGc(manager: Manager, opts: EventGcOptions = {}): void {
  manager.add(EVENT_GC_CONTROLLER, eventGcController(opts));
}
