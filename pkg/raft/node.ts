// The async shell around the synchronous Raft core (RaftCore). It is the only
// part of pkg/raft that does I/O: it turns clock ticks and incoming messages
// into core inputs and carries out each Ready in the order the core requires
// (the contract is spelled out on Ready, in types.ts):
//
//   send messages -> issue the write -> apply committed entries -> next Ready
//                         ... durable -> send messagesAfterPersist -> persisted(rd)
//
// The shell does not wait for a Ready's write before it takes the next one
// (etcd's asynchronous storage writes): writes are issued in order and the
// store makes them durable in that order, so each Ready's acknowledgements
// leave, in order, as its write becomes durable. Meanwhile the node keeps
// stepping: a commit index that moves while a write is running (the
// followers' acks reach the leader during its own fsync; the leader's new
// commit reaches a follower during its fsync of the entry) goes out to the
// followers, and the entry is applied and its caller answered, at once
// instead of after the write.
//
// Local proposals wait in a queue here and enter the core as one batch (one
// append, one MsgApp per follower) just before the next Ready is taken; the
// API's CommandBatcher keeps one entry in flight, so writes still travel in
// groups while one commits, and the WAL makes the saves that queue behind
// an fsync durable with the next one.
//
// Proposals are wrapped in an envelope (proposer node id, incarnation,
// sequence number) so that the proposing node can hand the StateMachine's
// result back to its caller when it applies the entry, wherever the entry was
// appended (a follower's proposal travels to the leader as MsgProp).
import type { Clock, Timer } from '../util/clock.js';
import { realClock } from '../util/clock.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
import type { Rng } from '../util/rng.js';
import { randomRng } from '../util/rng.js';
import type { Logger, RaftCore } from './config.js';
import { TooManyRequestsError, silentLogger } from './config.js';
import { noopRaftMetrics, type RaftMetricsSink } from './metrics.js';
import type { SnapshotCapture, StateMachine } from './state-machine.js';
import type { LogStore } from './storage/storage.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  Message,
  NodeId,
  Ready,
  Role,
  Snapshot,
  Status,
} from './types.js';
import { EntryType } from './types.js';

/** What the shell needs from a transport (pkg/transport's Transport satisfies it). */
export interface RaftNetwork {
  send(msgs: readonly Message[]): void;
  onMessage(handler: (msg: Message) => void): void;
  onUnreachable(handler: (peer: NodeId) => void): void;
}

export interface RaftNodeOptions {
  readonly id: NodeId;
  /** The core, constructed over `storage` (e.g. new RawNode({ id, peers, storage, rng })). */
  readonly core: RaftCore;
  readonly storage: LogStore;
  readonly stateMachine: StateMachine;
  readonly network: RaftNetwork;
  /** Membership used for snapshots until the first ConfChange or snapshot (the initial voters). */
  readonly initialConfState: ConfState;
  readonly clock?: Clock;
  /** Seeds the incarnation id that tells this run's proposals from an earlier run's. */
  readonly rng?: Rng;
  readonly logger?: Logger;
  /** Milliseconds per core tick. Default 50 (with electionTick 6: 300-600 ms election timeout). */
  readonly tickMs?: number;
  /** Default deadline of propose() and read(). Default 5000 ms. */
  readonly requestTimeoutMs?: number;
  /** Max proposals awaiting their result on this node; beyond it propose() fails at once. Default 4096. */
  readonly maxPendingProposals?: number;
  /** Take a state machine snapshot after this many applied entries (0 disables). Default 10000. */
  readonly snapshotEvery?: number;
  /**
   * Also take one once the entries applied since the last snapshot hold this
   * many bytes and more than snapshotLogRatio times that snapshot (0
   * disables). Default 64 MiB. The log since the last snapshot is replayed at
   * restart (DiskStorage holds only its newest entries in memory), and one
   * entry can carry hundreds of writes (group commit), so a bound in entries
   * alone let it grow to hundreds of MB. Each
   * node stretches that threshold by its own random 1-1.5 so nodes do not all
   * encode a snapshot at once.
   */
  readonly snapshotBytes?: number;
  /**
   * The log may hold this share of the last snapshot's size before the next
   * one (default 0.25). A snapshot's cost grows with the state, so the log
   * is allowed to grow with it, but not to the state's own size: at 100,000
   * finished Jobs (a 380 MB snapshot) a ratio of 1 let the log hold another
   * 380-570 MB of entry data in memory on every node, more than the objects
   * themselves. At 0.25 a node encodes 4 bytes of snapshot per byte of log,
   * in the background (snapshotInBackground).
   */
  readonly snapshotLogRatio?: number;
  /** Called once when the node stops because of a fatal error (storage failure, apply bug). */
  readonly onFatal?: (err: unknown) => void;
  /** Called after a committed ConfChange was applied (e.g. to update transport peers). */
  readonly onConfChange?: (change: ConfChange, state: ConfState) => void;
  /**
   * Called whenever the membership may have changed: at start, after a
   * ConfChange was applied and after a snapshot from the leader was
   * installed. `state.contexts` holds each member's address.
   */
  readonly onConfState?: (state: ConfState) => void;
  /** Monitoring: persist latency, proposal outcomes, snapshots. Default: none. */
  readonly metrics?: RaftMetricsSink;
}

