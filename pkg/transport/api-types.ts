// Plain shapes of proto/api.proto's messages as @grpc/proto-loader hands them
// over (camelCase fields, bytes as Buffer, uint64 as number, defaults filled).
// The gRPC adapter (api-grpc.ts) and the gRPC client (pkg/transport/grpc-client.ts)
// translate between these and ResourceClient calls; no logic lives here.
import type { NodeId } from '../raft/index.js';

export type Health = 'healthy' | 'unreachable';

export interface NodeStatusInfo {
  id: NodeId;
  address: string;
  role: string;
  term: number;
  commit: number;
  applied: number;
  leader: NodeId;
  lastIndex: number;
  health: Health | string;
  error?: string;
}

export interface ClusterStatusResponse {
  nodes: NodeStatusInfo[];
  leader: NodeId;
  responder: NodeId;
}

export interface TransferLeaderRequest {
  /** 0: the most caught-up follower. */
  to: NodeId;
}
export interface TransferLeaderResponse {
  from: NodeId;
  to: NodeId;
  term: number;
}

export interface ApplyRequestMsg {
  object: Uint8Array;
  dryRun: string;
  force: boolean;
}
export interface ApplyResponseMsg {
  outcome: string;
  object: Uint8Array;
}
export interface ObjectRequestMsg {
  object: Uint8Array;
}
export interface ObjectResponseMsg {
  object: Uint8Array;
}
export interface GetRequestMsg {
  kind: string;
  namespace: string;
  name: string;
  consistency: string;
}
export interface ListRequestMsg {
  kind: string;
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  limit: number;
  continue: string;
  consistency: string;
}
export interface ListResponseMsg {
  items: Uint8Array[];
  resourceVersion: string;
  continue: string;
}
export interface WatchRequestMsg {
  kind: string;
  namespace: string;
  labelSelector: string;
  fieldSelector: string;
  resourceVersion: string;
}
export interface WatchEventMsg {
  type: string;
  object: Uint8Array;
}
export interface DeleteRequestMsg {
  kind: string;
  namespace: string;
  name: string;
  preconditions?: { uid: string; resourceVersion: string } | null;
  dryRun: string;
}
export interface LogsRequestMsg {
  namespace: string;
  runName: string;
  jobName: string;
  runUid: string;
  hasTail: boolean;
  tailLines: number;
  follow: boolean;
  localOnly: boolean;
}
export interface LogChunkMsg {
  data: Uint8Array;
}
