// The simulated network. Messages are delivered at a later step, chosen by the
// seeded Rng, which also decides drops and duplicates; messages due in the same
// step are shuffled, so delay plus shuffle gives arbitrary reordering. Links are
// cut by a blocked-pair set that partitions, isolation and bridges are built
// from; a message crossing a cut link is dropped when it would be delivered
// (like a packet in flight when the cable is pulled).
import type { Rng } from '../../util/rng.js';
import type { Message, NodeId } from '../types.js';

export interface NetworkOptions {
  /** Probability a message is lost. */
  readonly dropRate: number;
  /** Probability a message is delivered twice (with independent delays). */
  readonly dupRate: number;
  /** Delivery delay in steps, uniform in [minDelay, maxDelay]; minDelay >= 1. */
  readonly minDelay: number;
  readonly maxDelay: number;
  /** Probability of an extra long delay (up to longDelay steps): stale messages. */
  readonly longDelayRate: number;
  readonly longDelay: number;
}

export const reliableNetwork: NetworkOptions = {
  dropRate: 0,
  dupRate: 0,
  minDelay: 1,
  maxDelay: 1,
  longDelayRate: 0,
  longDelay: 0,
};

export type DeliveryFate = 'sent' | 'dropped' | 'duplicated' | 'delivered' | 'blocked';

/** Observes every message's fate (scenarios count round trips with it). */
export type NetworkObserver = (msg: Message, fate: DeliveryFate) => void;

export class SimNetwork {
  options: NetworkOptions;
  private readonly buckets = new Map<number, Message[]>();
  private readonly blocked = new Set<number>();
  private readonly observers: NetworkObserver[] = [];
  private inFlight = 0;

  constructor(
    private readonly rng: Rng,
    options: NetworkOptions = reliableNetwork,
  ) {
    this.options = options;
  }

  // Pairs are encoded as numbers (ids are small) to keep the hot path cheap.
  private static pair(from: NodeId, to: NodeId): number {
    return from * 65536 + to;
  }

  observe(fn: NetworkObserver): () => void {
    this.observers.push(fn);
    return () => {
      const k = this.observers.indexOf(fn);
      if (k >= 0) this.observers.splice(k, 1);
    };
  }

  private notify(msg: Message, fate: DeliveryFate): void {
    for (const o of this.observers) o(msg, fate);
  }

  get pending(): number {
    return this.inFlight;
  }

  private enqueue(msg: Message, now: number): void {
    const o = this.options;
    let delay =
      o.minDelay + (o.maxDelay > o.minDelay ? this.rng.int(0, o.maxDelay - o.minDelay + 1) : 0);
    if (o.longDelayRate > 0 && this.rng.chance(o.longDelayRate))
      delay += this.rng.int(1, o.longDelay + 1);
    const at = now + Math.max(1, delay);
    let bucket = this.buckets.get(at);
    if (bucket === undefined) {
      bucket = [];
      this.buckets.set(at, bucket);
    }
    bucket.push(msg);
    this.inFlight++;
  }

  /** Returns false if the message was dropped at send time. */
  send(msg: Message, now: number): boolean {
    const o = this.options;
    if (o.dropRate > 0 && this.rng.chance(o.dropRate)) {
      this.notify(msg, 'dropped');
      return false;
    }
    this.enqueue(msg, now);
    this.notify(msg, 'sent');
    if (o.dupRate > 0 && this.rng.chance(o.dupRate)) {
      this.enqueue(msg, now);
      this.notify(msg, 'duplicated');
    }
    return true;
  }

  /** Messages due at step `now`, in a random order. */
  take(now: number): Message[] {
    const bucket = this.buckets.get(now);
    if (bucket === undefined) return [];
    this.buckets.delete(now);
    this.inFlight -= bucket.length;
    // Fisher-Yates with the seeded Rng.
    for (let i = bucket.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i + 1);
      const t = bucket[i] as Message;
      bucket[i] = bucket[j] as Message;
      bucket[j] = t;
    }
    return bucket;
  }

  /** Called by the cluster when it delivers or discards a taken message. */
  reportFate(msg: Message, fate: DeliveryFate): void {
    this.notify(msg, fate);
  }

  connected(from: NodeId, to: NodeId): boolean {
    return !this.blocked.has(SimNetwork.pair(from, to));
  }

  /** Cuts the link from->to (one direction). */
  cutOneWay(from: NodeId, to: NodeId): void {
    this.blocked.add(SimNetwork.pair(from, to));
  }

  cut(a: NodeId, b: NodeId): void {
    this.cutOneWay(a, b);
    this.cutOneWay(b, a);
  }

  link(a: NodeId, b: NodeId): void {
    this.blocked.delete(SimNetwork.pair(a, b));
    this.blocked.delete(SimNetwork.pair(b, a));
  }

  /** Cuts every link between `id` and the others. */
  isolate(id: NodeId, all: readonly NodeId[]): void {
    for (const o of all) if (o !== id) this.cut(id, o);
  }

  /** Restores every link of `id`. */
  reconnect(id: NodeId, all: readonly NodeId[]): void {
    for (const o of all) if (o !== id) this.link(id, o);
  }

  /** Splits into groups that cannot talk to each other (nodes within a group can). */
  partition(groups: readonly (readonly NodeId[])[]): void {
    this.heal();
    for (let g = 0; g < groups.length; g++) {
      for (let h = 0; h < groups.length; h++) {
        if (g === h) continue;
        for (const a of groups[g] as readonly NodeId[]) {
          for (const b of groups[h] as readonly NodeId[]) this.cutOneWay(a, b);
        }
      }
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  /** A short description of the cut links, for the trace. */
  describe(): string {
    if (this.blocked.size === 0) return 'all connected';
    const pairs = [...this.blocked]
      .map((p) => [Math.floor(p / 65536), p % 65536] as const)
      .filter(([a, b]) => a < b || !this.blocked.has(SimNetwork.pair(b, a)))
      .map(([a, b]) => (this.blocked.has(SimNetwork.pair(b, a)) ? `${a}x${b}` : `${a}>${b}`));
    return `cut ${pairs.sort().join(' ')}`;
  }
}
