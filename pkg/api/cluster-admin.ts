// ClusterAdmin: the in-process ClusterAdminClient of one node, behind the
// ClusterStatus, NodeStatus, TransferLeader, Snapshot and membership RPCs:
// this node's Raft view, every member's view gathered from the peers,
// leadership hand-off, backups (a consistent snapshot streamed from the
// leader as a backup file, pkg/client/snapshot-file.ts) and live membership.
// Whatever only the leader knows or may do (its followers' progress,
// proposing a change) is forwarded to the leader. The members and their
// addresses are always the Raft configuration's (RaftNode.membership()).
//
// Membership changes go one at a time, each refused with one clear line when
// unsafe: a second change while one is pending (Conflict), promoting a
// learner that has not caught up, removing a voter when the remaining voters
// that answer could not form a quorum, an id or address already in use, an
// address nobody answers on. Removing the leader hands leadership to another
// voter first, then the new leader removes it.
import { ConfChangeType, ProposalDroppedError } from '../raft/index.js';
import type { ConfChange, ConfState, NodeId, RaftNode } from '../raft/index.js';
import { encodeSnapshotFile } from '../client/index.js';
import type {
  AddMemberOptions,
  ClusterAdminClient,
  ClusterMember,
  ClusterStatus,
  MembershipResult,
  NodeRaftStatus,
  TransferResult,
} from '../client/index.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';

export type { TransferResult } from '../client/index.js';

/** How this node reaches its peers' APIs (gRPC in production, stubs in tests). */
export interface PeerApi {
  nodeStatus(address: string, timeoutMs: number): Promise<NodeRaftStatus>;
  transferLeader(address: string, to: number, timeoutMs: number): Promise<TransferResult>;
  /** The leader's backup file, streamed (the hop of a follower that was asked). */
  snapshot(address: string): AsyncIterable<Uint8Array>;
  /** A membership change, forwarded to the leader at `address`. */
  changeMembership(address: string, change: MembershipChange): Promise<MembershipResult>;
}

/** One membership change as it is forwarded to the leader. */
export type MembershipChange =
  | {
      readonly type: 'add';
      readonly id: number;
      readonly address: string;
      readonly joining: boolean;
    }
  | { readonly type: 'promote'; readonly id: number }
  | { readonly type: 'remove'; readonly id: number };

/** A learner this many entries (or fewer) behind the leader's commit index counts as caught up. */
export const CAUGHT_UP_ENTRIES = 100;

/** Backup files are streamed in chunks of this many bytes. */
export const SNAPSHOT_CHUNK_BYTES = 1 << 20;

export interface ClusterAdminOptions {
  readonly raft: RaftNode;
  /**
   * Addresses of members the configuration carries none for (tests whose
   * Raft nodes were made before their servers). Normally empty: the
   * configuration holds every member's address.
   */
  readonly members?: ReadonlyMap<NodeId, string>;
  readonly peerApi: PeerApi;
  /** The cluster's id (recorded in backup files). */
  readonly clusterId: string;
  /** Deadline for a peer's NodeStatus answer. Default 1000 ms. */
  readonly peerStatusTimeoutMs?: number;
}

export class ClusterAdmin implements ClusterAdminClient {
  constructor(private readonly o: ClusterAdminOptions) {}

  /** Every member (voters and learners) and its address, by id. */
  private members(cs: ConfState = this.o.raft.membership()): Map<NodeId, string> {
    const out = new Map<NodeId, string>();
    for (const id of [...cs.voters, ...cs.learners]) {
      out.set(id, cs.contexts?.[id] ?? this.o.members?.get(id) ?? '');
    }
    return out;
  }