export interface RequestOptions {
  /** Overrides the default deadline (ms). */
  readonly timeoutMs?: number;
}

/** This node's place in the cluster, as reported by onRoleChange. */
export interface RoleChange {
  readonly role: Role;
  readonly term: number;
  /** The known leader (0: none known). */
  readonly leader: NodeId;
}

interface Pending<T> {
  readonly resolve: (v: T) => void;
  readonly reject: (err: unknown) => void;
  readonly deadline: number;
}

interface PendingRead extends Pending<void> {
  /** Set once the read index is known; the read completes when applied >= index. */
  index?: number;
}

interface PendingTransfer extends Pending<void> {
  readonly to: NodeId;
}

interface PendingConfChange extends Pending<ConfState> {
  readonly change: ConfChange;
}

// Envelope: [0x01][u32 node id][u32 incarnation][f64 sequence] then the payload.
/**
 * A tick this late (ms) is logged as an event-loop stall: at the default
 * 50 ms ticks and electionTick 6, followers give up on a leader after
 * 300-600 ms without a heartbeat.
 */
const STALL_WARN_MS = 200;

const envelopeVersion = 0x01;
const envelopeHeader = 17;

export function encodeEnvelope(
  node: NodeId,
  incarnation: number,
  seq: number,
  payload: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(envelopeHeader + payload.length);
  const view = new DataView(out.buffer);
  out[0] = envelopeVersion;
  view.setUint32(1, node);
  view.setUint32(5, incarnation);
  view.setFloat64(9, seq);
  out.set(payload, envelopeHeader);
  return out;
}

export function decodeEnvelope(
  data: Uint8Array,
): { node: NodeId; incarnation: number; seq: number; payload: Uint8Array } | undefined {
  if (data.length < envelopeHeader || data[0] !== envelopeVersion) return undefined;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    node: view.getUint32(1),
    incarnation: view.getUint32(5),
    seq: view.getFloat64(9),
    payload: data.subarray(envelopeHeader),
  };
}

/** The member addresses a configuration carries, by node id. */
function contextsOf(cs: ConfState): Map<NodeId, string> {
  return new Map(Object.entries(cs.contexts ?? {}).map(([id, c]) => [Number(id), c]));
}

function timeoutError(what: string, ms: number): JobctlError {
  return new JobctlError(Reason.Timeout, `${what} not completed within ${ms} ms`);
}

export class RaftNode {
  readonly id: NodeId;
  private readonly core: RaftCore;
  private readonly storage: LogStore;
  private readonly sm: StateMachine;
  private readonly network: RaftNetwork;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxPending: number;
  private readonly snapshotEvery: number;
  private readonly incarnation: number;
  private readonly opts: RaftNodeOptions;
  private readonly metrics: RaftMetricsSink;

  private applied = 0;
  private snapshotIndex = 0;
  private readonly snapshotBytes: number;
  private readonly snapshotLogRatio: number;
  /** Bytes of entry data applied since the last snapshot was captured. */
  private appliedBytes = 0;
  /** Size of the last snapshot taken or installed. */
  private lastSnapshotBytes = 0;
  /**
   * The bytes rule's threshold is stretched by this factor, drawn anew in
   * [1, 1.5) after each snapshot: every node applies the same entries, so
   * without it all of them would encode their snapshot at the same index, at
   * the same moment, and on a machine with fewer cores than nodes starve
   * each other (and the leader's heartbeats) for the seconds it takes.
   */
  private snapshotSpread = 1;
  private readonly rng: Rng;
  private confState: ConfState;
  private lead: NodeId = 0;
  private role: Role = 'follower';
  private term = 0;

