// Public API of pkg/api: the service stack shared by the gRPC and REST
// adapters (buildServiceStack; its layers: observation, admission), Raft-backed
// proposing and cluster administration. Validation lives in ./validation, REST
// in ./rest.
export { admit, type AdmissionOptions, type WriteKind } from './admission.js';
export { compileValidators } from './validation/index.js';
export { ApiService, type ApiServiceOptions } from './service.js';
export { RaftProposer, type RaftProposerOptions } from './raft-proposer.js';
export { CommandBatcher, type BatchLimits, type CommandBatcherOptions } from './command-batcher.js';
export {
  buildServiceStack,
  type RequestAuth,
  type ServiceStack,
  type ServiceStackOptions,
} from './stack.js';
export { ObservedClient, ObservedClusterAdmin } from './observed-client.js';
export type { ApiObserver, ApiTransport } from './observer.js';
export {
  ClusterAdmin,
  type ClusterAdminOptions,
  type MembershipChange,
  type PeerApi,
  type TransferResult,
} from './cluster-admin.js';
export {
  effectivePolicy,
  sandboxViolations,
  strictPolicy,
  STRICT_USER,
  type EffectivePolicy,
} from './sandbox-policy.js';
export { checkSandboxPolicy, namespacePolicies } from './policy-admission.js';
