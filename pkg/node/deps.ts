// Constructors of the parts other engineers own (RawNode, DiskStorage,
// MemoryStorage), in one place so the composition root and tests share them.
import type { Logger, RaftConfig, RaftCore } from '../raft/config.js';
import type { LogStore } from '../raft/storage/storage.js';

// Specifiers as plain strings: resolved at runtime, so this module compiles
// while those files are still being written.
const rawNodeModule: string = '../raft/rawnode.js';
const memoryStorageModule: string = '../raft/storage/memory.js';
const diskStorageModule: string = '../raft/storage/disk-storage.js';

export async function createCore(config: RaftConfig): Promise<RaftCore> {
  const mod = (await import(rawNodeModule)) as { RawNode: new (c: RaftConfig) => RaftCore };
  return new mod.RawNode(config);
}

export async function createMemoryStorage(): Promise<LogStore> {
  const mod = (await import(memoryStorageModule)) as { MemoryStorage: new () => LogStore };
  return new mod.MemoryStorage();
}

/** The durable WAL-backed store (always fsyncs; group commit). */
export async function openDiskStorage(opts: { dir: string; logger: Logger }): Promise<LogStore> {
  const mod = (await import(diskStorageModule)) as {
    DiskStorage: { open(o: { dir: string; logger?: Logger }): Promise<LogStore> };
  };
  return mod.DiskStorage.open(opts);
}
