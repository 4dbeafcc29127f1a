// The Raft simulator: a seeded cluster of RawNodes on a simulated disk and
// network, an invariant checker, and the randomized run used by the seed soak.
//
//   runSimulation(seed)      one randomized run (chaos, then heal + liveness);
//                            throws InvariantViolation naming seed, step, trace tail
//   replay(seed, options)    the same run again, keeping the whole trace
//   new Cluster({...})       drive a cluster by hand (scenario tests)
//
// Tests: `node hack/run-tests.mjs unit/raft/sim`; SIM_SEEDS=N for more seeds,
// SIM_SEED=S node --test dist/test/unit/raft/sim/seeds.test.js to replay one.
export { Cluster, CrashPoint, crashPoints } from './cluster.js';
export type { ClusterOptions, ClusterStats, CoreFactory, SimApplication } from './cluster.js';
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
