// Constructors of the parts other slices own (RawNode, DiskStorage), in one
// place so the composition root and tests share them.
import type { Logger, RaftConfig, RaftCore } from '../raft/config.js';
import type { WalMetricsSink } from '../raft/metrics.js';
import { RawNode } from '../raft/rawnode.js';
import { DiskStorage } from '../raft/storage/disk-storage.js';
import type { LogStore } from '../raft/storage/storage.js';

export function createCore(config: RaftConfig): RaftCore {
  return new RawNode(config);
}

/** The durable WAL-backed store (always fsyncs; group commit). */
export function openDiskStorage(opts: {
  dir: string;
  logger: Logger;
  metrics?: WalMetricsSink;
}): Promise<LogStore> {
  return DiskStorage.open(opts);
}
