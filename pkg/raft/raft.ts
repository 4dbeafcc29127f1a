// The Raft protocol itself (etcd's raft.go): a synchronous state machine that
// takes ticks, messages and local requests, and collects its output (messages,
// read states, log changes) for RawNode to hand out in a Ready. It never
// performs I/O.
//
// Which messages may leave before the Ready that carries them is persisted is
// decided here, once, in send() (etcd's msgsAfterAppend): a message that
// vouches for state this node has not yet made durable waits. That is an
// append acknowledgement (it says "I hold these entries"), a vote grant (it
// says "I voted for you in this term"), and a vote request (the candidate
// counted its own vote at once). Pre-vote answers wait too, as in etcd: they
// are judged against a log that may not be durable yet, and are rare. Every
// other message (MsgApp and heartbeats from a leader, pre-vote requests,
// forwarded proposals and reads, snapshot chunk acks) claims nothing durable
// and may leave at once, overlapping the fsync (Raft thesis §10.2.1). The
// leader's own append counts toward commitment only once it is persisted
// (persistedTo, called from RawNode.advance), so a commit index it sends
// early never rests on its own undurable copy.
//
// Roles are swapped step functions, as in etcd: step() runs the term checks
// every role shares, then hands the message to the current role's handler.
import type { Logger } from './config.js';
import { ProposalDroppedError, TooManyRequestsError } from './config.js';
import { RaftLog } from './log.js';
import { Progress, ProgressState } from './progress.js';
import { committedIndex, hasQuorum, voteResult, VoteResult } from './quorum.js';
import { ReadOnly } from './read-only.js';
import type { Rng } from '../util/rng.js';
import { CompactedError, UnavailableError } from './storage/storage.js';
import type { Storage } from './storage/storage.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  MsgApp,
  MsgAppResp,
  MsgHeartbeat,
  MsgHeartbeatResp,
  MsgReadIndex,
  MsgSnap,
  MsgSnapResp,
  MsgVote,
  MsgVoteResp,
  NodeId,
  ReadState,
  Snapshot,
  SoftState,
} from './types.js';
import { ConfChangeType, EntryType, None, Role } from './types.js';

/** Fully defaulted configuration (see RaftConfig for the meaning of each field). */
export interface RaftOptions {
  readonly id: NodeId;
  readonly peers: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly storage: Storage;
  readonly rng: Rng;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxSizePerMsg: number;
  readonly maxInflightMsgs: number;
  readonly maxUncommittedEntries: number;
  readonly snapshotChunkSize: number;
  readonly applied: number | undefined;
  readonly logger: Logger;
}

const CampaignType = {
  PreElection: 'preElection',
  Election: 'election',
  /** Triggered by MsgTimeoutNow: no PreVote, and votes carry transfer=true. */
  Transfer: 'transfer',
} as const;
type CampaignType = (typeof CampaignType)[keyof typeof CampaignType];

/** A proposal before it is given a term and index. */
export interface ProposedEntry {
  readonly type: Entry['type'];
  readonly data: Uint8Array;
}

/** An InstallSnapshot being received in chunks, keyed by sender and snapshot. */
interface SnapshotReceive {
  readonly from: NodeId;
  readonly term: number;
  readonly index: number;
  readonly snapTerm: number;
  readonly chunks: Uint8Array[];
  received: number;
}

const emptyData = new Uint8Array(0);

/** How much log a campaign's check for an unapplied membership change reads at once. */
const CONF_CHANGE_SCAN_PAGE_BYTES = 4 * 1024 * 1024;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  return JSON.parse(new TextDecoder().decode(data)) as ConfChange;
}

/**
 * The rule of the header, stated once: whether `m` vouches for state of its
 * sender that must be durable before anyone may rely on it.
 */
