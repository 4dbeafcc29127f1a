// Public API of pkg/raft. Everything outside pkg/raft imports from here.
export * from './types.js';
export * from './config.js';
export type { StateMachine } from './state-machine.js';
export type { Storage, LogStore } from './storage/storage.js';
export { CompactedError, UnavailableError } from './storage/storage.js';
export { MemoryStorage } from './storage/memory.js';
export type { MemoryStorageOptions } from './storage/memory.js';
export { RawNode, RaftDefaults } from './rawnode.js';
export { encodeConfChange, decodeConfChange } from './raft.js';
export { RaftNode } from './node.js';
export { DiskStorage } from './storage/disk-storage.js';
export type { RaftMetricsSink, WalMetricsSink } from './metrics.js';
