// Configuration and public surface of the Raft core (RawNode). The shell
// (pkg/raft/node.ts) and the simulator (pkg/raft/testing) program against
// RaftCore only, so they can be written and tested independently of its internals.
import type { Rng } from '../util/rng.js';
import type { Storage } from './storage/storage.js';
import type { ConfChange, ConfState, Message, NodeId, Ready, Status } from './types.js';
import { JobctlError, Reason } from '../util/errors.js';

import type { Logger } from '../util/logger.js';

export type { Logger };
export { silentLogger } from '../util/logger.js';

export interface RaftConfig {
  readonly id: NodeId;
  /**
   * Initial voters, used only when storage holds no ConfState yet (a brand-new
   * cluster). Otherwise membership comes from storage.
   */
  readonly peers: readonly NodeId[];
  /**
   * Initial learners, with peers: the configuration a node joining a running
   * cluster was told when it was added (itself a learner). Default none.
   */
  readonly learners?: readonly NodeId[];
  readonly storage: Storage;
  /** Source of randomness for election timeouts (seeded in tests). */
  readonly rng: Rng;
  /** Ticks without hearing from a leader before campaigning; randomised in [e, 2e). Default 10. */
  readonly electionTick?: number;
  /** Ticks between leader heartbeats. Default 1. Must be < electionTick. */
  readonly heartbeatTick?: number;
  /** Run a PreVote round before a real election (default true). */
  readonly preVote?: boolean;
  /** A leader steps down if it has not heard from a quorum within an election timeout (default true). */
  readonly checkQuorum?: boolean;
  /** Max bytes of entry data per MsgApp (batching). Default 1 MiB. */
  readonly maxSizePerMsg?: number;
  /** Max MsgApp in flight to one follower before waiting for acks (pipelining). Default 256. */
  readonly maxInflightMsgs?: number;
  /**
   * Bound on proposals appended but not yet committed on the leader. When the
   * bound is reached, propose() throws TooManyRequestsError at once. Default 4096.
   */
  readonly maxUncommittedEntries?: number;
  /** Max bytes of snapshot data per MsgSnap chunk. Default 512 KiB. */
  readonly snapshotChunkSize?: number;
  /** Index already applied by the state machine when restarting (default: snapshot index). */
  readonly applied?: number;
  readonly logger?: Logger;
}

/** The proposal could not be accepted: no leader is known or one is being transferred. */
export class ProposalDroppedError extends JobctlError {
  constructor(message = 'raft proposal dropped: no leader') {
    super(Reason.Unavailable, message);
    this.name = 'ProposalDroppedError';
  }
}

/** The leader's bounded proposal queue is full. */
export class TooManyRequestsError extends JobctlError {
  constructor(message = 'too many uncommitted proposals; retry later') {
    super(Reason.TooManyRequests, message);
    this.name = 'TooManyRequestsError';
  }
}

/**
 * The deterministic Raft state machine. Single-threaded and synchronous: inputs
 * are tick(), step(), propose(), readIndex(), transferLeader(); outputs come out
 * of ready() and are acknowledged with advance(ready).
 */
export interface RaftCore {
  tick(): void;
  step(msg: Message): void;
  /**
   * Appends data to the log (on the leader) or forwards it (MsgProp, on a
   * follower). Throws ProposalDroppedError if no leader is known or a
   * transfer is in progress, TooManyRequestsError if the queue is full.
   */
  propose(data: Uint8Array): void;
  /**
   * Proposes several entries at once, in order: one append and one round of
   * MsgApp for all of them. Accepted or refused as a whole (same errors as propose).
   */
  proposeBatch(data: readonly Uint8Array[]): void;
  /** Proposes a membership change (one server at a time). */
  proposeConfChange(change: ConfChange): void;
  /**
   * Applies a committed ConfChange entry (the shell calls this when it applies
   * one) and returns the new membership, which the shell records with its next snapshot.
   */
  applyConfChange(change: ConfChange): ConfState;
  /** Requests a linearizable read point; answered by a ReadState with the same context. */
  readIndex(context: string): void;
  /** Asks the leader to hand leadership to `to` (via MsgTransferLeader if not leader). */
  transferLeader(to: NodeId): void;
  /** Starts an election now (tests, and nodes that know they should lead). */
  campaign(): void;
  /** Whether ready() has anything not yet handed out. */
  hasReady(): boolean;
  /** Hands out what is new since the last ready(); may be called while earlier Readies are outstanding. */
  ready(): Ready;
  /** rd's write is durable (its entries are this node's own from now on). In hand-out order. */
  persisted(rd: Ready): void;
  /** rd's snapshot and committed entries were applied. In hand-out order. */
  applied(rd: Ready): void;
  /** persisted(rd) then applied(rd): a shell that carries out one Ready at a time. */
  advance(rd: Ready): void;
  /** Tells the leader a message to `id` could not be delivered (slows its pipeline). */
  reportUnreachable(id: NodeId): void;
  status(): Status;
}
