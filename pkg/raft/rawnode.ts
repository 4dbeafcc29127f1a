// RawNode: the public, synchronous face of the Raft core (etcd's rawnode.go).
// It owns the Ready handshake: ready() bundles everything the shell must
// persist, send and apply, and marks it handed out, so nothing is ever handed
// out twice; persisted(rd) records that rd's write is durable, applied(rd)
// that its committed entries were applied (advance(rd) is both at once).
// Several Readies may be outstanding: the shell may take the next one while
// the write of the previous is still running (etcd's asynchronous storage
// writes), and acknowledges them in the order it took them. What makes that
// safe: a Ready's entries count as this node's own (its MsgAppResp, a
// leader's own match) only through persisted(), and committed entries are
// handed out once committed, which means durable on a quorum whether or not
// this node's own copy is durable yet (see Ready in types.ts).
//
// Membership bootstrap: config.peers is the initial voter set of a brand-new
// cluster and is not written to the log. A node joining an existing cluster
// must therefore be started with the configuration it joins (peers = its
// voters, learners = its learners, itself among them), as the cluster
// answered when adding it (or learn it from a snapshot's ConfState); started
// with no peers it would replay only the ConfChanges after bootstrap and see
// too small a cluster. Replaying the log's ConfChanges over that
// configuration ends in it again: each change sets one member's place.
import type { Logger, RaftConfig, RaftCore } from './config.js';
import { silentLogger } from './config.js';
import { Raft } from './raft.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  Ready,
  SoftState,
  Status,
} from './types.js';
import { EntryType, Role } from './types.js';

export const RaftDefaults = {
  electionTick: 10,
  heartbeatTick: 1,
  preVote: true,
  checkQuorum: true,
  maxSizePerMsg: 1024 * 1024,
  maxInflightMsgs: 256,
  maxUncommittedEntries: 4096,
  snapshotChunkSize: 512 * 1024,
} as const;

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.lead === b.lead && a.role === b.role;
}

export class RawNode implements RaftCore {
  private readonly raft: Raft;
  private readonly logger: Logger;
  private prevSoftState: SoftState;
  private prevHardState: HardState;
  /** Readies handed out whose write is not yet durable (persisted()), oldest first. */
  private readonly unpersisted: Ready[] = [];
  /** Readies handed out whose committed entries are not yet applied (applied()), oldest first. */
  private readonly unapplied: Ready[] = [];
  /** The highest index handed out to apply (committed entries or a snapshot). */
  private applying: number;
  private readonly maxCommittedBytes: number;

  constructor(config: RaftConfig) {
    this.logger = config.logger ?? silentLogger;
    this.maxCommittedBytes = config.maxSizePerMsg ?? RaftDefaults.maxSizePerMsg;
    this.raft = new Raft({
      id: config.id,
      peers: config.peers,
      learners: config.learners ?? [],
      storage: config.storage,
      rng: config.rng,
      electionTick: config.electionTick ?? RaftDefaults.electionTick,
      heartbeatTick: config.heartbeatTick ?? RaftDefaults.heartbeatTick,
      preVote: config.preVote ?? RaftDefaults.preVote,
      checkQuorum: config.checkQuorum ?? RaftDefaults.checkQuorum,
      maxSizePerMsg: config.maxSizePerMsg ?? RaftDefaults.maxSizePerMsg,
      maxInflightMsgs: config.maxInflightMsgs ?? RaftDefaults.maxInflightMsgs,
      maxUncommittedEntries: config.maxUncommittedEntries ?? RaftDefaults.maxUncommittedEntries,
      snapshotChunkSize: config.snapshotChunkSize ?? RaftDefaults.snapshotChunkSize,
      applied: config.applied,
      logger: this.logger,
    });
    // What storage already holds counts as persisted; a fresh follower with no
    // leader is the baseline soft state.
    this.prevHardState = config.storage.initialState().hardState;
    this.prevSoftState = { lead: 0, role: Role.Follower };
    this.applying = this.raft.log.applied;
  }

  tick(): void {
    this.raft.tick();
  }

  step(msg: Message): void {
    this.raft.step(msg);
  }

  propose(data: Uint8Array): void {
    this.raft.propose([{ type: EntryType.Normal, data }]);
  }

  proposeBatch(data: readonly Uint8Array[]): void {
    if (data.length === 0) return;
    this.raft.propose(data.map((d) => ({ type: EntryType.Normal, data: d })));
  }

  proposeConfChange(change: ConfChange): void {
    this.raft.proposeConfChange(change);
  }

  applyConfChange(change: ConfChange): ConfState {
    return this.raft.applyConfChange(change);
  }

