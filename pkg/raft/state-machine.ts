// The replicated state machine that the Raft shell (pkg/raft/node.ts) feeds with
// committed entries. Implementations must be deterministic: the same entries in
// the same order give the same state and the same results on every node, so
// anything time- or randomness-dependent (timestamps, uids) must be decided by
// the proposer and carried inside the entry's data.

export interface StateMachine {
  /**
   * Applies the data of one committed entry at `index` and returns its result,
   * which the shell hands back to whoever proposed it (on the node that proposed
   * it). Business failures (a conflict, a missing key) are results, not throws:
   * every replica must reach the same verdict. A throw is treated as a fatal bug.
   */
  apply(index: number, data: Uint8Array): unknown;
  /** The whole state as of the last applied index. */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot taken at `index`. */
  restore(index: number, data: Uint8Array): void;
  /**
   * Optional: the state as of the last applied index, captured cheaply now
   * and serialized later in pieces. The shell then encodes a large snapshot
   * over many event-loop turns instead of stalling heartbeats for the whole
   * of snapshot(). The pieces, concatenated, must equal what snapshot() would
   * have returned at capture time, whatever is applied meanwhile.
   */
  captureSnapshot?(): SnapshotCapture;
}

export interface SnapshotCapture {
  pieces(): Iterable<Uint8Array>;
}
