// StoreEventRecorder: the EventRecorder a node gives its controllers and its
// agent. record() only touches memory — it never throws, never awaits and
// never slows a reconcile. Events are aggregated by name (see names.ts) and
// written every `flushMs`: the first occurrence creates the Event, a repeat
// bumps its count and lastTimestamp. A write that loses a race (Conflict)
// re-reads and retries once; a failed write is retried at the next flush a
// couple of times, then dropped with a log line. At most `maxPending`
// distinct events wait in memory; beyond that the oldest are dropped (logged).
//
// With a proposer (a node's Raft proposer), a flush is ONE store `batch`
// command (non-atomic) holding a create for each event not written before and
// an update (guarded by its resourceVersion) for each one this recorder wrote
// last: one proposal and one Raft round for every event of the period, however
// many Jobs and Runs they are about. The few items the store refuses because
// another writer got there first (AlreadyExists, Conflict, NotFound after a
// TTL deletion) are then written one by one through the client, as without a
// proposer: there writes go through the client, 16 at a time.
import { randomUUID } from 'node:crypto';
import type { ResourceClient } from '../client/index.js';
import type { EventRecorder, EventType, ObjectLike } from '../reconcile/index.js';
import { silentLogger, type Logger } from '../util/logger.js';
import {
  API_VERSION,
  type Event,
  type EventSource,
  type InputOf,
  type ObjectReference,
  type Proposer,
  type SingleCommand,
  resultError,
} from '../store/index.js';
import type { Clock, Timer } from '../util/clock.js';
import { JobctlError, Reason, errorMessage, isReason } from '../util/errors.js';
import { eventName, eventNamespace, involvedObjectOf } from './names.js';

export const DEFAULT_FLUSH_MS = 200;
/**
 * Distinct events waiting at most. A thousand Jobs a second record about three
 * thousand events a second on the leader (SuccessfulCreate, Scheduled,
 * Completed), so a flush period plus a Raft round under load holds thousands.
 */
export const DEFAULT_MAX_PENDING = 10_000;
/**
 * Events in one batch command at most. Chunks are proposed one after another,
 * so one Raft entry never carries thousands of creates whose apply would stall
 * every node's event loop (a stalled leader misses its heartbeats).
 */
export const MAX_BATCH = 128;
/** Writes in flight at once during a flush. */
export const DEFAULT_WRITE_CONCURRENCY = 16;
/** Flushes a failed event is tried in before it is dropped. */
const MAX_ATTEMPTS = 3;

export interface StoreEventRecorderOptions {
  /** Where Events are written (a node's LocalClient). */
  readonly client: ResourceClient;
  readonly clock: Clock;
  /** source.component of recorded events: 'job-controller', 'agent' ... */
  readonly component: string;
  /** source.node of recorded events ('' or omitted: none). */
  readonly nodeName?: string;
  readonly logger?: Logger;
  /** How long events are aggregated before being written (default 200 ms). */
  readonly flushMs?: number;
  /** Distinct events kept waiting at most (default 1000). */
  readonly maxPending?: number;
  /** Concurrent writes per flush (default 16). */
  readonly concurrency?: number;
  /**
   * Where a flush's events go as one store batch command (a node's Raft
   * proposer). Without it each event is its own client write.
   */
  readonly proposer?: Proposer;
  /** uids of Events created by a batch (default crypto.randomUUID). */
  readonly newUid?: () => string;
}

/** Counters for tests and metrics. */
export interface RecorderStats {
  /** record() calls accepted. */
  readonly recorded: number;
  readonly created: number;
  readonly updated: number;
  /** Batch commands proposed (with a proposer). */
  readonly batches: number;
  /** Events given up on (write failures, overflow, recorded after stop). */
  readonly dropped: number;
  readonly pending: number;
}

/** One distinct event waiting to be written, with the occurrences aggregated so far. */
interface Pending {
  readonly name: string;
  readonly namespace: string;
  readonly involvedObject: ObjectReference;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
  readonly source: EventSource;
  /** Occurrences not yet written. */
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  /** Flushes that already failed to write it. */
  attempts: number;
}

/** An event whose write failed, and why. */
interface Failure {
  readonly p: Pending;
  readonly err: unknown;
}

const pendingKey = (namespace: string, name: string): string => `${namespace}/${name}`;

