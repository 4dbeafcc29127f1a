// Heartbeat staleness measured on this node's monotonic clock. A node's
// heartbeat is its status.heartbeatTime, a replicated lease it renews. We never
// compare that timestamp with our own wall clock (clocks of different machines
// disagree, and wall clocks jump); we only notice when it CHANGES, and when.
//
// A node is stale when the replicated log is known to have moved on for the
// grace period without it: some other node's heartbeat changed at least
// graceMs (on our monotonic clock) after its own last change. "Moved on" is
// the safety condition. A replica that is cut off, paused or far behind sees
// no heartbeats change at all, so it declares nobody stale; and a backlog
// applied in a burst makes silences look shorter, never longer. So:
//   - clock skew between nodes is irrelevant;
//   - every jobd feeds its tracker from its own store (followers included),
//     so a new leader starts with what it observed as a follower and declares
//     a node that died before the failover NotReady on time, not one grace
//     period later;
//   - a node seen for the first time counts as silent from that moment.
// With heartbeats every interval I (jobd: a quarter of the grace), a dead node
// is declared stale between graceMs and graceMs plus about I after its last
// heartbeat (the next change of another node's heartbeat is the evidence).

export type Liveness = 'alive' | 'stale' | 'unknown';

interface Observation {
  heartbeat: string | undefined;
  /** Monotonic ms when `heartbeat` was first seen (or tracking began). */
  since: number;
  /** A change has been seen by this tracker (not just the first value). */
  changed: boolean;
}

/** Shortest recheck: a verdict waits for the next heartbeat of another node. */
const MIN_RECHECK_MS = 100;

export class HeartbeatTracker {
  private readonly seen = new Map<string, Observation>();
  /** Monotonic ms of the latest heartbeat change seen from any node. */
  private progress = Number.NEGATIVE_INFINITY;

  constructor(private readonly graceMs: number) {}

  /**
   * Records the node's current heartbeat at monotonic time `now` and says
   * whether it is alive, stale or not yet known, with the ms until that
   * verdict could change.
   */
  observe(
    node: string,
    heartbeat: string | undefined,
    now: number,
  ): { liveness: Liveness; recheckIn: number } {
    let o = this.seen.get(node);
    if (!o) {
      o = { heartbeat, since: now, changed: false };
      this.seen.set(node, o);
    } else if (o.heartbeat !== heartbeat) {
      o.heartbeat = heartbeat;
      o.since = now;
      o.changed = true;
      if (now > this.progress) this.progress = now;
    }
    const silence = Math.max(0, this.progress - o.since);
    if (silence >= this.graceMs) return { liveness: 'stale', recheckIn: this.graceMs };
    return {
      liveness: o.changed ? 'alive' : 'unknown',
      recheckIn: Math.max(MIN_RECHECK_MS, this.graceMs - silence),
    };
  }

  forget(node: string): void {
    this.seen.delete(node);
  }
}