  private seq = 0;
  private readonly proposals = new Map<number, Pending<unknown>>();
  /** Envelopes proposed since the last flush into the core, and their sequence numbers. */
  private queued: Uint8Array[] = [];
  private queuedSeqs: number[] = [];
  /** Read index requests in flight, by context; each serves every read batched into it. */
  private readonly reads = new Map<string, PendingRead[]>();
  /** Reads issued since the last read index request left (flushed on the next turn). */
  private readBatch: PendingRead[] = [];
  /** Reads whose index is known, waiting for applied to catch up. */
  private readonly readWaiters: PendingRead[] = [];
  private readonly transfers = new Set<PendingTransfer>();
  private readonly confChanges = new Set<PendingConfChange>();
  /** Each member's address (its ConfChange context), kept with every snapshot. */
  private contexts = new Map<NodeId, string>();
  /** This node is no longer in the configuration: it refuses writes and reads. */
  private removed = false;
  private readonly leaderListeners = new Set<(lead: NodeId, term: number) => void>();
  private readonly roleListeners = new Set<(change: RoleChange) => void>();

  private tickTimer: Timer | undefined;
  private loopScheduled = false;
  private loopRunning: Promise<void> | undefined;
  private started = false;
  private stopped = false;
  /**
   * Settles once every write issued so far is durable and acknowledged
   * (persistInOrder); rejects once one of them failed.
   */
  private durable: Promise<void> = Promise.resolve();
  /** A snapshot being encoded in the background (captureSnapshot state machines). */
  private snapshotRun: Promise<void> | undefined;
  private fatal: unknown;

  constructor(opts: RaftNodeOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.core = opts.core;
    this.storage = opts.storage;
    this.sm = opts.stateMachine;
    this.network = opts.network;
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? silentLogger;
    this.tickMs = opts.tickMs ?? 50;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5000;
    this.maxPending = opts.maxPendingProposals ?? 4096;
    this.snapshotEvery = opts.snapshotEvery ?? 10_000;
    this.snapshotBytes = opts.snapshotBytes ?? 64 * 1024 * 1024;
    this.snapshotLogRatio = opts.snapshotLogRatio ?? 0.25;
    this.rng = opts.rng ?? randomRng();
    this.incarnation = this.rng.int(1, 0x7fffffff);
    this.snapshotSpread = 1 + this.rng.next() / 2;
    this.confState = opts.initialConfState;
    this.contexts = contextsOf(opts.initialConfState);
    this.metrics = opts.metrics ?? noopRaftMetrics;
  }

  /** Restores the state machine from the stored snapshot and starts ticking. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const snap = this.storage.snapshot();
    if (snap.metadata.index > 0) {
      this.sm.restore(snap.metadata.index, snap.data);
      this.applied = snap.metadata.index;
      this.snapshotIndex = snap.metadata.index;
      this.lastSnapshotBytes = snap.data.length;
      this.setConfState(snap.metadata.confState);
    }
    const stored = this.storage.initialState().confState;
    if (stored.voters.length > 0) this.setConfState(stored);
    this.opts.onConfState?.(this.confState);
    // A restarted node resumes at its stored term; role changes are reported from there.
    this.term = this.core.status().term;
    this.network.onMessage((msg) => this.step(msg));
    this.network.onUnreachable((peer) => {
      if (this.stopped) return;
      this.core.reportUnreachable(peer);
    });
    this.armTick();
    this.schedule();
  }

  // -------------------------------------------------------------------------
  // Inputs

  /** Feeds a message from a peer into the core. */
  step(msg: Message): void {
    if (this.stopped) return;
    try {
      this.core.step(msg);
    } catch (err) {
      // A message the core refuses (e.g. from an unknown peer) is not fatal.
      this.logger.warn('raft step failed', {
        type: msg.type,
        from: msg.from,
        error: errorMessage(err),
      });
      return;
    }
    this.schedule();
  }

  /**
   * Replicates `data` and resolves with the StateMachine's result for it once
   * this node has applied it. Rejects with TooManyRequests when too many
   * proposals are pending, Unavailable when there is no leader, Timeout after
   * the deadline (the entry may still commit later).
   */
  propose(data: Uint8Array, opts: RequestOptions = {}): Promise<unknown> {
    const result = this.proposeEnvelope(data, opts);
    result.then(
      () => this.metrics.proposalCommitted(),
      (err: unknown) =>
        this.metrics.proposalFailed(err instanceof JobctlError ? err.reason : 'Internal'),
    );
    return result;
  }