export class StoreEventRecorder implements EventRecorder {
  private readonly client: ResourceClient;
  private readonly clock: Clock;
  private readonly source: EventSource;
  private readonly logger: Logger;
  private readonly flushMs: number;
  private readonly maxPending: number;
  private readonly concurrency: number;
  /** In insertion order, so the first entry is the oldest. */
  private readonly pending = new Map<string, Pending>();
  /** Last written state of recent events (LRU), so a repeat needs no read. */
  private readonly written = new Map<string, Event>();
  private timer: Timer | undefined;
  /** The chain of flushes: one at a time, in order. */
  private flushing: Promise<void> = Promise.resolve();
  private stopped = false;
  /** Overflow drops since the last log line about them. */
  private overflowed = 0;
  private counts = { recorded: 0, created: 0, updated: 0, batches: 0, dropped: 0 };
  private readonly proposer: Proposer | undefined;
  private readonly newUid: () => string;

  constructor(opts: StoreEventRecorderOptions) {
    this.client = opts.client;
    this.clock = opts.clock;
    this.source = { component: opts.component, ...(opts.nodeName ? { node: opts.nodeName } : {}) };
    this.logger = opts.logger ?? silentLogger;
    this.flushMs = Math.max(0, opts.flushMs ?? DEFAULT_FLUSH_MS);
    this.maxPending = Math.max(1, opts.maxPending ?? DEFAULT_MAX_PENDING);
    this.concurrency = Math.max(1, opts.concurrency ?? DEFAULT_WRITE_CONCURRENCY);
    this.proposer = opts.proposer;
    this.newUid = opts.newUid ?? randomUUID;
  }

  get stats(): RecorderStats {
    return { ...this.counts, pending: this.pending.size };
  }

  /** Fire and forget: aggregates in memory; written at the next flush. Never throws. */
  record(object: ObjectLike, type: EventType, reason: string, message: string, at?: number): void {
    this.recordAs(this.source, object, type, reason, message, at);
  }

  /**
   * A recorder sharing this one's buffer and writes but stamping another
   * source component (one recorder per node; 'scheduler', 'agent' ... each
   * get a view).
   */
  forComponent(component: string): EventRecorder {
    const source: EventSource = { ...this.source, component };
    return { record: (o, t, r, m, at) => this.recordAs(source, o, t, r, m, at) };
  }

  /** Writes everything pending now (tests; stop() calls it). Never rejects. */
  flush(): Promise<void> {
    const run = this.flushing
      .then(() => this.flushOnce())
      .catch((err: unknown) => {
        // Only a bug gets here (writes are caught per event); never reject, since
        // timer-driven flushes have no one to catch it.
        try {
          this.logger.error('flushing events failed', { err: errorMessage(err) });
        } catch {
          // A logger that throws is no reason to crash the node.
        }
      });
    this.flushing = run;
    return run;
  }

  /** Stops the timer and writes what is pending; later records are dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.flush();
    if (this.pending.size > 0) {
      this.logger.warn('events not written before stop', { dropped: this.pending.size });
      this.counts.dropped += this.pending.size;
      this.pending.clear();
    }
  }

  // -------------------------------------------------------------------------
  // Recording (synchronous, memory only)

  private recordAs(
    source: EventSource,
    object: ObjectLike,
    type: EventType,
    reason: string,
    message: string,
    at?: number,
  ): void {
    try {
      if (this.stopped) {
        this.counts.dropped++;
        return;
      }
      const involvedObject = involvedObjectOf(object);
      const namespace = eventNamespace(involvedObject);
      const name = eventName(involvedObject, type, reason, message);
      const now = new Date(at ?? this.clock.now()).toISOString();
      this.counts.recorded++;
      const key = pendingKey(namespace, name);
      const existing = this.pending.get(key);
      if (existing) {
        existing.count++;
        if (now > existing.lastTimestamp) existing.lastTimestamp = now;
        if (now < existing.firstTimestamp) existing.firstTimestamp = now;
      } else {
        this.makeRoom();
        this.pending.set(key, {
          name,
          namespace,
          involvedObject,
          type,
          reason,
          message,
          source,
          count: 1,
          firstTimestamp: now,
          lastTimestamp: now,
          attempts: 0,
        });
      }
      this.arm();
    } catch (err) {
      // A recorder must never break its caller (a clock or hash failure is a bug, not theirs).
      this.counts.dropped++;
      this.logger.error('recording an event failed', { reason, err: errorMessage(err) });
    }
  }

  /** Drops the oldest pending event when full (logged once per flush). */
  private makeRoom(): void {
    while (this.pending.size >= this.maxPending) {
      const oldest = this.pending.keys().next();
      if (oldest.done) return;
      this.pending.delete(oldest.value);
      this.counts.dropped++;
      if (this.overflowed++ === 0) {
        this.logger.warn('too many pending events; dropping the oldest', {
          maxPending: this.maxPending,
        });
      }
    }
  }

