// The vocabulary of the Raft core: log entries, persistent state, messages and
// the Ready bundle the core hands to its shell. Everything here is plain data so
// it can be cloned, serialized (proto/raft.proto) and compared in tests.

/** Node ids are positive integers (`jobd --id 1`). 0 means "none". */
export type NodeId = number;
export const None: NodeId = 0;

export const EntryType = {
  /** Application data for the state machine. Empty data marks a leader's no-op. */
  Normal: 'normal',
  /** A membership change; data is a JSON-encoded ConfChange. */
  ConfChange: 'confChange',
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** State that must be durable before any message depending on it leaves the node. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
}

export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /**
   * Opaque to the core: each member's latest ConfChange context (the shell
   * keeps the member's address there), so a snapshot carries what the log
   * it replaces said about the members.
   */
  readonly contexts?: Readonly<Record<string, string>>;
}

export const ConfChangeType = {
  AddNode: 'addNode',
  AddLearner: 'addLearner',
  RemoveNode: 'removeNode',
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
  /** Opaque to raft; the shell uses it for the new member's address. */
  readonly context?: string;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}

export const Role = {
  Follower: 'follower',
  PreCandidate: 'preCandidate',
  Candidate: 'candidate',
  Leader: 'leader',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

// ---------------------------------------------------------------------------
// Messages: a union discriminated on `type`. Every message carries from/to/term.
// `term: 0` marks a local message (never sent over the wire).

interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** Vote request. PreVote uses the same shape with the term the sender *would* have. */
export interface MsgVote extends MessageBase {
  readonly type: 'vote' | 'preVote';
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Set when the election was triggered by TimeoutNow (leadership transfer). */
  readonly transfer: boolean;
}

export interface MsgVoteResp extends MessageBase {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

/** AppendEntries. `index`/`logTerm` identify the entry preceding `entries`. */
export interface MsgApp extends MessageBase {
  readonly type: 'app';
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * AppendEntries response. On success `index` is the last index the follower now
 * matches. On reject, `index` echoes the rejected MsgApp's index and the hint
 * (`rejectHint`, `logTermHint`) lets the leader skip a whole divergent term at once.
 */
export interface MsgAppResp extends MessageBase {
  readonly type: 'appResp';
  readonly index: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly logTermHint: number;
}

export interface MsgHeartbeat extends MessageBase {
  readonly type: 'heartbeat';
  readonly commit: number;
  /** ReadIndex request context being confirmed by this round, if any. */
  readonly context: string;
}

export interface MsgHeartbeatResp extends MessageBase {
  readonly type: 'heartbeatResp';
  readonly context: string;
}

/**
 * One chunk of InstallSnapshot. Chunks are sent in order; the receiver
 * acknowledges each with MsgSnapResp and applies the snapshot after `done`.
 */
export interface MsgSnap extends MessageBase {
  readonly type: 'snap';
  readonly metadata: SnapshotMetadata;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

export interface MsgSnapResp extends MessageBase {
  readonly type: 'snapResp';
  readonly snapIndex: number;
  /** Bytes received so far (the offset the sender should continue from). */
  readonly offset: number;
  readonly reject: boolean;
}

/** Leadership transfer: tells the target to campaign immediately. */
export interface MsgTimeoutNow extends MessageBase {
  readonly type: 'timeoutNow';
}

/** A follower forwarding a client proposal to the leader. */
export interface MsgProp extends MessageBase {
  readonly type: 'prop';
  readonly entries: readonly Entry[];
}

/** A follower asking the leader for a read index on behalf of a local read. */
export interface MsgReadIndex extends MessageBase {
  readonly type: 'readIndex';
  readonly context: string;
}

export interface MsgReadIndexResp extends MessageBase {
  readonly type: 'readIndexResp';
  readonly context: string;
  readonly index: number;
}

/** A follower asking the leader to hand leadership to `transferee`. */
export interface MsgTransferLeader extends MessageBase {
  readonly type: 'transferLeader';
  readonly transferee: NodeId;
}

export type Message =
  | MsgVote
  | MsgVoteResp
  | MsgApp
  | MsgAppResp
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgSnap
  | MsgSnapResp
  | MsgTimeoutNow
  | MsgProp
  | MsgReadIndex
  | MsgReadIndexResp
  | MsgTransferLeader;

export type MessageType = Message['type'];

// ---------------------------------------------------------------------------
// The core's output.

export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}

/** The answer to a ReadIndex request: reads are safe once applied >= index. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/**
 * Everything the shell must do:
 *  1. send `messages`: they may leave at once, before or during step 2;
 *  2. persist `hardState`, `entries` (and `snapshot`), fsynced when `mustSync`,
 *     after every earlier Ready's write (writes reach the disk in hand-out order);
 *  3. send `messagesAfterPersist`, only once step 2 (and so every earlier
 *     Ready's write) is durable, then call persisted(rd);
 *  4. apply `snapshot` (only once step 2 is durable) then `committedEntries`,
 *     then call applied(rd).
 * Committed entries may be applied as soon as the write of step 2 has been
 * issued, before it (or an earlier Ready's write) is durable: committed means
 * durable on a quorum, so this node's own copy is not what makes them safe
 * (etcd's server applies in parallel with its WAL save for the same reason).
 * What must wait for this node's own disk is anything that vouches for it:
 * `messagesAfterPersist` (append and vote acknowledgements) and a leader's
 * own match (persisted()). A shell may therefore take the next Ready while
 * this one's write is running; the core hands nothing out twice. A shell
 * that does one Ready at a time calls advance(rd) at the end. Which messages
 * wait is decided by the core alone (pkg/raft/raft.ts, send()); a shell
 * follows the two lists and never looks at message types.
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  readonly committedEntries: readonly Entry[];
  /** May be sent before this Ready is persisted (a leader's appends, heartbeats, requests). */
  readonly messages: readonly Message[];
  /** Vouch for this Ready's state (append and vote acknowledgements): sent only once it is durable. */
  readonly messagesAfterPersist: readonly Message[];
  readonly readStates: readonly ReadState[];
  readonly mustSync: boolean;
}

export interface Status {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly lead: NodeId;
  readonly role: Role;
  /** Leader only: each peer's match index. */
  readonly progress?: Readonly<Record<NodeId, { match: number; next: number; state: string }>>;
}
