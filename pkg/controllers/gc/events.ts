// Event TTL: a leader-only controller that deletes Events whose lastTimestamp
// is older than the TTL (default 1 h), so events never grow without bound.
// Each Event is its own key: reconcile deletes it if expired, or asks to be
// called again when it will be (requeueAfter), measured on the injected clock.
// A repeat of the event (count bump) moves lastTimestamp and so its expiry;
// the delete is conditional on the resourceVersion seen, so a bump racing
// with the delete wins.
import type { Event } from '../../store/index.js';
import {
  Controller,
  enqueueObject,
  type ControllerFactory,
  type Lister,
  type Manager,
  type Reconciler,
  type Result,
  splitKey,
} from '../../reconcile/index.js';
import type { ResourceClient } from '../../client/index.js';
import type { Clock } from '../../util/clock.js';
import { Reason, isReason } from '../../util/errors.js';
import { parseTime } from '../common/time.js';

export const EVENT_GC_CONTROLLER = 'event-gc';
export const DEFAULT_EVENT_TTL_MS = 3_600_000;

export interface EventGcOptions {
  /** How long after its lastTimestamp an Event is deleted (default 1 h). */
  readonly ttlMs?: number;
  /** Concurrent deletes (default 2). */
  readonly workers?: number;
}

export interface EventGcReconcilerOptions {
  readonly client: ResourceClient;
  /** Where Events are read from (the informer's cache). */
  readonly events: Pick<Lister<Event>, 'get'>;
  readonly clock: Clock;
  readonly ttlMs?: number;
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

  constructor(private readonly opts: EventGcReconcilerOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_EVENT_TTL_MS;
  }

  async reconcile(key: string): Promise<Result> {
    const { namespace, name } = splitKey(key);
    const event = this.opts.events.get(namespace, name);
    if (!event) return {};
    const left = eventExpiry(event, this.ttlMs) - this.opts.clock.now();
    if (left > 0) return { requeueAfter: left };
    try {
      await this.opts.client.delete('Event', namespace, name, {
        preconditions: {
          uid: event.metadata.uid,
          resourceVersion: event.metadata.resourceVersion,
        },
      });
    } catch (err) {
      if (isReason(err, Reason.NotFound)) return {};
      // Bumped since the cache saw it: the update event re-enqueues the key.
      if (isReason(err, Reason.Conflict)) return {};
      throw err;
    }
    return {};
  }
}

/** A ControllerFactory for the event TTL controller. */
export function eventGcController(opts: EventGcOptions = {}): ControllerFactory {
  return (ctx) => {
    const events = ctx.informer('Event');
    const controller = new Controller({
      name: EVENT_GC_CONTROLLER,
      reconciler: new EventGcReconciler({
        client: ctx.client,
        events: events.cache,
        clock: ctx.clock,
        ttlMs: opts.ttlMs,
      }),
      clock: ctx.clock,
      logger: ctx.logger,
      workers: opts.workers ?? 2,
    });
    events.addHandler(enqueueObject(controller));
    return controller;
  };
}

/** Registers the event TTL controller with `manager` (leader only, as addControllers). */
export function addEventGc(manager: Manager, opts: EventGcOptions = {}): void {
  manager.add(EVENT_GC_CONTROLLER, eventGcController(opts));
}