  private arm(): void {
    if (this.timer || this.stopped) return;
    this.timer = this.clock.setTimer(this.flushMs, () => {
      this.timer = undefined;
      void this.flush();
    });
  }

  // -------------------------------------------------------------------------
  // Flushing

  private async flushOnce(): Promise<void> {
    this.timer?.cancel();
    this.timer = undefined;
    if (this.overflowed > 0) {
      this.logger.warn('dropped events: too many pending', { dropped: this.overflowed });
      this.overflowed = 0;
    }
    if (this.pending.size === 0) return;
    let batch = [...this.pending.values()];
    this.pending.clear();
    const failures: Failure[] = [];
    if (this.proposer) {
      // One chunk at a time: a chunk is one Raft entry's worth of Events, so an
      // entry (and its apply on every node) stays small however much is pending.
      const oneByOne: Pending[] = [];
      for (let i = 0; i < batch.length; i += MAX_BATCH) {
        oneByOne.push(...(await this.proposeBatch(batch.slice(i, i + MAX_BATCH), failures)));
      }
      batch = oneByOne;
    }
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batch.length) {
        const p = batch[next++] as Pending;
        try {
          await this.write(p);
        } catch (err) {
          failures.push({ p, err });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batch.length) }, worker));
    if (failures.length > 0) this.retryLater(failures);
    if (this.pending.size > 0) this.arm();
  }

  /**
   * Proposes `batch` as one non-atomic store batch: a create for each event
   * not known to be stored, an update of the last written state for the rest.
   * Returns the events to write one by one (another writer got there first);
   * whole-proposal failures go to `failures`.
   */
  private async proposeBatch(batch: readonly Pending[], failures: Failure[]): Promise<Pending[]> {
    const proposer = this.proposer as Proposer;
    const now = new Date(this.clock.now()).toISOString();
    const commands = batch.map((p): SingleCommand => {
      const known = this.written.get(pendingKey(p.namespace, p.name));
      return known
        ? { op: 'update', object: this.bumped(known, p) }
        : { op: 'create', now, uid: this.newUid(), object: this.fresh(p) };
    });
    this.counts.batches++;
    let results;
    try {
      const result = await proposer.propose({ op: 'batch', commands });
      if (!result.ok || result.outcome !== 'batch') {
        const err = result.ok
          ? new JobctlError(Reason.Internal, 'a batch of events was not answered as one')
          : resultError(result);
        for (const p of batch) failures.push({ p, err });
        return [];
      }
      results = result.results;
    } catch (err) {
      for (const p of batch) failures.push({ p, err });
      return [];
    }
    const oneByOne: Pending[] = [];
    batch.forEach((p, i) => {
      const res = results[i];
      const key = pendingKey(p.namespace, p.name);
      if (res?.ok) {
        this.remember(
          key,
          res.object as Event,
          commands[i]?.op === 'create' ? 'created' : 'updated',
        );
        return;
      }
      // Someone else wrote it (another node, an earlier recorder), or it went
      // (TTL): the one-by-one path reads and merges, as without a proposer.
      this.written.delete(key);
      const raced =
        res !== undefined &&
        (res.reason === Reason.AlreadyExists ||
          res.reason === Reason.Conflict ||
          res.reason === Reason.NotFound);
      if (raced) oneByOne.push(p);
      else
        failures.push({
          p,
          err: res ? resultError(res) : new JobctlError(Reason.Internal, 'no result'),
        });
    });
    return oneByOne;
  }

  /** Puts failed events back (merged with newer occurrences) unless they failed too often. */
  private retryLater(failures: readonly Failure[]): void {
    let gaveUp = 0;
    for (const { p, err } of failures) {
      const permanent = isReason(err, Reason.Invalid) || isReason(err, Reason.Forbidden);
      if (permanent || ++p.attempts >= MAX_ATTEMPTS || this.stopped) {
        gaveUp++;
        continue;
      }
      const key = pendingKey(p.namespace, p.name);
      const newer = this.pending.get(key);
      if (newer) {
        newer.count += p.count;
        newer.firstTimestamp = p.firstTimestamp;
        newer.attempts = p.attempts;
      } else {
        this.makeRoom();
        this.pending.set(key, p);
      }
    }
    this.counts.dropped += gaveUp;
    const first = failures[0];
    this.logger.warn('writing events failed', {
      failed: failures.length,
      dropped: gaveUp,
      reason: first?.p.reason,
      object: first ? `${first.p.involvedObject.kind}/${first.p.involvedObject.name}` : undefined,
      err: errorMessage(first?.err),
    });
  }

  /** Creates the Event or adds this batch's occurrences to it. */
  private async write(p: Pending): Promise<void> {
    const key = pendingKey(p.namespace, p.name);
    let current = this.written.get(key) ?? (await this.read(p, 'stale'));
    if (current === undefined) {
      try {
        return this.remember(key, await this.client.create(this.fresh(p)), 'created');
      } catch (err) {
        if (!isReason(err, Reason.AlreadyExists)) throw err;
        current = await this.read(p, 'linearizable');
        if (current === undefined) throw err;
      }
    }
    try {
      return this.remember(key, await this.client.update(this.bumped(current, p)), 'updated');
    } catch (err) {
      if (isReason(err, Reason.NotFound)) {
        // Deleted meanwhile (TTL): start over with this batch's occurrences.
        this.written.delete(key);
        return this.remember(key, await this.client.create(this.fresh(p)), 'created');
      }
      if (!isReason(err, Reason.Conflict)) throw err;
      // Someone else bumped it (another node, a stale cache): re-read, retry once.
      const latest = await this.read(p, 'linearizable');
      if (latest === undefined) {
        return this.remember(key, await this.client.create(this.fresh(p)), 'created');
      }
      return this.remember(key, await this.client.update(this.bumped(latest, p)), 'updated');
    }
  }

  private async read(
    p: Pending,
    consistency: 'stale' | 'linearizable',
  ): Promise<Event | undefined> {
    try {
      return await this.client.get('Event', p.namespace, p.name, { consistency });
    } catch (err) {
      if (isReason(err, Reason.NotFound)) return undefined;
      throw err;
    }
  }

  private remember(key: string, event: Event, outcome: 'created' | 'updated'): void {
    this.counts[outcome]++;
    this.written.delete(key);
    this.written.set(key, event);
    // Bounded like the pending set: forget the least recently written.
    while (this.written.size > this.maxPending) {
      const oldest = this.written.keys().next();
      if (oldest.done) break;
      this.written.delete(oldest.value);
    }
  }

  private fresh(p: Pending): InputOf<'Event'> {
    return {
      apiVersion: API_VERSION,
      kind: 'Event',
      metadata: { name: p.name, namespace: p.namespace },
      spec: {
        involvedObject: p.involvedObject,
        type: p.type,
        reason: p.reason,
        message: p.message,
        count: p.count,
        firstTimestamp: p.firstTimestamp,
        lastTimestamp: p.lastTimestamp,
        source: p.source,
      },
    };
  }

  private bumped(current: Event, p: Pending): InputOf<'Event'> {
    const spec = current.spec;
    if (!spec || typeof spec.count !== 'number') {
      throw new JobctlError(Reason.Internal, `event ${p.name} has no count`);
    }
    return {
      apiVersion: API_VERSION,
      kind: 'Event',
      metadata: {
        name: current.metadata.name,
        namespace: current.metadata.namespace,
        uid: current.metadata.uid,
        resourceVersion: current.metadata.resourceVersion,
        labels: current.metadata.labels,
        annotations: current.metadata.annotations,
      },
      spec: {
        ...spec,
        count: spec.count + p.count,
        lastTimestamp: spec.lastTimestamp > p.lastTimestamp ? spec.lastTimestamp : p.lastTimestamp,
      },
    };
  }
}
