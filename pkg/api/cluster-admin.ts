// ClusterAdmin: the in-process ClusterAdminClient of one node, behind the
// ClusterStatus, NodeStatus and TransferLeader RPCs: this node's Raft view,
// every member's view gathered from the peers, and leadership hand-off
// (forwarded to the leader, which alone knows its followers' progress).
// Membership changes and snapshots join it here.
import type { NodeId, RaftNode } from '../raft/index.js';
import type {
  ClusterAdminClient,
  ClusterStatus,
  NodeRaftStatus,
  TransferResult,
} from '../client/index.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';

export type { TransferResult } from '../client/index.js';

/** How this node reaches its peers' APIs (gRPC in production, stubs in tests). */
export interface PeerApi {
  nodeStatus(address: string, timeoutMs: number): Promise<NodeRaftStatus>;
  transferLeader(address: string, to: number, timeoutMs: number): Promise<TransferResult>;
}

export interface ClusterAdminOptions {
  readonly raft: RaftNode;
  /** Every member's API address, this node included. */
  readonly members: ReadonlyMap<NodeId, string>;
  readonly peerApi: PeerApi;
  /** Deadline for a peer's NodeStatus answer. Default 1000 ms. */
  readonly peerStatusTimeoutMs?: number;
}

export class ClusterAdmin implements ClusterAdminClient {
  constructor(private readonly o: ClusterAdminOptions) {}

  /** This node's own Raft view. */
  nodeStatus(): Promise<NodeRaftStatus> {
    return Promise.resolve(this.ownStatus());
  }

  /** This node's own Raft view, read synchronously. */
  ownStatus(): NodeRaftStatus {
    const raft = this.o.raft;
    const s = raft.status();
    return {
      id: s.id,
      address: this.o.members.get(s.id) ?? '',
      role: raft.isStopped() ? 'stopped' : s.role,
      term: s.term,
      commit: s.commit,
      applied: s.applied,
      leader: s.lead,
      lastIndex: s.lastIndex,
      health: 'healthy',
      error: '',
    };
  }

  /** Every member's view (unreachable ones marked), within about peerStatusTimeoutMs. */
  async clusterStatus(): Promise<ClusterStatus> {
    const self = this.ownStatus();
    const timeout = this.o.peerStatusTimeoutMs ?? 1000;
    const nodes = await Promise.all(
      [...this.o.members].map(async ([id, address]): Promise<NodeRaftStatus> => {
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

  /** Hands leadership to `to` (0 or omitted: the most caught-up follower). */
  async transferLeader(to = 0, timeoutMs = 5000): Promise<TransferResult> {
    const raft = this.o.raft;
    if (to !== 0 && !this.o.members.has(to)) {
      throw new JobctlError(Reason.Invalid, `node ${to} is not a cluster member`);
    }
    if (!raft.isLeader()) {
      const lead = raft.leader();
      const address = this.o.members.get(lead);
      if (lead === 0 || !address)
        throw new JobctlError(Reason.Unavailable, 'no leader known; retry later');
      return this.o.peerApi.transferLeader(address, to, timeoutMs);
    }
    const status = raft.status();
    let target = to;
    if (target === 0) {
      const followers = Object.entries(status.progress ?? {})
        .map(([id, p]) => ({ id: Number(id), match: p.match }))
        .filter((p) => p.id !== status.id && this.o.members.has(p.id))
        .sort((a, b) => b.match - a.match || a.id - b.id);
      const pick = followers[0];
      if (!pick) throw new JobctlError(Reason.Unavailable, 'no follower to transfer leadership to');
      target = pick.id;
    }
    if (target === status.id) return { from: status.id, to: target, term: status.term };
    await raft.transferLeader(target, { timeoutMs });
    return { from: status.id, to: target, term: raft.status().term };
  }
}
