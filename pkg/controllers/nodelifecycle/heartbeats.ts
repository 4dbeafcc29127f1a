// Heartbeat staleness measured on this leader's monotonic clock. A node's
// heartbeat is its status.heartbeatTime, a replicated lease it renews. We never
// compare that timestamp with our own wall clock (clocks of different machines
// disagree, and wall clocks jump); we only notice when it CHANGES. A node is
// stale when this leader has seen no change for the grace period, and alive
// when it has seen a change within the grace period. So:
//   - clock skew between nodes is irrelevant;
//   - a new leader starts with no observations: every node is "unknown" for
//     one grace period (its Ready condition is left alone), then stale or
//     alive by what this leader itself observed. A node that died just before
//     a failover is therefore declared NotReady up to one grace period later
//     than it would have been - never earlier, and never wrongly.

export type Liveness = 'alive' | 'stale' | 'unknown';

interface Observation {
  heartbeat: string | undefined;
  /** Monotonic ms when `heartbeat` was first seen (or tracking began). */
  since: number;
  /** A change has been seen by this tracker (not just the first value). */
  changed: boolean;
}

export class HeartbeatTracker {
  private readonly seen = new Map<string, Observation>();

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
    }
    const age = now - o.since;
    if (age >= this.graceMs) return { liveness: 'stale', recheckIn: this.graceMs };
    return { liveness: o.changed ? 'alive' : 'unknown', recheckIn: this.graceMs - age };
  }

  forget(node: string): void {
    this.seen.delete(node);
  }
}
