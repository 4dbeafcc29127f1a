// The API service layer for the interim KV: validation, Raft proposals, reads
// and cluster administration. Transport-free (pkg/transport/api-grpc.ts maps
// it onto gRPC).
//
// Write forwarding: a follower does not forward Put over gRPC. It proposes
// locally and the Raft core forwards the entry to the leader as MsgProp; the
// follower answers its caller when it applies the entry (the proposal envelope
// identifies it), so the caller sees the write as applied on that node.
import type { RaftNode } from '../raft/node.js';
import type { NodeId } from '../raft/types.js';
import type {
  ApiHandlers,
  CallContext,
  ClusterStatusResponse,
  DeleteRequest,
  DeleteResponse,
  GetRequest,
  GetResponse,
  NodeStatusInfo,
  PutRequest,
  PutResponse,
  TransferLeaderRequest,
  TransferLeaderResponse,
} from '../transport/api-types.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
import { encodeKvCommand, type KvResult, type KvStateMachine } from './kv.js';

/** How this node reaches its peers' APIs (gRPC in production, stubs in tests). */
export interface PeerApi {
  nodeStatus(address: string, timeoutMs: number): Promise<NodeStatusInfo>;
  transferLeader(
    address: string,
    req: TransferLeaderRequest,
    timeoutMs: number,
  ): Promise<TransferLeaderResponse>;
}

export interface KvServiceOptions {
  readonly raft: RaftNode;
  readonly kv: KvStateMachine;
  /** Every member's API address, this node included. */
  readonly members: ReadonlyMap<NodeId, string>;
  readonly peerApi: PeerApi;
  /** Deadline for a peer's NodeStatus answer. Default 1000 ms. */
  readonly peerStatusTimeoutMs?: number;
  /** Cap on a request's deadline inside the node. Default 5000 ms. */
  readonly requestTimeoutMs?: number;
}

const maxKeyBytes = 1024;
const maxValueBytes = 1024 * 1024;

function budget(ctx: CallContext, cap: number): number {
  return Math.max(1, Math.min(cap, ctx.remainingMs - 20));
}

export class KvService implements ApiHandlers {
  private readonly o: KvServiceOptions;
  private readonly requestTimeoutMs: number;

  constructor(opts: KvServiceOptions) {
    this.o = opts;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
  }

  private validateKey(key: string): void {
    if (!key) throw new JobctlError(Reason.Invalid, 'key must not be empty');
    if (key.length > maxKeyBytes)
      throw new JobctlError(Reason.Invalid, `key longer than ${maxKeyBytes}`);
  }

  async put(req: PutRequest, ctx: CallContext): Promise<PutResponse> {
    this.validateKey(req.key);
    if (req.value.length > maxValueBytes) throw new JobctlError(Reason.Invalid, 'value too large');
    const res = (await this.o.raft.propose(
      encodeKvCommand({ op: 'put', key: req.key, value: req.value }),
      {
        timeoutMs: budget(ctx, this.requestTimeoutMs),
      },
    )) as KvResult;
    if (res.op !== 'put') throw new JobctlError(Reason.Internal, 'unexpected kv result');
    return { revision: res.revision, created: res.created };
  }

  async delete(req: DeleteRequest, ctx: CallContext): Promise<DeleteResponse> {
    this.validateKey(req.key);
    const res = (await this.o.raft.propose(encodeKvCommand({ op: 'delete', key: req.key }), {
      timeoutMs: budget(ctx, this.requestTimeoutMs),
    })) as KvResult;
    if (res.op !== 'delete') throw new JobctlError(Reason.Internal, 'unexpected kv result');
    if (!res.found) throw new JobctlError(Reason.NotFound, `key "${req.key}" not found`);
    return { revision: res.revision };
  }

  async get(req: GetRequest, ctx: CallContext): Promise<GetResponse> {
    this.validateKey(req.key);
    if (!req.stale) await this.o.raft.read({ timeoutMs: budget(ctx, this.requestTimeoutMs) });
    const v = this.o.kv.mustGet(req.key);
    return { key: req.key, value: v.value, revision: v.revision };
  }

  async nodeStatus(): Promise<NodeStatusInfo> {
    const s = this.o.raft.status();
    return {
      id: s.id,
      address: this.o.members.get(s.id) ?? '',
      role: this.o.raft.isStopped() ? 'stopped' : s.role,
      term: s.term,
      commit: s.commit,
      applied: s.applied,
      leader: s.lead,
      lastIndex: s.lastIndex,
      health: 'healthy',
      error: '',
    };
  }

  async clusterStatus(ctx: CallContext): Promise<ClusterStatusResponse> {
    const self = await this.nodeStatus();
    const timeout = budget(ctx, this.o.peerStatusTimeoutMs ?? 1000);
    const nodes = await Promise.all(
      [...this.o.members].map(async ([id, address]): Promise<NodeStatusInfo> => {
        if (id === self.id) return self;
        try {
          return { ...(await this.o.peerApi.nodeStatus(address, timeout)), address };
        } catch (err) {
          return {
            id,
            address,
            role: 'unknown',
            term: 0,
            commit: 0,
            applied: 0,
            leader: 0,
            lastIndex: 0,
            health: 'unreachable',
            error: errorMessage(err),
          };
        }
      }),
    );
    nodes.sort((a, b) => a.id - b.id);
    // The leader as seen by the highest term among the answers.
    const best = nodes.filter((n) => n.health === 'healthy').sort((a, b) => b.term - a.term)[0];
    return { nodes, leader: best?.leader ?? 0, responder: self.id };
  }

  async transferLeader(
    req: TransferLeaderRequest,
    ctx: CallContext,
  ): Promise<TransferLeaderResponse> {
    const raft = this.o.raft;
    const timeout = budget(ctx, 5000);
    if (req.to !== 0 && !this.o.members.has(req.to)) {
      throw new JobctlError(Reason.Invalid, `node ${req.to} is not a cluster member`);
    }
    if (!raft.isLeader()) {
      // Only the leader knows its followers' progress: forward over gRPC.
      const lead = raft.leader();
      const address = this.o.members.get(lead);
      if (lead === 0 || !address)
        throw new JobctlError(Reason.Unavailable, 'no leader known; retry later');
      return this.o.peerApi.transferLeader(address, req, timeout);
    }
    const status = raft.status();
    let to = req.to;
    if (to === 0) {
      const followers = Object.entries(status.progress ?? {})
        .map(([id, p]) => ({ id: Number(id), match: p.match }))
        .filter((p) => p.id !== status.id && this.o.members.has(p.id))
        .sort((a, b) => b.match - a.match || a.id - b.id);
      const pick = followers[0];
      if (!pick) throw new JobctlError(Reason.Unavailable, 'no follower to transfer leadership to');
      to = pick.id;
    }
    if (to === status.id) return { from: status.id, to, term: status.term };
    await raft.transferLeader(to, { timeoutMs: timeout });
    return { from: status.id, to, term: raft.status().term };
  }
}
