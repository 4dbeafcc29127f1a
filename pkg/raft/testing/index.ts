// The Raft simulator: a seeded cluster of RawNodes on a simulated disk and
// network, an invariant checker, and the randomized run used by the seed soak.
export { Cluster, CrashPoint, crashPoints } from './cluster.js';
export type { ClusterOptions, ClusterStats, CoreFactory } from './cluster.js';
export { InvariantChecker, InvariantViolation } from './checker.js';
export type { CheckContext, LogView } from './checker.js';
export { rawNodeFactory } from './default-core.js';
export { describeMessage, describeReady } from './describe.js';
export { SimNetwork, reliableNetwork } from './network.js';
export type { DeliveryFate, NetworkObserver, NetworkOptions } from './network.js';
export {
  RecordingStateMachine,
  chainHash,
  dataBytes,
  dataString,
  decodeImage,
  encodeImage,
} from './recorder.js';
export type { AppliedEntry, SnapshotImage } from './recorder.js';
export {
  SimStorage,
  StorageMisuseError,
  emptyConfState,
  emptyHardState,
  emptySnapshot,
} from './sim-storage.js';
export { checkLiveness, optionsForSeed, replay, runSimulation } from './simulate.js';
export type { RunOptions, SimOptions, SimResult } from './simulate.js';
export { Trace } from './trace.js';