  /** The current membership (voters and learners), e.g. to record with a snapshot. */
  confState(): ConfState {
    return this.raft.confState();
  }

  /**
   * Requests a linearizable read point, answered by a ReadState carrying the
   * same context. Throws ProposalDroppedError if no leader is known.
   */
  readIndex(context: string): void {
    this.raft.readIndex(context);
  }

  transferLeader(to: NodeId): void {
    this.raft.transferLeader(to);
  }

  campaign(): void {
    this.raft.campaignNow();
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  hasReady(): boolean {
    const r = this.raft;
    if (!sameSoftState(r.softState(), this.prevSoftState)) return true;
    if (!sameHardState(r.hardState(), this.prevHardState)) return true;
    const u = r.log.unstable;
    if (u.hasNotInProgress() || (u.snapshot && !u.snapshotInProgress)) return true;
    if (r.msgs.length > 0 || r.msgsAfterPersist.length > 0 || r.readStates.length > 0) return true;
    return r.log.hasNextCommittedEntries(this.applying);
  }

  ready(): Ready {
    const r = this.raft;
    const soft = r.softState();
    const hard = r.hardState();
    const u = r.log.unstable;
    const entries: Entry[] = u.notInProgress();
    const snapshot = u.snapshot && !u.snapshotInProgress ? u.snapshot : undefined;
    const softChanged = !sameSoftState(soft, this.prevSoftState);
    const hardChanged = !sameHardState(hard, this.prevHardState);
    const mustSync =
      entries.length > 0 ||
      snapshot !== undefined ||
      hard.term !== this.prevHardState.term ||
      hard.vote !== this.prevHardState.vote;
    // Bounded like a MsgApp so a long backlog (e.g. after a restart) is
    // applied over several Readies instead of one huge one.
    const committedEntries = r.log.nextCommittedEntries(this.applying, this.maxCommittedBytes);
    const rd: Ready = {
      ...(softChanged ? { softState: soft } : {}),
      ...(hardChanged ? { hardState: hard } : {}),
      ...(snapshot ? { snapshot } : {}),
      entries,
      committedEntries,
      messages: r.msgs,
      messagesAfterPersist: r.msgsAfterPersist,
      readStates: r.readStates,
      mustSync,
    };
    r.msgs = [];
    r.msgsAfterPersist = [];
    r.readStates = [];
    if (softChanged) this.prevSoftState = soft;
    if (hardChanged) this.prevHardState = hard;
    u.acceptInProgress();
    if (snapshot) this.applying = Math.max(this.applying, snapshot.metadata.index);
    const lastCommitted = committedEntries[committedEntries.length - 1];
    if (lastCommitted) this.applying = Math.max(this.applying, lastCommitted.index);
    this.unpersisted.push(rd);
    this.unapplied.push(rd);
    return rd;
  }

  /**
   * rd's write (hard state, entries, snapshot) is durable. Called once per
   * Ready, in the order they were handed out. The leader's own append
   * counts toward commitment from here on.
   */
  persisted(rd: Ready): void {
    if (this.unpersisted[0] !== rd) {
      throw new Error('raft: persisted() called out of order or with a Ready not handed out');
    }
    this.unpersisted.shift();
    const log = this.raft.log;
    const last = rd.entries[rd.entries.length - 1];
    if (last) {
      log.unstable.stableTo(last.index, last.term);
      this.raft.persistedTo(last.index, last.term);
    }
    if (rd.snapshot) log.unstable.stableSnapTo(rd.snapshot.metadata.index);
  }

  /**
   * rd's snapshot and committed entries were applied to the state machine.
   * Called once per Ready, in the order they were handed out.
   */
  applied(rd: Ready): void {
    if (this.unapplied[0] !== rd) {
      throw new Error('raft: applied() called out of order or with a Ready not handed out');
    }
    this.unapplied.shift();
    const log = this.raft.log;
    let applied = log.applied;
    if (rd.snapshot) applied = Math.max(applied, rd.snapshot.metadata.index);
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied) applied = Math.max(applied, lastApplied.index);
    if (applied > log.applied) log.appliedTo(applied);
  }

  /** The shell has persisted, sent and applied rd: persisted(rd) then applied(rd). */
  advance(rd: Ready): void {
    this.persisted(rd);
    this.applied(rd);
  }

  status(): Status {
    const r = this.raft;
    const base = {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      lead: r.lead,
      role: r.role,
    };
    if (r.role !== Role.Leader) return base;
    const progress: Record<NodeId, { match: number; next: number; state: string }> = {};
    for (const pr of r.prs.values())
      progress[pr.id] = { match: pr.match, next: pr.next, state: pr.state };
    return { ...base, progress };
  }
}