  private proposeEnvelope(data: Uint8Array, opts: RequestOptions): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stoppedError());
    if (this.removed) return Promise.reject(this.removedError());
    if (this.proposals.size >= this.maxPending) return Promise.reject(new TooManyRequestsError());
    const seq = ++this.seq;
    const timeout = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      this.proposals.set(seq, { resolve, reject, deadline: this.clock.monotonic() + timeout });
      this.queued.push(encodeEnvelope(this.id, this.incarnation, seq, data));
      this.queuedSeqs.push(seq);
      this.schedule();
    });
  }

  /**
   * Hands the queued proposals to the core as one batch. If the core refuses
   * it (no leader, too many uncommitted entries, a transfer in progress), each
   * of them fails with that error.
   */
  private flushProposals(): void {
    if (this.queued.length === 0) return;
    const batch = this.queued;
    const seqs = this.queuedSeqs;
    this.queued = [];
    this.queuedSeqs = [];
    try {
      this.core.proposeBatch(batch);
    } catch (err) {
      for (const seq of seqs) {
        const p = this.proposals.get(seq);
        if (!p) continue;
        this.proposals.delete(seq);
        p.reject(err);
      }
    }
  }

  /** Proposes a membership change; resolves when it has been appended (not applied). */
  proposeConfChange(change: ConfChange): void {
    if (this.stopped) throw this.stoppedError();
    this.flushProposals(); // keeps proposal order
    this.core.proposeConfChange(change);
    this.schedule();
  }

  /**
   * Proposes a membership change on the leader and resolves with the
   * configuration once this node has applied it. Rejects with Unavailable
   * (not the leader, or another change is still pending: one at a time) or
   * Timeout.
   */
  changeMembership(change: ConfChange, opts: RequestOptions = {}): Promise<ConfState> {
    if (this.stopped) return Promise.reject(this.stoppedError());
    if (this.role !== 'leader') {
      return Promise.reject(new JobctlError(Reason.Unavailable, 'not the leader'));
    }
    try {
      this.proposeConfChange(change);
    } catch (err) {
      return Promise.reject(err);
    }
    const timeout = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      this.confChanges.add({ change, resolve, reject, deadline: this.clock.monotonic() + timeout });
    });
  }

  /** The configuration as of the last applied entry or snapshot, with each member's address. */
  membership(): ConfState {
    return this.confState;
  }

  /** Whether this node was removed from the configuration. */
  isRemoved(): boolean {
    return this.removed;
  }

  /**
   * A member told us we were removed (the leader stops replicating to a
   * removed node, so it may never apply its own removal): stop campaigning
   * and refuse reads and writes, saying why once.
   */
  retire(why: string): void {
    if (this.stopped || this.removed) return;
    this.removed = true;
    this.tickTimer?.cancel();
    this.logger.warn('this node was removed from the cluster; it serves no reads or writes', {
      id: this.id,
      why,
    });
  }

  /**
   * Linearizable read barrier: resolves once this node has applied everything
   * committed before the call (ReadIndex), so a local read afterwards is current.
   */
  read(opts: RequestOptions = {}): Promise<void> {
    if (this.stopped) return Promise.reject(this.stoppedError());
    if (this.removed) return Promise.reject(this.removedError());
    const timeout = opts.timeoutMs ?? this.requestTimeoutMs;
    return new Promise((resolve, reject) => {
      // Reads issued in one event-loop turn share one ReadIndex round. The
      // request is made after all of them were issued, so its index covers
      // every write that completed before any of them.
      if (this.readBatch.length === 0) setImmediate(() => this.flushReads());
      this.readBatch.push({ resolve, reject, deadline: this.clock.monotonic() + timeout });
    });
  }

  private flushReads(): void {
    const batch = this.readBatch;
    this.readBatch = [];
    if (batch.length === 0) return;
    if (this.stopped) {
      for (const p of batch) p.reject(this.stoppedError());
      return;
    }
    const context = `${this.id}.${this.incarnation}.${++this.seq}`;
    try {
      this.core.readIndex(context);
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    this.reads.set(context, batch);
    this.schedule();
  }

  /**
   * A snapshot of the state machine that reflects every write committed
   * before the call (a ReadIndex barrier first), with the index and term of
   * the last entry it contains and the membership at that point: a backup.
   * Taken synchronously between two applies, so it is consistent.
   */
  async consistentSnapshot(opts: RequestOptions = {}): Promise<Snapshot> {
    await this.read(opts);
    if (this.stopped) throw this.stoppedError();
    const index = this.applied;
    return {
      metadata: { index, term: this.storage.term(index), confState: this.confState },
      data: this.sm.snapshot(),
    };
  }

  /** Hands leadership to `to`; resolves when `to` is the known leader. */
  transferLeader(to: NodeId, opts: RequestOptions = {}): Promise<void> {
    if (this.stopped) return Promise.reject(this.stoppedError());
    if (this.lead === to) return Promise.resolve();
    try {
      this.flushProposals(); // proposed before the transfer: appended before it
      this.core.transferLeader(to);
    } catch (err) {
      return Promise.reject(err);
    }
    const timeout = opts.timeoutMs ?? 3000;
    return new Promise((resolve, reject) => {
      this.transfers.add({ to, resolve, reject, deadline: this.clock.monotonic() + timeout });
      this.schedule();
    });
  }

  /** Starts an election now (tests; a node that knows it should lead). */
  campaign(): void {
    if (this.stopped) return;
    this.core.campaign();
    this.schedule();
  }

  // -------------------------------------------------------------------------
  // Observation

  status(): Status {
    const s = this.core.status();
    return { ...s, applied: this.applied };
  }

  leader(): NodeId {
    return this.lead;
  }

  isLeader(): boolean {
    return this.role === 'leader';
  }

  appliedIndex(): number {
    return this.applied;
  }

  isStopped(): boolean {
    return this.stopped;
  }

  /** Subscribes to leader changes; returns an unsubscribe function. */
  onLeaderChange(fn: (lead: NodeId, term: number) => void): () => void {
    this.leaderListeners.add(fn);
    return () => this.leaderListeners.delete(fn);
  }

  /**
   * Subscribes to changes of this node's role, term or known leader, reported
   * as the Ready loop learns them (a step-down and re-election of the same
   * node is two changes, each with its term). Returns an unsubscribe function.
   */
  onRoleChange(fn: (change: RoleChange) => void): () => void {
    this.roleListeners.add(fn);
    return () => this.roleListeners.delete(fn);
  }

  /** The role, term and leader as of the last Ready. */
  roleState(): RoleChange {
    return { role: this.role, term: this.term, leader: this.lead };
  }

  /** Resolves when a leader is known (rejects with Timeout after timeoutMs). */
  waitForLeader(timeoutMs = 10_000): Promise<NodeId> {
    if (this.lead !== 0) return Promise.resolve(this.lead);
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimer(timeoutMs, () => {
        off();
        reject(timeoutError('leader election', timeoutMs));
      });
      const off = this.onLeaderChange((lead) => {
        if (lead === 0) return;
        timer.cancel();
        off();
        resolve(lead);
      });
    });
  }

  // -------------------------------------------------------------------------
  // Shutdown

  /** Stops ticking, fails every pending request with Unavailable and waits for the Ready in flight. */
  async stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      this.tickTimer?.cancel();
      this.failAll(this.stoppedError());
    }
    await this.loopRunning;
    await this.durable.catch(() => {});
    await this.snapshotRun;
  }

  private removedError(): JobctlError {
    return new JobctlError(
      Reason.Unavailable,
      `node ${this.id} was removed from the cluster; it serves no reads or writes`,
    );
  }

  /** Takes a new configuration; notes (once, in one line) when it no longer includes this node. */
  private setConfState(cs: ConfState): void {
    // A configuration from storage or the leader's snapshot fills in members
    // this node knows no address for; the addresses it has win (it may dial
    // a peer through an address of its own, e.g. a proxy).
    for (const [id, c] of contextsOf(cs)) if (!this.contexts.has(id)) this.contexts.set(id, c);
    const members = new Set([...cs.voters, ...cs.learners]);
    for (const id of [...this.contexts.keys()]) if (!members.has(id)) this.contexts.delete(id);
    this.confState = {
      voters: cs.voters,
      learners: cs.learners,
      contexts: Object.fromEntries(this.contexts),
    };
    const removed = cs.voters.length > 0 && !members.has(this.id);
    if (removed && !this.removed) {
      this.logger.warn('this node was removed from the cluster; it serves no reads or writes', {
        id: this.id,
        voters: cs.voters,
        learners: cs.learners,
      });
    }
    this.removed = removed;
  }

  private stoppedError(): JobctlError {
    return new JobctlError(
      Reason.Unavailable,
      this.fatal ? `raft node stopped: ${errorMessage(this.fatal)}` : 'raft node is stopped',
    );
  }

  /** A storage failure or an apply bug: stop cleanly, once, with one log line. */
  private fail(err: unknown): void {
    if (this.fatal !== undefined) return;
    this.fatal = err;
    this.logger.warn('raft node stopped: fatal error', { error: errorMessage(err) });
    this.stopped = true;
    this.tickTimer?.cancel();
    this.failAll(this.stoppedError());
    this.opts.onFatal?.(err);
  }

  private failAll(err: JobctlError): void {
    for (const p of this.proposals.values()) p.reject(err);
    this.proposals.clear();
    this.queued = [];
    this.queuedSeqs = [];
    for (const batch of this.reads.values()) for (const p of batch) p.reject(err);
    this.reads.clear();
    for (const p of this.readBatch) p.reject(err);
    this.readBatch = [];
    for (const p of this.readWaiters) p.reject(err);
    this.readWaiters.length = 0;
    for (const t of this.transfers) t.reject(err);
    this.transfers.clear();
    for (const c of this.confChanges) c.reject(err);
    this.confChanges.clear();
  }

  // -------------------------------------------------------------------------
  // The loop

  private armTick(): void {
    const due = this.clock.monotonic() + this.tickMs;
    this.tickTimer = this.clock.setTimer(this.tickMs, () => {
      if (this.stopped) return;
      this.noteLateTick(this.clock.monotonic() - due);
      this.core.tick();
      this.expireDeadlines();
      // Most ticks of a node at rest change nothing (a follower counting
      // towards its election timeout; a leader between heartbeats): no loop
      // turn for them. The loop would find no Ready and no proposal either.
      if (this.queued.length > 0 || this.core.hasReady()) this.schedule();
      this.armTick();
    });
  }

  /**
   * A tick that fires long after it was due means something held the event
   * loop: heartbeats (leader) or election timers (follower) stalled with it,
   * and a stall near the election timeout costs the cluster its leader. Said
   * once per stall, with how long, so a log tells where leadership went.
   */
  private noteLateTick(lateMs: number): void {
    if (lateMs < STALL_WARN_MS) return;
    this.logger.warn('event loop stalled: raft tick late', {
      lateMs: Math.round(lateMs),
      role: this.role,
    });
  }

  private expireDeadlines(): void {
    const now = this.clock.monotonic();
    for (const [seq, p] of this.proposals) {
      if (p.deadline <= now) {
        this.proposals.delete(seq);
        p.reject(new JobctlError(Reason.Timeout, 'proposal not committed before its deadline'));
      }
    }
    for (const [ctx, batch] of this.reads) {
      const live = batch.filter((p) => {
        if (p.deadline > now) return true;
        p.reject(new JobctlError(Reason.Timeout, 'read index not confirmed before its deadline'));
        return false;
      });
      if (live.length === 0) this.reads.delete(ctx);
      else if (live.length !== batch.length) this.reads.set(ctx, live);
    }
    for (let i = this.readWaiters.length - 1; i >= 0; i--) {
      const p = this.readWaiters[i] as PendingRead;
      if (p.deadline <= now) {
        this.readWaiters.splice(i, 1);
        p.reject(new JobctlError(Reason.Timeout, 'read index not applied before its deadline'));
      }
    }
    for (const t of this.transfers) {
      if (t.deadline <= now) {
        this.transfers.delete(t);
        t.reject(new JobctlError(Reason.Timeout, `leadership not transferred to ${t.to} in time`));
      }
    }
    for (const c of this.confChanges) {
      if (c.deadline <= now) {
        this.confChanges.delete(c);
        c.reject(new JobctlError(Reason.Timeout, 'membership change not applied in time'));
      }
    }
  }

  /** Runs the Ready loop soon (after the current I/O callbacks, so inputs batch up). */
  private schedule(): void {
    if (this.loopScheduled || this.loopRunning || this.stopped) return;
    this.loopScheduled = true;
    setImmediate(() => {
      this.loopScheduled = false;
      if (this.loopRunning || this.stopped) return;
      this.loopRunning = this.runLoop().finally(() => {
        this.loopRunning = undefined;
        // Inputs that arrived during the last await may have produced a new Ready.
        if (!this.stopped && (this.queued.length > 0 || this.core.hasReady())) this.schedule();
      });
    });
  }

  private async runLoop(): Promise<void> {
    try {
      while (!this.stopped) {
        this.flushProposals();
        if (!this.core.hasReady()) break;
        await this.handleReady(this.core.ready());
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private async handleReady(rd: Ready): Promise<void> {
    if (rd.softState || (rd.hardState && rd.hardState.term !== this.term)) {
      this.noteRole(
        rd.softState?.lead ?? this.lead,
        rd.softState?.role ?? this.role,
        rd.hardState?.term ?? this.term,
      );
    }

    // 1. The messages that claim nothing durable leave first, overlapping the
    // write (Raft thesis §10.2.1): a leader's appends, heartbeats, requests.
    if (rd.messages.length > 0) this.network.send(rd.messages);

    // 2. Issue the write, and chain what waits for it: the messages that
    // vouch for it, and telling the core it is durable (a leader's own
    // append then counts toward commitment).
    this.persistInOrder(rd);
    // A snapshot from the leader replaces the state: it is restored once
    // durable (rare; kept simple).
    if (rd.snapshot) {
      await this.durable;
      if (this.stopped) return;
      this.restoreSnapshot(rd.snapshot);
    }

    // 3. Apply what is committed (durable on a quorum), without waiting for
    // this node's own write of it. A membership change (rare) waits for
    // every write issued so far: the core's configuration then never runs
    // ahead of this node's disk.
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.ConfChange) {
        await this.durable;
        if (this.stopped) return;
      }
      this.applyEntry(e);
    }
    for (const rs of rd.readStates) {
      const batch = this.reads.get(rs.context);
      if (!batch) continue;
      this.reads.delete(rs.context);
      for (const p of batch) {
        p.index = rs.index;
        this.readWaiters.push(p);
      }
    }
    this.releaseReads();
    this.core.applied(rd);

    if (!this.snapshotRun && this.snapshotDue()) {
      // A snapshot is taken at the applied index, which the log on disk must
      // reach first (the store compacts the log up to it).
      await this.durable;
      if (this.stopped) return;
      if (this.sm.captureSnapshot) this.snapshotInBackground();
      else await this.takeSnapshot();
    }
  }

  /**
   * Issues rd's write after every earlier one and chains, in hand-out order,
   * what waits for it to be durable. When the core says no sync is needed
   * (only the commit index moved), the write is issued without an fsync of
   * its own: the store applies saves in call order, and the next synced save
   * (or close) makes it durable. Its fsync would otherwise hold up the next
   * round's append, queued behind it in the WAL, on every write of a lone
   * client. A failed write is fatal: nothing that depends on it was sent.
   */
  private persistInOrder(rd: Ready): void {
    const writing =
      rd.hardState !== undefined || rd.entries.length > 0 || rd.snapshot !== undefined;
    let saved: Promise<void> | undefined;
    if (writing) {
      const started = this.clock.monotonic();
      const appended = rd.entries.length;
      saved = this.storage.save(
        { hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot },
        { sync: rd.mustSync || rd.snapshot !== undefined },
      );
      saved.then(
        () => this.metrics.persisted((this.clock.monotonic() - started) / 1000, appended),
        () => {},
      );
    }
    const earlier = this.durable;
    this.durable = (async () => {
      await earlier;
      if (saved) await saved;
      if (this.stopped) return;
      if (rd.messagesAfterPersist.length > 0) this.network.send(rd.messagesAfterPersist);
      this.core.persisted(rd);
      this.schedule();
    })();
    this.durable.catch((err: unknown) => this.fail(err));
  }

  private restoreSnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.applied) return;
    this.sm.restore(snap.metadata.index, snap.data);
    this.applied = snap.metadata.index;
    this.snapshotIndex = snap.metadata.index;
    this.lastSnapshotBytes = snap.data.length;
    this.appliedBytes = 0;
    this.setConfState(snap.metadata.confState);
    this.logger.info('restored snapshot', { index: this.applied });
    this.opts.onConfState?.(this.confState);
  }

  /** Whether the log since the last snapshot is long enough, in entries or in bytes, for another. */
  private snapshotDue(): boolean {
    if (this.snapshotEvery > 0 && this.applied - this.snapshotIndex >= this.snapshotEvery) {
      return true;
    }
    return (
      this.snapshotBytes > 0 &&
      this.appliedBytes >=
        Math.max(this.snapshotBytes, this.lastSnapshotBytes * this.snapshotLogRatio) *
          this.snapshotSpread
    );
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    this.appliedBytes += e.data.length;
    if (e.type === EntryType.ConfChange) {
      const change = JSON.parse(new TextDecoder().decode(e.data)) as ConfChange;
      if (change.type === 'removeNode') this.contexts.delete(change.nodeId);
      else if (change.context) this.contexts.set(change.nodeId, change.context);
      this.setConfState({ ...this.core.applyConfChange(change) });
      this.logger.info('membership changed', {
        change: change.type,
        node: change.nodeId,
        index: e.index,
      });
      this.opts.onConfChange?.(change, this.confState);
      this.opts.onConfState?.(this.confState);
      for (const c of this.confChanges) {
        if (c.change.type === change.type && c.change.nodeId === change.nodeId) {
          this.confChanges.delete(c);
          c.resolve(this.confState);
        }
      }
    } else if (e.data.length > 0) {
      const env = decodeEnvelope(e.data);
      const result = this.sm.apply(e.index, env ? env.payload : e.data);
      if (env && env.node === this.id && env.incarnation === this.incarnation) {
        const p = this.proposals.get(env.seq);
        if (p) {
          this.proposals.delete(env.seq);
          p.resolve(result);
        }
      }
    }
    this.applied = e.index;
  }

  private releaseReads(): void {
    if (this.readWaiters.length === 0) return;
    let kept = 0;
    for (const p of this.readWaiters) {
      if ((p.index ?? Infinity) <= this.applied) p.resolve();
      else this.readWaiters[kept++] = p;
    }
    this.readWaiters.length = kept;
  }

  private noteRole(lead: NodeId, role: Role, term: number): void {
    const leaderChanged = lead !== this.lead;
    const changed = leaderChanged || role !== this.role || term !== this.term;
    this.lead = lead;
    this.role = role;
    this.term = term;
    if (changed) for (const fn of this.roleListeners) fn({ role, term, leader: lead });
    if (!leaderChanged) return;
    if (lead !== 0) this.logger.info('leader elected', { leader: lead, term });
    else this.logger.info('leader lost', { term });
    for (const t of this.transfers) {
      if (t.to === lead) {
        this.transfers.delete(t);
        t.resolve();
      }
    }
    for (const fn of this.leaderListeners) fn(lead, term);
  }

  /**
   * Captures the state machine now (cheap) and encodes it piece by piece,
   * yielding to the event loop between pieces, so ticks, heartbeats and
   * proposals keep flowing while a large store is written out. The Ready loop
   * does not wait for it; entries applied meanwhile are simply not in it.
   */
  private snapshotInBackground(): void {
    const index = this.applied;
    const confState = this.confState;
    const capture = (this.sm.captureSnapshot as () => SnapshotCapture)();
    // Entries applied from now on are not in this snapshot: they count for the next.
    this.appliedBytes = 0;
    this.snapshotSpread = 1 + this.rng.next() / 2;
    const started = this.clock.monotonic();
    this.snapshotRun = (async () => {
      let bytes: number;
      if (this.storage.createSnapshotFrom) {
        // Each piece goes to the file as it is encoded: never the whole snapshot in memory.
        bytes = await this.storage.createSnapshotFrom(index, confState, this.paced(capture));
        if (bytes === 0) return; // overtaken by a newer snapshot: nothing written
      } else {
        const parts: Uint8Array[] = [];
        bytes = 0;
        for await (const piece of this.paced(capture)) {
          parts.push(piece);
          bytes += piece.length;
        }
        const data = new Uint8Array(bytes);
        let at = 0;
        for (const p of parts) {
          data.set(p, at);
          at += p.length;
        }
        parts.length = 0; // not kept alongside their copy while the file is written
        await this.storage.createSnapshot(index, confState, data);
      }
      this.snapshotIndex = Math.max(this.snapshotIndex, index);
      this.lastSnapshotBytes = bytes;
      this.metrics.snapshotTaken(bytes);
      this.logger.info('snapshot taken', {
        index,
        bytes,
        ms: Math.round(this.clock.monotonic() - started),
      });
    })()
      .catch((err: unknown) => {
        // Stopping ends the encoding with a throw (see paced): not a failure.
        if (!this.stopped) this.fail(err);
      })
      .finally(() => {
        this.snapshotRun = undefined;
      });
  }

  /**
   * The capture's pieces, one per event-loop turn. If the node stops
   * meanwhile it throws instead of ending, so that a storage writing the
   * pieces out cannot take a cut-off snapshot for a whole one.
   */
  private async *paced(capture: SnapshotCapture): AsyncGenerator<Uint8Array> {
    for (const piece of capture.pieces()) {
      yield piece;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.stopped) throw new Error('node stopped while a snapshot was being encoded');
    }
  }

  private async takeSnapshot(): Promise<void> {
    const index = this.applied;
    const data = this.sm.snapshot();
    this.appliedBytes = 0;
    this.snapshotSpread = 1 + this.rng.next() / 2;
    await this.storage.createSnapshot(index, this.confState, data);
    this.snapshotIndex = index;
    this.lastSnapshotBytes = data.length;
    this.metrics.snapshotTaken(data.length);
    this.logger.info('snapshot taken', { index, bytes: data.length });
  }
}
