// Constructors of the parts other slices own (RawNode, DiskStorage), in one
// place so the composition root and tests share them.
import type { Logger, RaftConfig, RaftCore, WalMetricsSink, LogStore } from '../raft/index.js';
import { RawNode, DiskStorage } from '../raft/index.js';

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