function waitsForPersistence(m: Message): boolean {
  switch (m.type) {
    case 'appResp': // "I hold the log up to index" (or the term it carries)
    case 'voteResp': // "I voted for you in this term"
    case 'vote': // the candidate already counted its own vote
    case 'preVoteResp': // judged against a possibly undurable log; rare (etcd waits too)
      return true;
    default:
      return false;
  }
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId = None;
  lead: NodeId = None;
  role: Role = Role.Follower;
  readonly log: RaftLog;
  /** Every member (voters and learners) including this node, keyed by id. */
  prs = new Map<NodeId, Progress>();
  votes = new Map<NodeId, boolean>();

  /** Output collected for the next Ready: messages that may leave at once... */
  msgs: Message[] = [];
  /** ...and messages that must wait until the Ready's state is durable (see send()). */
  msgsAfterPersist: Message[] = [];
  readStates: ReadState[] = [];

  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  leadTransferee: NodeId = None;
  /** Index of the latest ConfChange appended by this leader; a new one waits until it is applied. */
  private pendingConfIndex = 0;
  /** Committed entries up to this index are known not to be membership changes. */
  private confChangeFreeThrough = 0;
  private readonly readOnly = new ReadOnly();
  /** ReadIndex requests that arrived before this leader committed an entry of its term. */
  private pendingReadIndex: { context: string; from: NodeId }[] = [];
  private snapRecv: SnapshotReceive | undefined;

  private readonly opts: RaftOptions;
  private readonly logger: Logger;

  constructor(opts: RaftOptions) {
    if (!Number.isInteger(opts.id) || opts.id <= 0)
      throw new Error(`raft: invalid node id ${opts.id}`);
    if (opts.heartbeatTick <= 0) throw new Error('raft: heartbeatTick must be > 0');
    if (opts.electionTick <= opts.heartbeatTick) {
      throw new Error('raft: electionTick must be greater than heartbeatTick');
    }
    if (opts.maxInflightMsgs <= 0) throw new Error('raft: maxInflightMsgs must be > 0');
    if (opts.snapshotChunkSize <= 0) throw new Error('raft: snapshotChunkSize must be > 0');
    this.opts = opts;
    this.id = opts.id;
    this.logger = opts.logger;
    this.log = new RaftLog(opts.storage);

    const { hardState, confState } = opts.storage.initialState();
    // Membership comes from storage once there is any; peers only bootstrap.
    const cs: ConfState =
      confState.voters.length > 0
        ? confState
        : { voters: [...opts.peers], learners: [...opts.learners] };
    this.applyConfState(cs);

    this.term = hardState.term;
    this.vote = hardState.vote;
    if (hardState.commit > this.log.lastIndex()) {
      throw new Error(
        `raft: stored commit ${hardState.commit} is beyond last index ${this.log.lastIndex()}`,
      );
    }
    this.log.commitTo(hardState.commit);
    if (opts.applied !== undefined) {
      // The state machine cannot be behind the snapshot it was restored from.
      this.log.appliedTo(Math.max(this.log.applied, Math.min(opts.applied, this.log.committed)));
    }
    this.becomeFollower(this.term, None);
    this.logger.info('raft: started', {
      id: this.id,
      term: this.term,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      voters: cs.voters,
      learners: cs.learners,
    });
  }

  // -------------------------------------------------------------------------
  // Derived state

  get electionTimeout(): number {
    return this.opts.electionTick;
  }

  voters(): NodeId[] {
    return [...this.prs.values()]
      .filter((p) => !p.isLearner)
      .map((p) => p.id)
      .sort((a, b) => a - b);
  }

  learners(): NodeId[] {
    return [...this.prs.values()]
      .filter((p) => p.isLearner)
      .map((p) => p.id)
      .sort((a, b) => a - b);
  }

  confState(): ConfState {
    return { voters: this.voters(), learners: this.learners() };
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { lead: this.lead, role: this.role };
  }

  /** Only voters in the current configuration may campaign. */
  promotable(): boolean {
    const pr = this.prs.get(this.id);
    return pr !== undefined && !pr.isLearner;
  }

  private committedEntryInCurrentTerm(): boolean {
    return this.log.termOrZero(this.log.committed) === this.term;
  }

  private pastElectionTimeout(): boolean {
    return this.electionElapsed >= this.randomizedElectionTimeout;
  }

  private resetRandomizedElectionTimeout(): void {
    // Randomised in [electionTick, 2*electionTick) so split votes resolve.
    this.randomizedElectionTimeout = this.opts.rng.int(
      this.opts.electionTick,
      2 * this.opts.electionTick,
    );
  }

  // -------------------------------------------------------------------------
  // Role transitions

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = None;
    }
    this.lead = None;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.resetRandomizedElectionTimeout();
    this.abortLeaderTransfer();
    this.votes = new Map();
    const last = this.log.lastIndex();
    for (const [id, old] of this.prs) {
      const pr = new Progress(id, last + 1, this.opts.maxInflightMsgs, old.isLearner);
      // Our own match counts only what is durable; persistedTo() moves it on.
      if (id === this.id) pr.match = this.log.lastPersistedIndex();
      // A new term's leader must hear from a quorum within its first election
      // timeout (CheckQuorum), and ships snapshots only to peers it has heard from.
      pr.recentActive = id === this.id;
      this.prs.set(id, pr);
    }
    this.pendingConfIndex = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
  }

  becomeFollower(term: number, lead: NodeId): void {
    const wasTerm = this.term;
    const wasRole = this.role;
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
    if (wasRole !== Role.Follower || wasTerm !== term) {
      this.logger.info('raft: became follower', { id: this.id, term, lead, from: wasRole });
    }
  }

  private becomePreCandidate(): void {
    if (this.role === Role.Leader) throw new Error('raft: leader cannot become pre-candidate');
    // A pre-candidate keeps its term and vote: it only asks whether it could win.
    this.votes = new Map();
    this.lead = None;
    this.role = Role.PreCandidate;
    this.resetRandomizedElectionTimeout();
    this.logger.info('raft: became pre-candidate', { id: this.id, term: this.term });
  }

  private becomeCandidate(): void {
    if (this.role === Role.Leader) throw new Error('raft: leader cannot become candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
    this.logger.info('raft: became candidate', { id: this.id, term: this.term });
  }

  private becomeLeader(): void {
    if (this.role === Role.Follower) throw new Error('raft: follower cannot become leader');
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    this.prs.get(this.id)?.becomeReplicate();
    // A conf change may be proposed only after everything up to here is
    // applied, which includes this term's first entry (the single-server
    // membership-change fix from Ongaro's thesis errata).
    this.pendingConfIndex = this.log.lastIndex();
    // The empty entry lets us commit (and so learn the commit index) in our term.
    this.appendEntries([{ type: EntryType.Normal, data: emptyData }]);
    this.logger.info('raft: became leader', {
      id: this.id,
      term: this.term,
      lastIndex: this.log.lastIndex(),
    });
  }

  // -------------------------------------------------------------------------
  // Ticks

  tick(): void {
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.pastElectionTimeout()) {
      this.electionElapsed = 0;
      this.hup(this.opts.preVote ? CampaignType.PreElection : CampaignType.Election);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    this.tickSnapshotTransfers();

    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.opts.checkQuorum && !this.checkQuorumActive()) {
        this.logger.warn('raft: leader lost contact with a quorum; stepping down', {
          id: this.id,
          term: this.term,
        });
        this.becomeFollower(this.term, None);
        return;
      }
      if (this.leadTransferee !== None) {
        this.logger.warn('raft: leadership transfer timed out', {
          id: this.id,
          term: this.term,
          transferee: this.leadTransferee,
        });
        this.abortLeaderTransfer();
      }
    }
    if (this.heartbeatElapsed >= this.opts.heartbeatTick) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
  }

  /** Whether a quorum was heard from since the last check; resets the marks. */
  private checkQuorumActive(): boolean {
    const ok = hasQuorum(
      this.voters(),
      (id) => id === this.id || this.prs.get(id)?.recentActive === true,
    );
    for (const pr of this.prs.values()) pr.recentActive = pr.id === this.id;
    return ok;
  }

  private tickSnapshotTransfers(): void {
    for (const pr of this.prs.values()) {
      const t = pr.snapshotTransfer;
      if (pr.state !== ProgressState.Snapshot || !t) continue;
      if (++t.idleTicks >= this.electionTimeout) {
        this.logger.warn(
          'raft: snapshot transfer got no ack within an election timeout; retrying',
          {
            id: this.id,
            to: pr.id,
            snapIndex: pr.pendingSnapshot,
          },
        );
        pr.abandonSnapshot();
        this.maybeSendAppend(pr.id, true);
      }
    }
  }

  // -------------------------------------------------------------------------
  // Elections

  /** Starts an election if allowed (the MsgHup of etcd). */
  hup(t: CampaignType): void {
    if (this.role === Role.Leader) return;
    if (!this.promotable()) {
      this.logger.warn('raft: not a voter; cannot campaign', { id: this.id });
      return;
    }
    if (this.hasUnappliedConfChanges()) {
      this.logger.warn('raft: cannot campaign while a committed membership change is unapplied', {
        id: this.id,
        term: this.term,
      });
      return;
    }
    this.campaign(t);
  }

  campaignNow(): void {
    this.hup(this.opts.preVote ? CampaignType.PreElection : CampaignType.Election);
  }

  /**
   * Whether a committed, not yet applied entry is a membership change. The
   * entries may be on disk only (after a restart, all of them), so they are read
   * a page at a time, and a committed entry, which never changes, is scanned
   * once: confChangeFreeThrough remembers how far the scan found none.
   */
  private hasUnappliedConfChanges(): boolean {
    const hi = this.log.committed + 1;
    let lo = Math.max(this.log.applied, this.confChangeFreeThrough) + 1;
    while (lo < hi) {
      let ents: Entry[];
      try {
        ents = this.log.slice(lo, hi, CONF_CHANGE_SCAN_PAGE_BYTES);
      } catch (err) {
        if (err instanceof CompactedError) return false;
        throw err;
      }
      if (ents.length === 0) return false;
      if (ents.some((e) => e.type === EntryType.ConfChange)) return true;
      lo += ents.length;
      this.confChangeFreeThrough = lo - 1;
    }
    return false;
  }

  private campaign(t: CampaignType): void {
    let term: number;
    let type: MsgVote['type'];
    if (t === CampaignType.PreElection) {
      this.becomePreCandidate();
      type = 'preVote';
      // Ask with the term we would use, without adopting it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      type = 'vote';
      term = this.term;
    }
    if (this.poll(this.id, true) === VoteResult.Won) {
      // A single-voter cluster wins at once.
      if (t === CampaignType.PreElection) this.campaign(CampaignType.Election);
      else this.becomeLeader();
      return;
    }
    const lastLogIndex = this.log.lastIndex();
    const lastLogTerm = this.log.lastTerm();
    for (const id of this.voters()) {
      if (id === this.id) continue;
      this.send({
        type,
        from: this.id,
        to: id,
        term,
        lastLogIndex,
        lastLogTerm,
        transfer: t === CampaignType.Transfer,
      });
    }
  }

  private poll(id: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.voters(), this.votes);
  }

  // -------------------------------------------------------------------------
  // Step: the term checks every role shares

  step(m: Message): void {
    if (m.term === 0) {
      // A local message: no term checks.
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Leader lease: while we hear from a leader, a (pre)vote request is a
        // disruption (e.g. a rejoining node), unless it comes from a transfer.
        const leaseApplies = this.opts.checkQuorum || (this.opts.preVote && m.type === 'preVote');
        const inLease =
          leaseApplies && this.lead !== None && this.electionElapsed < this.electionTimeout;
        if (inLease && !m.transfer) {
          this.logger.info('raft: ignoring vote request within leader lease', {
            id: this.id,
            term: this.term,
            from: m.from,
            msgTerm: m.term,
            type: m.type,
          });
          return;
        }
      }
      if (m.type === 'preVote') {
        // Never change our term in response to a PreVote.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // A granted pre-vote carries the term we asked with; we adopt it only
        // when the real election starts.
      } else {
        this.logger.info('raft: received a message with a higher term', {
          id: this.id,
          term: this.term,
          msgTerm: m.term,
          from: m.from,
          type: m.type,
        });
        const fromLeader = m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap';
        this.becomeFollower(m.term, fromLeader ? m.from : None);
      }
    } else if (m.term < this.term) {
      if (
        (this.opts.checkQuorum || this.opts.preVote) &&
        (m.type === 'app' || m.type === 'heartbeat')
      ) {
        // A stale leader (e.g. cut off and since replaced) would otherwise never
        // learn the new term if we just ignored it: tell it.
        this.send(this.appResp(m.from, 0, false));
      } else if (m.type === 'preVote') {
        // Answer so the pre-candidate learns our (higher) term.
        this.send({
          type: 'preVoteResp',
          from: this.id,
          to: m.from,
          term: this.term,
          reject: true,
        });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case Role.Leader:
        this.stepLeader(m);
        break;
      case Role.Candidate:
      case Role.PreCandidate:
        this.stepCandidate(m);
        break;
      case Role.Follower:
        this.stepFollower(m);
        break;
    }
  }

  private handleVoteRequest(m: MsgVote): void {
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === None && this.lead === None) ||
      (m.type === 'preVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
      // The grant carries the candidate's term so it counts at its (future) term.
      this.send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
        this.logger.info('raft: voted', { id: this.id, term: this.term, for: m.from });
      }
    } else {
      this.send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  // -------------------------------------------------------------------------
  // Leader

  private stepLeader(m: Message): void {
    switch (m.type) {
      case 'prop':
        this.leaderAcceptRemoteProposal(m.entries, m.from);
        return;
      case 'readIndex':
        this.leaderReadIndex(m.context, m.from);
        return;
      case 'transferLeader':
        this.leaderTransfer(m.transferee);
        return;
      case 'appResp':
        this.leaderHandleAppResp(m);
        return;
      case 'heartbeatResp':
        this.leaderHandleHeartbeatResp(m);
        return;
      case 'snapResp':
        this.leaderHandleSnapResp(m);
        return;
      default:
        return;
    }
  }

  /** Proposals from the local node: errors are thrown to the caller. */
  propose(entries: readonly ProposedEntry[]): void {
    if (this.role === Role.Leader) {
      const reason = this.refuseProposal(entries);
      if (reason === 'transfer') {
        throw new ProposalDroppedError('raft proposal dropped: leadership transfer in progress');
      }
      if (reason === 'full') throw new TooManyRequestsError();
      if (reason === 'confPending') {
        throw new ProposalDroppedError(
          'raft proposal dropped: another membership change is pending',
        );
      }
      this.appendEntries(entries);
      this.bcastAppend();
      return;
    }
    if (this.lead === None) throw new ProposalDroppedError();
    this.send({
      type: 'prop',
      from: this.id,
      to: this.lead,
      term: this.term,
      entries: entries.map((e) => ({ term: 0, index: 0, type: e.type, data: e.data })),
    });
  }

  private refuseProposal(
    entries: readonly ProposedEntry[],
  ): 'transfer' | 'full' | 'confPending' | undefined {
    if (this.leadTransferee !== None) return 'transfer';
    const uncommitted = this.log.lastIndex() - this.log.committed;
    if (uncommitted + entries.length > this.opts.maxUncommittedEntries) return 'full';
    if (entries.some((e) => e.type === EntryType.ConfChange)) {
      const confs = entries.filter((e) => e.type === EntryType.ConfChange).length;
      if (confs > 1 || this.pendingConfIndex > this.log.applied) return 'confPending';
    }
    return undefined;
  }

  private leaderAcceptRemoteProposal(entries: readonly Entry[], from: NodeId): void {
    const reason = this.refuseProposal(entries);
    if (reason !== undefined) {
      // The proposer's shell times the request out; nothing to answer.
      this.logger.warn('raft: dropping forwarded proposal', { id: this.id, from, reason });
      return;
    }
    this.appendEntries(entries);
    this.bcastAppend();
  }

  private appendEntries(entries: readonly ProposedEntry[]): void {
    const li = this.log.lastIndex();
    const ents: Entry[] = entries.map((e, i) => ({
      term: this.term,
      index: li + 1 + i,
      type: e.type,
      data: e.data,
    }));
    for (const e of ents) {
      if (e.type === EntryType.ConfChange) this.pendingConfIndex = e.index;
    }
    this.log.append(ents);
    // Our own copy counts toward the quorum only once it is durable
    // (persistedTo): the MsgApps carrying these entries leave before our fsync.
  }

  /**
   * The shell made the log durable through (index, term) (RawNode.advance).
   * This is the leader's own append acknowledgement; it may complete a quorum.
   */
  persistedTo(index: number, term: number): void {
    if (this.role !== Role.Leader) return;
    // Replaced while it was being written: what is durable is not our entry.
    if (this.log.termOrZero(index) !== term) return;
    const pr = this.prs.get(this.id);
    if (pr === undefined || !pr.maybeUpdate(index)) return;
    if (this.maybeCommit()) this.bcastAppend();
  }

  /** Advances the commit index to what a quorum holds, if it is of our term (§5.4.2). */
  private maybeCommit(): boolean {
    const mci = committedIndex(this.voters(), (id) => this.prs.get(id)?.match ?? 0);
    if (mci <= this.log.committed) return false;
    // Figure 8: an entry of an earlier term is never committed by counting.
    if (this.log.termOrZero(mci) !== this.term) return false;
    this.log.commitTo(mci);
    this.releasePendingReadIndex();
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.prs.keys()) {
      if (id !== this.id) this.maybeSendAppend(id, true);
    }
  }

  /**
   * Sends the entries `to` is missing (or an empty MsgApp carrying the commit
   * index when sendIfEmpty), or starts a snapshot if they are compacted.
   * Returns whether anything was sent.
   */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.prs.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    let prevTerm: number;
    let ents: Entry[];
    try {
      prevTerm = this.log.term(prevIndex);
      ents = this.log.slice(pr.next, this.log.lastIndex() + 1, this.opts.maxSizePerMsg);
    } catch (err) {
      if (err instanceof CompactedError) return this.sendSnapshot(pr);
      throw err;
    }
    if (ents.length === 0 && !sendIfEmpty) return false;
    const msg: MsgApp = {
      type: 'app',
      from: this.id,
      to,
      term: this.term,
      index: prevIndex,
      logTerm: prevTerm,
      entries: ents,
      commit: this.log.committed,
    };
    this.send(msg);
    const last = ents[ents.length - 1];
    pr.sentEntries(ents.length, last ? last.index : prevIndex);
    return true;
  }

  private sendSnapshot(pr: Progress): boolean {
    if (!pr.recentActive) {
      // Don't ship a whole snapshot to a node that may be down.
      return false;
    }
    let snap: Snapshot;
    try {
      snap = this.log.unstable.snapshot ?? this.opts.storage.snapshot();
    } catch (err) {
      if (err instanceof UnavailableError) return false;
      throw err;
    }
    if (snap.metadata.index === 0)
      throw new Error('raft: log is compacted but there is no snapshot');
    pr.becomeSnapshot(snap);
    this.logger.info('raft: sending snapshot', {
      id: this.id,
      to: pr.id,
      snapIndex: snap.metadata.index,
      snapTerm: snap.metadata.term,
      bytes: snap.data.byteLength,
      match: pr.match,
    });
    this.sendSnapChunk(pr, 0);
    return true;
  }

  private sendSnapChunk(pr: Progress, offset: number): void {
    const t = pr.snapshotTransfer;
    if (!t) return;
    const data = t.snapshot.data;
    const from = Math.min(Math.max(0, offset), data.byteLength);
    const end = Math.min(data.byteLength, from + this.opts.snapshotChunkSize);
    const msg: MsgSnap = {
      type: 'snap',
      from: this.id,
      to: pr.id,
      term: this.term,
      metadata: t.snapshot.metadata,
      offset: from,
      data: data.slice(from, end),
      done: end >= data.byteLength,
    };
    this.send(msg);
    t.sentTo = end;
  }

  private leaderHandleSnapResp(m: MsgSnapResp): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    const t = pr.snapshotTransfer;
    if (pr.state !== ProgressState.Snapshot || !t || m.snapIndex !== pr.pendingSnapshot) return;
    t.idleTicks = 0;
    if (m.reject) {
      // The receiver lost our place (a dropped or reordered chunk): resume where it is.
      this.sendSnapChunk(pr, m.offset);
      return;
    }
    // One chunk in flight: the ack of the newest one releases the next.
    if (m.offset >= t.sentTo && t.sentTo < t.snapshot.data.byteLength)
      this.sendSnapChunk(pr, t.sentTo);
  }

  private leaderHandleAppResp(m: MsgAppResp): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    if (m.reject) {
      // Skip the whole divergent term the follower reported (fast back-off).
      let nextProbe = m.rejectHint;
      if (m.logTermHint > 0)
        nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTermHint).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.maybeSendAppend(m.from, true);
      }
      return;
    }
    const oldPaused = pr.isPaused();
    if (!(pr.maybeUpdate(m.index) || (pr.match === m.index && pr.state === ProgressState.Probe)))
      return;
    if (pr.state === ProgressState.Probe) {
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Snapshot && pr.match + 1 >= this.log.firstIndex()) {
      this.logger.info('raft: follower caught up from snapshot', {
        id: this.id,
        to: m.from,
        match: pr.match,
      });
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === ProgressState.Replicate) {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.bcastAppend();
    } else if (oldPaused) {
      this.maybeSendAppend(m.from, true);
    }
    // Fill the pipeline while there is room and something to send.
    while (this.maybeSendAppend(m.from, false)) {
      // keep sending
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
      this.logger.info('raft: transferee caught up; sending TimeoutNow', {
        id: this.id,
        to: m.from,
      });
      this.sendTimeoutNow(m.from);
    }
  }

  private leaderHandleHeartbeatResp(m: MsgHeartbeatResp): void {
    const pr = this.prs.get(m.from);
    if (!pr) return;
    pr.recentActive = true;
    pr.paused = false;
    // A full pipeline whose messages were lost would stall forever: let one through.
    if (pr.state === ProgressState.Replicate && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex() || pr.state === ProgressState.Probe) {
      this.maybeSendAppend(m.from, true);
    }
    if (m.context === '') return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (!acks || !hasQuorum(this.voters(), (id) => acks.has(id))) return;
    for (const req of this.readOnly.advance(m.context))
      this.answerReadIndex(req.context, req.from, req.index);
  }

  private bcastHeartbeat(context = this.readOnly.lastPendingContext()): void {
    for (const pr of this.prs.values()) {
      if (pr.id === this.id) continue;
      const msg: MsgHeartbeat = {
        type: 'heartbeat',
        from: this.id,
        to: pr.id,
        term: this.term,
        // Never tell a follower to commit beyond what it is known to hold.
        commit: Math.min(pr.match, this.log.committed),
        context,
      };
      this.send(msg);
    }
  }

  // ReadIndex ------------------------------------------------------------

  /** A local read request. */
  readIndex(context: string): void {
    if (this.role === Role.Leader) {
      this.leaderReadIndex(context, this.id);
      return;
    }
    if (this.lead === None) throw new ProposalDroppedError('raft read index dropped: no leader');
    const msg: MsgReadIndex = {
      type: 'readIndex',
      from: this.id,
      to: this.lead,
      term: this.term,
      context,
    };
    this.send(msg);
  }

  private leaderReadIndex(context: string, from: NodeId): void {
    if (!this.committedEntryInCurrentTerm()) {
      // Until we commit in our term we don't know the true commit index.
      this.pendingReadIndex.push({ context, from });
      return;
    }
    const voters = this.voters();
    if (voters.length === 1 && voters[0] === this.id) {
      this.answerReadIndex(context, from, this.log.committed);
      return;
    }
    this.readOnly.addRequest(this.log.committed, context, from);
    this.readOnly.recvAck(this.id, context);
    this.bcastHeartbeat(context);
  }

  private releasePendingReadIndex(): void {
    if (this.pendingReadIndex.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndex;
    this.pendingReadIndex = [];
    for (const r of pending) this.leaderReadIndex(r.context, r.from);
  }

  private answerReadIndex(context: string, from: NodeId, index: number): void {
    if (from === this.id || from === None) {
      this.readStates.push({ index, context });
      return;
    }
    this.send({
      type: 'readIndexResp',
      from: this.id,
      to: from,
      term: this.term,
      context,
      index,
    });
  }

  // Leadership transfer -------------------------------------------------------

  transferLeader(to: NodeId): void {
    if (this.role === Role.Leader) {
      this.leaderTransfer(to);
      return;
    }
    if (this.lead === None) {
      this.logger.warn('raft: no leader to transfer leadership from', {
        id: this.id,
        transferee: to,
      });
      return;
    }
    this.send({
      type: 'transferLeader',
      from: this.id,
      to: this.lead,
      term: this.term,
      transferee: to,
    });
  }

  private leaderTransfer(transferee: NodeId): void {
    const pr = this.prs.get(transferee);
    if (!pr || pr.isLearner) {
      this.logger.warn('raft: ignoring transfer to a non-voter', { id: this.id, transferee });
      return;
    }
    if (this.leadTransferee !== None) {
      if (this.leadTransferee === transferee) return;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return;
    this.logger.info('raft: starting leadership transfer', {
      id: this.id,
      term: this.term,
      transferee,
    });
    // The transfer must finish within an election timeout (see tickHeartbeat).
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    if (pr.match === this.log.lastIndex()) {
      this.sendTimeoutNow(transferee);
    } else {
      this.maybeSendAppend(transferee, true);
    }
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = None;
  }

  // -------------------------------------------------------------------------
  // Candidate

  private stepCandidate(m: Message): void {
    const myRespType = this.role === Role.PreCandidate ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return;
      case 'voteResp':
      case 'preVoteResp':
        if (m.type === myRespType) this.handleVoteResp(m);
        return;
      default:
        return;
    }
  }

  private handleVoteResp(m: MsgVoteResp): void {
    const res = this.poll(m.from, !m.reject);
    if (res === VoteResult.Won) {
      if (this.role === Role.PreCandidate) {
        this.campaign(CampaignType.Election);
      } else {
        this.becomeLeader();
        this.bcastAppend();
      }
    } else if (res === VoteResult.Lost) {
      // Stay at our term; wait for a leader or the next timeout.
      this.becomeFollower(this.term, None);
    }
  }

  // -------------------------------------------------------------------------
  // Follower

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        if (!this.promotable()) return;
        this.logger.info('raft: received TimeoutNow; campaigning at once', {
          id: this.id,
          term: this.term,
          from: m.from,
        });
        // Skips PreVote and the lease: the leader itself asked for this.
        this.campaign(CampaignType.Transfer);
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        // Proposals, reads and transfers sent to us by mistake are dropped;
        // the sender's shell times out and retries against the real leader.
        return;
    }
  }

  private appResp(to: NodeId, index: number, reject: boolean, hint = 0, hintTerm = 0): MsgAppResp {
    return {
      type: 'appResp',
      from: this.id,
      to,
      term: this.term,
      index,
      reject,
      rejectHint: hint,
      logTermHint: hintTerm,
    };
  }

  private handleAppend(m: MsgApp): void {
    if (m.index < this.log.committed) {
      // Everything up to our commit already matches; tell the leader where we are.
      this.send(this.appResp(m.from, this.log.committed, false));
      return;
    }
    const last = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (last !== undefined) {
      this.send(this.appResp(m.from, last, false));
      return;
    }
    // Reject with a hint: our last index at or below m.index whose term is <=
    // the leader's term there. The leader skips everything after it at once.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send(this.appResp(m.from, m.index, true, hint.index, hint.term));
  }

  private handleHeartbeat(m: MsgHeartbeat): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
    this.send({
      type: 'heartbeatResp',
      from: this.id,
      to: m.from,
      term: this.term,
      context: m.context,
    });
  }

  private snapResp(m: MsgSnap, offset: number, reject: boolean): void {
    this.send({
      type: 'snapResp',
      from: this.id,
      to: m.from,
      term: this.term,
      snapIndex: m.metadata.index,
      offset,
      reject,
    });
  }

  private handleSnapshot(m: MsgSnap): void {
    const md = m.metadata;
    if (md.index <= this.log.committed) {
      // Stale: we already have all of it. Acknowledge so the leader moves on.
      this.snapRecv = undefined;
      this.send(this.appResp(m.from, this.log.committed, false));
      this.snapResp(m, m.offset + m.data.byteLength, false);
      return;
    }
    let r = this.snapRecv;
    if (
      !r ||
      r.from !== m.from ||
      r.term !== m.term ||
      r.index !== md.index ||
      r.snapTerm !== md.term
    ) {
      if (m.offset !== 0) {
        // A chunk of a transfer we don't have the start of: ask for it from 0.
        this.snapResp(m, 0, true);
        return;
      }
      r = {
        from: m.from,
        term: m.term,
        index: md.index,
        snapTerm: md.term,
        chunks: [],
        received: 0,
      };
      this.snapRecv = r;
    }
    if (m.offset < r.received) {
      // A duplicate: acknowledge where we are without asking for a resend.
      this.snapResp(m, r.received, false);
      return;
    }
    if (m.offset > r.received) {
      // A gap (a chunk was lost): ask to resume from what we have.
      this.snapResp(m, r.received, true);
      return;
    }
    r.chunks.push(m.data);
    r.received += m.data.byteLength;
    this.snapResp(m, r.received, false);
    if (!m.done) return;
    this.snapRecv = undefined;
    const data = new Uint8Array(r.received);
    let at = 0;
    for (const c of r.chunks) {
      data.set(c, at);
      at += c.byteLength;
    }
    const snap: Snapshot = { metadata: md, data };
    if (this.restore(snap)) {
      this.logger.info('raft: installed snapshot', {
        id: this.id,
        term: this.term,
        snapIndex: md.index,
        snapTerm: md.term,
        bytes: data.byteLength,
      });
      this.send(this.appResp(m.from, this.log.lastIndex(), false));
    } else {
      this.send(this.appResp(m.from, this.log.committed, false));
    }
  }

  /** Installs a snapshot; false if it was not needed (stale, or our log already has it). */
  private restore(s: Snapshot): boolean {
    const { index, term } = s.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      // Our log already holds the snapshot's last entry: just commit up to it.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(s);
    this.applyConfState(s.metadata.confState);
    return true;
  }

  // -------------------------------------------------------------------------
  // Membership

  /** Replaces the member set (restart, snapshot install), keeping known progress. */
  private applyConfState(cs: ConfState): void {
    const next = new Map<NodeId, Progress>();
    const last = this.log.lastIndex();
    const add = (id: NodeId, learner: boolean): void => {
      const pr = this.prs.get(id) ?? new Progress(id, last + 1, this.opts.maxInflightMsgs, learner);
      pr.isLearner = learner;
      if (id === this.id) pr.match = Math.max(pr.match, last);
      next.set(id, pr);
    };
    for (const id of cs.voters) add(id, false);
    for (const id of cs.learners) if (!next.has(id)) add(id, true);
    this.prs = next;
  }

  proposeConfChange(cc: ConfChange): void {
    this.propose([{ type: EntryType.ConfChange, data: encodeConfChange(cc) }]);
  }

  applyConfChange(cc: ConfChange): ConfState {
    const last = this.log.lastIndex();
    const existing = this.prs.get(cc.nodeId);
    switch (cc.type) {
      case ConfChangeType.AddNode:
      case ConfChangeType.AddLearner: {
        const learner = cc.type === ConfChangeType.AddLearner;
        if (existing) {
          existing.isLearner = learner;
        } else {
          const pr = new Progress(cc.nodeId, last + 1, this.opts.maxInflightMsgs, learner);
          // Give a new member a chance to be caught up (and sent a snapshot).
          pr.recentActive = true;
          this.prs.set(cc.nodeId, pr);
        }
        break;
      }
      case ConfChangeType.RemoveNode:
        this.prs.delete(cc.nodeId);
        if (this.leadTransferee === cc.nodeId) this.abortLeaderTransfer();
        break;
    }
    this.logger.info('raft: applied membership change', {
      id: this.id,
      term: this.term,
      change: cc.type,
      node: cc.nodeId,
      voters: this.voters(),
      learners: this.learners(),
    });
    if (this.role === Role.Leader) {
      if (!this.promotable()) {
        this.logger.info('raft: leader removed or demoted; stepping down', {
          id: this.id,
          term: this.term,
        });
        this.becomeFollower(this.term, None);
      } else if (this.leadTransferee !== None && this.prs.get(this.leadTransferee)?.isLearner) {
        this.abortLeaderTransfer();
      }
      if (this.role === Role.Leader) {
        // The quorum may have shrunk; new members need their first probe.
        if (this.maybeCommit()) this.bcastAppend();
        else {
          for (const id of this.prs.keys()) {
            // A new member needs a first probe even with nothing new to send.
            if (id !== this.id) this.maybeSendAppend(id, id === cc.nodeId && !existing);
          }
        }
      }
    }
    return this.confState();
  }

  // -------------------------------------------------------------------------
  // Output

  /** Queues `m` for the next Ready, apart if it must wait for persistence (header). */
  private send(m: Message): void {
    if (waitsForPersistence(m)) this.msgsAfterPersist.push(m);
    else this.msgs.push(m);
  }

  // -------------------------------------------------------------------------
  // Misc

  reportUnreachable(id: NodeId): void {
    const pr = this.prs.get(id);
    if (this.role !== Role.Leader || !pr) return;
    // Messages to it were probably lost: stop streaming and probe instead.
    if (pr.state === ProgressState.Replicate) pr.becomeProbe();
  }
}