  private leaderAddress(): string {
    const lead = this.o.raft.leader();
    const address = this.members().get(lead);
    if (lead === 0 || !address)
      throw new JobctlError(Reason.Unavailable, 'no leader known; retry later');
    return address;
  }

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
      address: this.members().get(s.id) ?? this.o.members?.get(s.id) ?? '',
      role: raft.isStopped() ? 'stopped' : raft.isRemoved() ? 'removed' : s.role,
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
    const cs = this.o.raft.membership();
    const nodes = await Promise.all(
      [...this.members(cs)].map(async ([id, address]): Promise<NodeRaftStatus> => {
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
    const leader = best?.leader ?? 0;
    const commit = nodes.find((n) => n.id === leader && n.health === 'healthy')?.commit;
    const learners = new Set(cs.learners);
    return {
      nodes: nodes.map((n) => ({
        ...n,
        membership: learners.has(n.id) ? 'learner' : 'voter',
        ...(commit !== undefined && n.health === 'healthy'
          ? { lag: Math.max(0, commit - n.applied) }
          : {}),
      })),
      leader,
      responder: self.id,
    };
  }

  /** Hands leadership to `to` (0 or omitted: the most caught-up follower). */
  async transferLeader(to = 0, timeoutMs = 5000): Promise<TransferResult> {
    const raft = this.o.raft;
    const cs = raft.membership();
    if (to !== 0 && !cs.voters.includes(to)) {
      throw new JobctlError(Reason.Invalid, `node ${to} is not a voting cluster member`);
    }
    if (!raft.isLeader()) {
      return this.o.peerApi.transferLeader(this.leaderAddress(), to, timeoutMs);
    }
    const status = raft.status();
    let target = to;
    if (target === 0) {
      const followers = Object.entries(status.progress ?? {})
        .map(([id, p]) => ({ id: Number(id), match: p.match }))
        .filter((p) => p.id !== status.id && cs.voters.includes(p.id))
        .sort((a, b) => b.match - a.match || a.id - b.id);
      const pick = followers[0];
      if (!pick) throw new JobctlError(Reason.Unavailable, 'no follower to transfer leadership to');
      target = pick.id;
    }
    if (target === status.id) return { from: status.id, to: target, term: status.term };
    await raft.transferLeader(target, { timeoutMs });
    return { from: status.id, to: target, term: raft.status().term };
  }

  /**
   * A backup file of the whole cluster: taken on the leader (a follower
   * asked streams the leader's), after a ReadIndex barrier so it holds every
   * write acknowledged before the call.
   */
  async *snapshot(): AsyncIterable<Uint8Array> {
    const raft = this.o.raft;
    if (!raft.isLeader()) {
      yield* this.o.peerApi.snapshot(this.leaderAddress());
      return;
    }
    const snap = await raft.consistentSnapshot({ timeoutMs: 10_000 });
    const { voters, learners } = snap.metadata.confState;
    const members = Object.fromEntries(this.members(snap.metadata.confState));
    const file = encodeSnapshotFile(
      {
        version: 1,
        clusterId: this.o.clusterId,
        index: snap.metadata.index,
        term: snap.metadata.term,
        voters,
        learners,
        members,
        createdAt: new Date().toISOString(),
        dataBytes: snap.data.byteLength,
      },
      snap.data,
    );
    for (let at = 0; at < file.byteLength; at += SNAPSHOT_CHUNK_BYTES) {
      yield file.subarray(at, at + SNAPSHOT_CHUNK_BYTES);
    }
  }

  // -------------------------------------------------------------------------
  // Membership

  async addMember(
    id: number,
    address: string,
    opts: AddMemberOptions = {},
  ): Promise<MembershipResult> {
    checkId(id);
    if (!/^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(address)) {
      throw new JobctlError(Reason.Invalid, `address: expected HOST:PORT, got "${address}"`);
    }
    const raft = this.o.raft;
    if (!raft.isLeader()) {
      const change = { type: 'add', id, address, joining: opts.joining ?? false } as const;
      return this.o.peerApi.changeMembership(this.leaderAddress(), change);
    }
    const members = this.members();
    const current = members.get(id);
    if (current !== undefined) {
      const role = raft.membership().learners.includes(id) ? 'learner' : 'voter';
      throw new JobctlError(
        Reason.Conflict,
        `node ${id} is already a ${role} of this cluster (at ${current}); remove it first to replace it`,
      );
    }
    for (const [other, a] of members) {
      if (a === address) {
        throw new JobctlError(Reason.Invalid, `${address} is the address of member ${other}`);
      }
    }
    if (!opts.joining) await this.checkAnswers(id, address);
    return this.change({ type: ConfChangeType.AddLearner, nodeId: id, context: address });
  }

  async promoteMember(id: number): Promise<MembershipResult> {
    checkId(id);
    const raft = this.o.raft;
    if (!raft.isLeader()) {
      return this.o.peerApi.changeMembership(this.leaderAddress(), { type: 'promote', id });
    }
    const cs = raft.membership();
    if (cs.voters.includes(id)) {
      throw new JobctlError(Reason.Conflict, `node ${id} is a voter already`);
    }
    if (!cs.learners.includes(id)) {
      throw new JobctlError(Reason.NotFound, `node ${id} is not a member of this cluster`);
    }
    const status = raft.status();
    const match = status.progress?.[id]?.match ?? 0;
    const behind = status.commit - match;
    if (behind > CAUGHT_UP_ENTRIES) {
      throw new JobctlError(
        Reason.Conflict,
        `node ${id} is ${behind} entries behind the leader; promote it once it has caught up (at most ${CAUGHT_UP_ENTRIES})`,
      );
    }
    const address = this.members(cs).get(id) ?? '';
    return this.change({ type: ConfChangeType.AddNode, nodeId: id, context: address });
  }

  async removeMember(id: number): Promise<MembershipResult> {
    checkId(id);
    const raft = this.o.raft;
    if (!raft.isLeader()) {
      return this.o.peerApi.changeMembership(this.leaderAddress(), { type: 'remove', id });
    }
    const cs = raft.membership();
    if (!cs.voters.includes(id) && !cs.learners.includes(id)) {
      throw new JobctlError(Reason.NotFound, `node ${id} is not a member of this cluster`);
    }
    if (cs.voters.includes(id)) {
      const remaining = cs.voters.filter((v) => v !== id);
      if (remaining.length === 0) {
        throw new JobctlError(
          Reason.Conflict,
          `node ${id} is the last voter; it cannot be removed`,
        );
      }
      const need = Math.floor(remaining.length / 2) + 1;
      const up = await this.votersUp(remaining);
      if (up.length < need) {
        throw new JobctlError(
          Reason.Conflict,
          `removing node ${id} would leave ${up.length} of ${remaining.length} remaining voters up (${up.join(', ') || 'none'}), fewer than the ${need} a quorum needs; bring voters back first`,
        );
      }
      if (id === raft.id) {
        // The leader leaves: hand leadership to the most caught-up remaining
        // voter, which then removes this node. Under a steady stream of
        // writes a transfer may miss its election timeout: try again.
        let failure: unknown;
        for (let attempt = 0; attempt < 3 && raft.isLeader(); attempt++) {
          try {
            await this.transferLeader(this.mostCaughtUp(up), 5000);
          } catch (err) {
            failure = err;
          }
        }
        if (raft.isLeader()) {
          throw (
            failure ?? new JobctlError(Reason.Unavailable, 'could not hand leadership away; retry')
          );
        }
        await raft.waitForLeader(5000);
        return this.o.peerApi.changeMembership(this.leaderAddress(), { type: 'remove', id });
      }
    }
    return this.change({ type: ConfChangeType.RemoveNode, nodeId: id });
  }

  /** The voters among `ids` that answer (this node always does). */
  private async votersUp(ids: readonly NodeId[]): Promise<NodeId[]> {
    const members = this.members();
    const timeout = this.o.peerStatusTimeoutMs ?? 1000;
    const answers = await Promise.all(
      ids.map(async (id) => {
        if (id === this.o.raft.id) return id;
        try {
          await this.o.peerApi.nodeStatus(members.get(id) ?? '', timeout);
          return id;
        } catch {
          return undefined;
        }
      }),
    );
    return answers.filter((id): id is NodeId => id !== undefined);
  }

  private mostCaughtUp(ids: readonly NodeId[]): NodeId {
    const progress = this.o.raft.status().progress ?? {};
    const others = ids.filter((id) => id !== this.o.raft.id);
    others.sort((a, b) => (progress[b]?.match ?? 0) - (progress[a]?.match ?? 0) || a - b);
    const pick = others[0];
    if (pick === undefined) throw new JobctlError(Reason.Unavailable, 'no other voter is up');
    return pick;
  }

  /** Refuses an address where nobody answers, or where another node than `id` does. */
  private async checkAnswers(id: NodeId, address: string): Promise<void> {
    let st: NodeRaftStatus;
    try {
      st = await this.o.peerApi.nodeStatus(address, 3000);
    } catch (err) {
      throw new JobctlError(
        Reason.Invalid,
        `nobody answers at ${address} (${errorMessage(err)}); start jobd there first (or let it join with jobd --join)`,
      );
    }
    if (st.id !== id) {
      throw new JobctlError(
        Reason.Invalid,
        `the node at ${address} is node ${st.id}, not node ${id}`,
      );
    }
  }

  /** Proposes one change on this (leader) node and answers with the configuration after it. */
  private async change(cc: ConfChange): Promise<MembershipResult> {
    // A change still being applied (or a new leader's first entry, which
    // must be applied before any change) is waited out briefly; after that
    // the refusal stands.
    const until = Date.now() + 3000;
    for (;;) {
      try {
        return this.result(await this.o.raft.changeMembership(cc, { timeoutMs: 10_000 }));
      } catch (err) {
        const pending =
          err instanceof ProposalDroppedError && /membership change is pending/.test(err.message);
        if (!pending) throw err;
        if (Date.now() > until) {
          throw new JobctlError(
            Reason.Conflict,
            'another membership change is in progress; retry once it is applied',
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private result(cs: ConfState): MembershipResult {
    const learners = new Set(cs.learners);
    const members: ClusterMember[] = [...this.members(cs)]
      .map(([id, address]) => ({ id, address, learner: learners.has(id) }))
      .sort((a, b) => a.id - b.id);
    return { members, clusterId: this.o.clusterId };
  }
}

function checkId(id: number): void {
  if (!Number.isInteger(id) || id <= 0) {
    throw new JobctlError(Reason.Invalid, `member id must be a positive integer, got ${id}`);
  }
}
