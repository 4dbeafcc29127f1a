// Public API of pkg/client: the service contracts (ResourceClient,
// ClusterAdminClient, LogsClient) and the in-process ResourceClient. The gRPC
// client of all three is pkg/transport/grpc-client.ts (it needs the gRPC
// plumbing, which itself serves these contracts). Test helpers are in
// ./testing.ts and are imported from there directly.
export type * from './types.js';
export { DelegatingClient } from './delegating.js';
export { LocalClient, randomNameSuffix, type LocalClientOptions } from './local.js';
export { DEFAULT_WATCH_BUFFER } from './watch-queue.js';
export {
  decodeSnapshotFile,
  encodeSnapshotFile,
  type SnapshotFileInfo,
  type SnapshotFileMeta,
} from './snapshot-file.js';
