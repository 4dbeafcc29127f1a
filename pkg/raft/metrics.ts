// What the Raft shell and its storage report for monitoring. The core stays
// deterministic and free of any metrics library: pkg/node implements these
// sinks with prom-client and injects them; everything defaults to a no-op.
// Gauges (term, role, commit and applied index) need no sink: the node reads
// them from RaftNode.status() when /metrics is scraped.

/** Events of the shell (pkg/raft/node.ts). */
export interface RaftMetricsSink {
  /** One Ready's write (entries and/or hard state) is durable after `seconds`. */
  persisted(seconds: number, entries: number): void;
  /** A proposal made on this node was applied (its caller got the result). */
  proposalCommitted(): void;
  /** A proposal made on this node failed; `reason` is its JobctlError reason. */
  proposalFailed(reason: string): void;
  /** A state machine snapshot of `bytes` was written. */
  snapshotTaken(bytes: number): void;
}

/** Events of the write-ahead log (pkg/raft/storage/wal.ts). */
export interface WalMetricsSink {
  /** One group-commit batch of `bytes` was written and fdatasync'ed in `seconds`. */
  fsynced(seconds: number, bytes: number): void;
}

export const noopRaftMetrics: RaftMetricsSink = {
  persisted: () => {},
  proposalCommitted: () => {},
  proposalFailed: () => {},
  snapshotTaken: () => {},
};

export const noopWalMetrics: WalMetricsSink = { fsynced: () => {} };
