// Plain shapes of proto/api.proto's messages and the handler interface the
// service layer (pkg/node/kv-service.ts) implements. The gRPC adapter
// (api-grpc.ts) only translates; it holds no logic, so the service can be
// reused behind REST later.
import type { NodeId } from '../raft/types.js';

export interface PutRequest {
  key: string;
  value: string;
}
export interface PutResponse {
  revision: number;
  created: boolean;
}
export interface DeleteRequest {
  key: string;
}
export interface DeleteResponse {
  revision: number;
}
export interface GetRequest {
  key: string;
  stale: boolean;
}
export interface GetResponse {
  key: string;
  value: string;
  revision: number;
}

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
  health: Health;
  error: string;
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

/** Per-call context handed to handlers. */
export interface CallContext {
  /** Milliseconds until the caller's deadline (Infinity when none). */
  readonly remainingMs: number;
}

/** The API surface, transport-independent. Handlers throw JobctlError. */
export interface ApiHandlers {
  put(req: PutRequest, ctx: CallContext): Promise<PutResponse>;
  delete(req: DeleteRequest, ctx: CallContext): Promise<DeleteResponse>;
  get(req: GetRequest, ctx: CallContext): Promise<GetResponse>;
  clusterStatus(ctx: CallContext): Promise<ClusterStatusResponse>;
  nodeStatus(ctx: CallContext): Promise<NodeStatusInfo>;
  transferLeader(req: TransferLeaderRequest, ctx: CallContext): Promise<TransferLeaderResponse>;
}
