// The leader's view of each follower (etcd's tracker.Progress). A follower is
// in one of three states:
//  - Probe: we don't know where its log ends; send one MsgApp at a time and
//    wait for the answer (or the next heartbeat) before sending another.
//  - Replicate: its log matches ours up to `match`; stream MsgApp
//    optimistically, at most maxInflight unacknowledged (pipelining).
//  - Snapshot: it needs entries we have compacted; a chunked snapshot is in
//    flight and nothing else is sent until it is installed or abandoned.
import type { NodeId, Snapshot } from './types.js';

export const ProgressState = {
  Probe: 'probe',
  Replicate: 'replicate',
  Snapshot: 'snapshot',
} as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

/**
 * A bounded window of in-flight MsgApp, each remembered by the last index it
 * carried, so acks free every message up to the acknowledged index.
 */
export class Inflights {
  private readonly items: number[] = [];

  constructor(readonly capacity: number) {}

  get count(): number {
    return this.items.length;
  }

  full(): boolean {
    return this.items.length >= this.capacity;
  }

  add(lastIndex: number): void {
    if (this.full()) throw new Error('raft: inflights overflow');
    this.items.push(lastIndex);
  }

  /** Frees every message whose last index is <= to (they were acknowledged). */
  freeLE(to: number): void {
    let n = 0;
    while (n < this.items.length && (this.items[n] as number) <= to) n++;
    if (n > 0) this.items.splice(0, n);
  }

  /** Frees the oldest message, so a heartbeat can unblock a stuck pipeline. */
  freeFirstOne(): void {
    this.items.shift();
  }

  reset(): void {
    this.items.length = 0;
  }
}

/** An InstallSnapshot in progress to one follower: the chunk cursor. */
export interface SnapshotTransfer {
  readonly snapshot: Snapshot;
  /** End offset (exclusive) of the chunk in flight; the next ack should equal it. */
  sentTo: number;
  /** Ticks since the last acknowledgement; the transfer is abandoned at the election timeout. */
  idleTicks: number;
}

export class Progress {
  state: ProgressState = ProgressState.Probe;
  /** Highest index known to be replicated on the follower. */
  match = 0;
  /** Next index to send. */
  next: number;
  /** In Probe: a MsgApp is outstanding, wait for its answer or a heartbeat response. */
  paused = false;
  /** Heard from since the last CheckQuorum round (also gates snapshot sending). */
  recentActive = true;
  /** Index of the snapshot being sent (Snapshot state only). */
  pendingSnapshot = 0;
  snapshotTransfer: SnapshotTransfer | undefined;
  readonly inflights: Inflights;

  constructor(
    readonly id: NodeId,
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.paused = false;
    this.pendingSnapshot = 0;
    this.snapshotTransfer = undefined;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    // Coming back from a finished snapshot, the follower holds at least the
    // snapshot, so probe right after it.
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshot: Snapshot): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshot.metadata.index;
    this.snapshotTransfer = { snapshot, sentTo: 0, idleTicks: 0 };
  }

  /** A snapshot transfer failed: forget it and probe again from match. */
  abandonSnapshot(): void {
    this.resetState(ProgressState.Probe);
    this.next = this.match + 1;
  }

  /** The follower acknowledged up to n. Returns false for a stale ack. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.paused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * The follower rejected the MsgApp at `rejected`; `matchHint` is where our
   * logs may agree. Returns false if the rejection is stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      // Already matched past it: an old, reordered rejection.
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    // In Probe we send one probe at a time, at next - 1; anything else is stale.
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), 1);
    this.paused = false;
    return true;
  }

  /** Whether sending another MsgApp must wait. */
  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.paused;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }

  /** Records a MsgApp just sent whose entries end at lastIndex (count entries). */
  sentEntries(count: number, lastIndex: number): void {
    if (this.state === ProgressState.Replicate) {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === ProgressState.Probe) {
      this.paused = true;
    }
  }
}
