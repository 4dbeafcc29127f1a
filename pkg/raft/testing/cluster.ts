// A cluster of RawNodes driven step by step, each behind a deterministic shell
// (tick, step, Ready: persist -> fsync -> send -> apply -> advance) on a
// simulated disk and network. Every random choice comes from one seed, and the
// invariant checker runs at every Ready and after every step. Scenario tests
// drive a Cluster by hand; runSimulation (simulate.ts) drives it randomly.
import type { RaftConfig, RaftCore } from '../config.js';
import type { ConfChange, ConfState, Message, NodeId, Status } from '../types.js';
import { Role } from '../types.js';
import type { Rng } from '../../util/rng.js';
import { SeededRng } from '../../util/rng.js';
import { JobctlError } from '../../util/errors.js';
import { InvariantChecker, InvariantViolation } from './checker.js';
import { describeMessage } from './describe.js';
import type { NetworkOptions } from './network.js';
import { SimNetwork, reliableNetwork } from './network.js';
import type { AppliedEntry } from './recorder.js';
import { RecordingStateMachine, dataBytes } from './recorder.js';
import { SimStorage } from './sim-storage.js';
import type { ClusterStats, SimApplication, SimNode } from './shell.js';
import { CrashPoint, Shell, crashPoints } from './shell.js';
import { Trace } from './trace.js';

export type CoreFactory = (config: RaftConfig) => RaftCore;
export { CrashPoint, crashPoints };
export type { ClusterStats, SimApplication };

export interface ClusterOptions {
  readonly seed: number;
  /** Number of voters, ids 1..nodes. */
  readonly nodes: number;
  /**
   * Extra nodes (ids nodes+1..nodes+spares) that run but are not members: they
   * start with no peers and join when a ConfChange adds them.
   */
  readonly spares?: number;
  readonly core: CoreFactory;
  readonly electionTick?: number;
  readonly heartbeatTick?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  readonly maxSizePerMsg?: number;
  readonly maxInflightMsgs?: number;
  readonly maxUncommittedEntries?: number;
  readonly snapshotChunkSize?: number;
  /** Snapshot + compact once this many entries were applied since the last one (0: never). */
  readonly snapshotEvery?: number;
  readonly network?: Partial<NetworkOptions>;
  /** On a crash, a random prefix of the unfsynced writes survives. */
  readonly tornWrites?: boolean;
  /** Probability that a node misses a tick in a step (clock drift). */
  readonly tickSkipRate?: number;
  /** Probability that the shell handles a Ready only at the end of the step, batching inputs. */
  readonly readyDeferRate?: number;
  /**
   * Shell like pkg/raft/node.ts: the fsync takes 0..syncDelay steps, during
   * which the node keeps stepping messages, ticking and taking further
   * Readies (between ready() and persisted()); a leader sends its appends and
   * heartbeats before its own fsync, and committed entries are applied as
   * soon as the write is issued, before it is durable.
   */
  readonly pipelined?: boolean;
  readonly syncDelay?: number;
  /** Record every delivered message in the trace (default true). */
  readonly traceMessages?: boolean;
  readonly traceCapacity?: number;
  readonly keepFullTrace?: boolean;
  /** Printed with a violation: how to reproduce this run. */
  readonly replayHint?: string;
  /**
   * An application run beside each node's recording state machine (e.g. the
   * real store over entries that carry its commands), told every entry a node
   * applies and every time a node's state restarts from a snapshot; it checks
   * its own invariants and throws to fail the run.
   */
  readonly application?: SimApplication;
}

export class Cluster {
  readonly seed: number;
  readonly ids: readonly NodeId[];
  readonly network: SimNetwork;
  readonly trace: Trace;
  readonly checker: InvariantChecker;
  readonly stats: ClusterStats = {
    steps: 0,
    sent: 0,
    delivered: 0,
    dropped: 0,
    readies: 0,
    proposals: 0,
    proposalsDropped: 0,
    reads: 0,
    readsAnswered: 0,
    transfers: 0,
    crashes: 0,
    restarts: 0,
    tornWritesSurvived: 0,
    appliedAheadOfDisk: 0,
    crashedAheadOfDisk: 0,
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    maxTerm: 0,
  };
  /** The current step; messages sent now are delivered at a later step. */
  now = 0;
  /** How to reproduce this run; printed with every violation. */
  replayHint: string;

  private readonly opts: ClusterOptions;
  private readonly nodes = new Map<NodeId, SimNode>();
  /** Shell decisions (tick skips, Ready deferral, crash points). */
  private readonly shellRng: Rng;
  /** Forks one Rng per core incarnation, so a restart does not shift other streams. */
  private readonly coreRngs: Rng;
  private readonly diskRng: Rng;
  private readCounter = 0;
  private readonly initialVoters: readonly NodeId[];
  /** Nodes cut off by isolate(), so reconnect() does not link them back. */
  private readonly isolated = new Set<NodeId>();
  private readonly traceMessages: boolean;
  private readonly shell: Shell;

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.seed = opts.seed;
    this.replayHint = opts.replayHint ?? `replay(${opts.seed}, options)`;
    const root = new SeededRng(opts.seed);
    this.shellRng = root.fork();
    this.coreRngs = root.fork();
    this.diskRng = root.fork();
    this.network = new SimNetwork(root.fork(), { ...reliableNetwork, ...opts.network });
    this.trace = new Trace(opts.traceCapacity ?? 60, opts.keepFullTrace ?? false);
    this.traceMessages = opts.traceMessages ?? true;
    this.checker = new InvariantChecker(() => ({
      seed: this.seed,
      step: this.now,
      traceTail: this.trace.tail(),
      replayHint: this.replayHint,
    }));
    this.shell = new Shell({
      checker: this.checker,
      stats: this.stats,
      rng: this.shellRng,
      opts,
      now: () => this.now,
      record: (text) => this.record(text),
      send: (msg) => this.network.send(msg, this.now),
      crash: (node, where) => this.crashNow(node, where),
      guard: (id, what, fn) => this.guard(id, what, fn),
    });
    const ids: NodeId[] = [];
    for (let i = 1; i <= opts.nodes + (opts.spares ?? 0); i++) ids.push(i);
    this.ids = ids;
    this.initialVoters = ids.slice(0, opts.nodes);
    for (const id of ids) {
      const node: SimNode = {
        id,
        storage: new SimStorage(),
        core: undefined,
        sm: new RecordingStateMachine(),
        armedCrash: undefined,
        inflight: [],
        role: Role.Follower,
        confState: { voters: this.peersOf(id), learners: [] },
      };
      this.nodes.set(id, node);
      node.core = this.newCore(node);
    }
    this.record(`start nodes=${opts.nodes} seed=${opts.seed}`);
  }

  // ---- plumbing -------------------------------------------------------------

  record(text: string): void {
    this.trace.record(this.now, text);
  }

  private get(id: NodeId): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new RangeError(`no node ${id}`);
    return n;
  }

  /**
   * Every node starts from the bootstrap membership (the initial voters). The
   * core keeps that membership out of the log, so a spare that joins later and
   * replays the log from index 1 must start from it too; started with no peers
   * it would apply "add me" to an empty membership and lead a cluster of one.
   * A spare is not in the initial voters, so it cannot campaign until added.
   */
  private peersOf(_id: NodeId): NodeId[] {
    return [...this.initialVoters];
  }

  private newCore(node: SimNode): RaftCore {
    const o = this.opts;
    const cfg: RaftConfig = {
      id: node.id,
      peers: this.peersOf(node.id),
      storage: node.storage,
      rng: this.coreRngs.fork(),
      applied: node.storage.snapshot().metadata.index,
      ...(o.electionTick !== undefined && { electionTick: o.electionTick }),
      ...(o.heartbeatTick !== undefined && { heartbeatTick: o.heartbeatTick }),
      ...(o.preVote !== undefined && { preVote: o.preVote }),
      ...(o.checkQuorum !== undefined && { checkQuorum: o.checkQuorum }),
      ...(o.maxSizePerMsg !== undefined && { maxSizePerMsg: o.maxSizePerMsg }),
      ...(o.maxInflightMsgs !== undefined && { maxInflightMsgs: o.maxInflightMsgs }),
      ...(o.maxUncommittedEntries !== undefined && {
        maxUncommittedEntries: o.maxUncommittedEntries,
      }),
      ...(o.snapshotChunkSize !== undefined && { snapshotChunkSize: o.snapshotChunkSize }),
    };
    return this.guard(node.id, 'new RawNode', () => o.core(cfg));
  }

  /** Runs a core call; anything it throws (other than expected rejections) is a bug. */
  private guard<T>(id: NodeId, what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof InvariantViolation) throw err;
      const detail = err instanceof Error ? (err.stack ?? err.message) : String(err);
      return this.checker.fail('core threw', `node ${id} ${what}: ${detail}`);
    }
  }

  // ---- inspection -----------------------------------------------------------

  isUp(id: NodeId): boolean {
    return this.get(id).core !== undefined;
  }

  upIds(): NodeId[] {
    return this.ids.filter((id) => this.isUp(id));
  }

  status(id: NodeId): Status | undefined {
    const core = this.get(id).core;
    return core === undefined ? undefined : this.guard(id, 'status', () => core.status());
  }

  storage(id: NodeId): SimStorage {
    return this.get(id).storage;
  }

  /** Entries node `id` applied since its last snapshot restore. */
  applied(id: NodeId): readonly AppliedEntry[] {
    return this.get(id).sm.applied;
  }

  /** Node `id`'s state machine: applied index and hash chain (equal on converged nodes). */
  appliedState(id: NodeId): { index: number; hash: number } {
    const sm = this.get(id).sm;
    return { index: sm.appliedIndex, hash: sm.hash };
  }

  /** The up node that believes it leads in the highest term, if any. */
  leader(): NodeId | undefined {
    let best: NodeId | undefined;
    let bestTerm = -1;
    for (const id of this.ids) {
      const st = this.status(id);
      if (st !== undefined && st.role === Role.Leader && st.term > bestTerm) {
        best = id;
        bestTerm = st.term;
      }
    }
    return best;
  }

  /** Leaders among up nodes, by term. */
  leadersByTerm(): Map<number, NodeId[]> {
    const out = new Map<number, NodeId[]>();
    for (const id of this.ids) {
      const st = this.status(id);
      if (st?.role === Role.Leader) out.set(st.term, [...(out.get(st.term) ?? []), id]);
    }
    return out;
  }

  /** How many nodes applied `data` (directly or through a snapshot), and its index. */
  appliedCount(data: string): { count: number; index: number } {
    const index = this.checker.indexOfData(data);
    if (index === undefined) return { count: 0, index: 0 };
    const count = this.ids.filter((id) => this.get(id).sm.appliedIndex >= index).length;
    return { count, index };
  }

  /** True if every node (of `among`) has applied the same entries (same index and hash). */
  converged(among: readonly NodeId[] = this.ids): boolean {
    const first = this.appliedState(among[0] as NodeId);
    return among.every((id) => {
      const s = this.appliedState(id);
      return s.index === first.index && s.hash === first.hash;
    });
  }

  // ---- client operations -----------------------------------------------------

  /** Proposes `data` on node `id`. False if the node is down or refused it. */
  propose(id: NodeId, data: string): boolean {
    const node = this.get(id);
    const core = node.core;
    if (core === undefined) return false;
    this.stats.proposals++;
    try {
      core.propose(dataBytes(data));
    } catch (err) {
      if (err instanceof JobctlError) {
        this.stats.proposalsDropped++;
        this.record(`n${id} propose ${data} refused: ${err.name}`);
        return false;
      }
      return this.guard(id, 'propose', () => {
        throw err;
      });
    }
    this.record(`n${id} propose ${data}`);
    this.afterInput(node);
    return true;
  }

  /** Proposes a membership change on node `id`. False if down or refused. */
  proposeConfChange(id: NodeId, cc: ConfChange): boolean {
    const node = this.get(id);
    const core = node.core;
    if (core === undefined) return false;
    try {
      core.proposeConfChange(cc);
    } catch (err) {
      if (err instanceof JobctlError) {
        this.record(`n${id} proposeConfChange ${cc.type} ${cc.nodeId} refused: ${err.name}`);
        return false;
      }
      return this.guard(id, 'proposeConfChange', () => {
        throw err;
      });
    }
    this.record(`n${id} proposeConfChange ${cc.type} ${cc.nodeId}`);
    this.afterInput(node);
    return true;
  }

  /** Node `id`'s view of the membership (as of its last applied entry). */
  confState(id: NodeId): ConfState {
    return this.get(id).confState;
  }

  /** Issues a linearizable read on `id`; returns its context, or undefined if refused. */
  readIndex(id: NodeId): string | undefined {
    const node = this.get(id);
    const core = node.core;
    if (core === undefined) return undefined;
    const ctx = `r${++this.readCounter}`;
    this.checker.onReadIssued(id, ctx);
    this.stats.reads++;
    try {
      core.readIndex(ctx);
    } catch (err) {
      if (err instanceof JobctlError) return undefined;
      return this.guard(id, 'readIndex', () => {
        throw err;
      });
    }
    this.record(`n${id} readIndex ${ctx} (floor ${this.checker.maxCommitted})`);
    this.afterInput(node);
    return ctx;
  }

  transferLeader(id: NodeId, to: NodeId): void {
    const node = this.get(id);
    const core = node.core;
    if (core === undefined) return;
    this.stats.transfers++;
    this.record(`n${id} transferLeader to ${to}`);
    try {
      core.transferLeader(to);
    } catch (err) {
      if (!(err instanceof JobctlError)) {
        this.guard(id, 'transferLeader', () => {
          throw err;
        });
      }
    }
    this.afterInput(node);
  }

  campaign(id: NodeId): void {
    const node = this.get(id);
    const core = node.core;
    if (core === undefined) return;
    this.record(`n${id} campaign`);
    this.guard(id, 'campaign', () => core.campaign());
    this.afterInput(node);
  }

  // ---- faults ------------------------------------------------------------------

  /** Crashes `id` now (idle) or arms a crash at a point of its next Ready. */
  crash(id: NodeId, point: CrashPoint = CrashPoint.Idle): void {
    const node = this.get(id);
    if (node.core === undefined) return;
    if (point === CrashPoint.Idle) this.crashNow(node, 'idle');
    else {
      node.armedCrash = point;
      this.record(`n${id} crash armed at ${point}`);
    }
  }

  private crashNow(node: SimNode, where: string): void {
    const torn = this.opts.tornWrites ? this.diskRng : undefined;
    const pending = node.storage.hasUnsynced();
    const survived = node.storage.crash(torn);
    this.stats.tornWritesSurvived += survived;
    node.core = undefined;
    node.armedCrash = undefined;
    node.inflight = [];
    node.role = Role.Follower;
    this.stats.crashes++;
    this.record(
      `n${node.id} CRASH at ${where}${pending ? ` (unsynced writes lost, ${survived} survived)` : ''}`,
    );
  }

  /** Restarts a crashed node from its durable state. */
  restart(id: NodeId): void {
    const node = this.get(id);
    if (node.core !== undefined) return;
    const durable = node.storage.durableHardState();
    const snap = node.storage.snapshot();
    node.sm = new RecordingStateMachine();
    const img = snap.metadata.index > 0 ? node.sm.restore(snap) : undefined;
    this.opts.application?.reset(id, snap.metadata.index);
    node.confState =
      snap.metadata.confState.voters.length > 0
        ? snap.metadata.confState
        : { voters: this.peersOf(id), learners: [] };
    node.core = this.newCore(node);
    this.stats.restarts++;
    const commit = this.status(id)?.commit ?? 0;
    this.record(
      `n${id} RESTART hs=t${durable.term}/v${durable.vote}/c${durable.commit} snap=${snap.metadata.index} last=${node.storage.lastIndex()}`,
    );
    this.checker.onRestart(id, durable.commit, commit);
    if (img !== undefined) this.checker.onSnapshotRestore(id, snap, img, durable.term, true);
    this.checker.onCommit(id, durable.commit, durable.term, node.storage);
  }

  /** Cancels crashes armed for a future Ready (the liveness phase wants none). */
  disarmCrashes(): void {
    for (const n of this.nodes.values()) n.armedCrash = undefined;
  }

  /** Cuts `id` off from every node (MIT's disconnect). */
  isolate(id: NodeId): void {
    this.isolated.add(id);
    this.network.isolate(id, this.ids);
    this.record(`net isolate ${id}: ${this.network.describe()}`);
  }

  /** Nodes currently cut off by isolate(). */
  isolatedIds(): NodeId[] {
    return this.ids.filter((id) => this.isolated.has(id));
  }

  /** Links `id` to every node that is not itself isolated (MIT's connect). */
  reconnect(id: NodeId): void {
    this.isolated.delete(id);
    for (const o of this.ids) if (o !== id && !this.isolated.has(o)) this.network.link(id, o);
    this.record(`net reconnect ${id}: ${this.network.describe()}`);
  }

  partition(groups: readonly (readonly NodeId[])[]): void {
    this.isolated.clear();
    this.network.partition(groups);
    this.record(`net partition ${groups.map((g) => g.join(',')).join(' | ')}`);
  }

  heal(): void {
    this.isolated.clear();
    this.network.heal();
    this.record('net heal');
  }

  setNetwork(options: Partial<NetworkOptions>): void {
    this.network.options = { ...this.network.options, ...options };
    const o = this.network.options;
    this.record(
      `net options drop=${o.dropRate} dup=${o.dupRate} delay=${o.minDelay}..${o.maxDelay} long=${o.longDelayRate}/${o.longDelay}`,
    );
  }

  // ---- the step loop ---------------------------------------------------------

  /** One step: every up node ticks, due messages are delivered, Readies handled, invariants checked. */
  step(): void {
    this.now++;
    this.stats.steps++;
    for (const id of this.ids) {
      const node = this.get(id);
      const due = node.inflight[0];
      if (due !== undefined && due.syncAt <= this.now && node.core) {
        this.record(`n${id} fsync done`);
        this.shell.completeDue(node, node.core);
        this.afterInput(node);
      }
    }
    const skip = this.opts.tickSkipRate ?? 0;
    for (const id of this.ids) {
      const node = this.get(id);
      const core = node.core;
      if (core === undefined) continue;
      if (skip > 0 && this.shellRng.chance(skip)) continue;
      this.guard(id, 'tick', () => core.tick());
      this.afterInput(node);
    }
    for (const msg of this.network.take(this.now)) this.deliver(msg);
    for (const id of this.ids) this.drainReady(this.get(id));
    this.checkStep();
  }

  /** Runs `n` steps. */
  run(n: number): void {
    for (let i = 0; i < n; i++) this.step();
  }

  /** Steps until `pred` holds (checked before each step); throws after `max` steps. */
  runUntil(pred: () => boolean, max: number, what: string): number {
    for (let i = 0; i <= max; i++) {
      if (pred()) return i;
      if (i < max) this.step();
    }
    return this.checker.fail('liveness', `${what}: not reached within ${max} steps`);
  }

  private deliver(msg: Message): void {
    const node = this.nodes.get(msg.to);
    const core = node?.core;
    if (node === undefined || core === undefined || !this.network.connected(msg.from, msg.to)) {
      this.stats.dropped++;
      this.network.reportFate(msg, 'blocked');
      // A real transport notices a dead peer (a failed connect) and tells the
      // sender, which slows its pipeline to that peer; sometimes it does not.
      const sender = this.nodes.get(msg.from)?.core;
      if (sender !== undefined && this.shellRng.chance(0.3)) {
        this.guard(msg.from, 'reportUnreachable', () => sender.reportUnreachable(msg.to));
      }
      return;
    }
    this.stats.delivered++;
    if (this.traceMessages) this.record(`deliver ${describeMessage(msg)}`);
    this.network.reportFate(msg, 'delivered');
    this.guard(node.id, `step(${msg.type})`, () => core.step(msg));
    this.afterInput(node);
  }

  /**
   * Checks a leader's commit index against its voters' disks. Called right
   * after anything that can move it (a message, a Ready), so the membership
   * it counted with is still the one as of its last applied entry.
   */
  private checkLeaderCommit(node: SimNode): void {
    const core = node.core;
    if (core === undefined) return;
    const st = this.guard(node.id, 'status', () => core.status());
    if (st.role !== Role.Leader) return this.checker.onFollowerCommit(node.id, st.commit);
    if (st.commit <= node.storage.snapshot().metadata.index) return; // compacted: durable
    const term = node.storage.entryAt(st.commit)?.term;
    if (term === undefined) {
      this.checker.fail(
        'commit is durable on a quorum',
        `leader ${node.id} committed ${st.commit} before even writing it`,
      );
    }
    this.checker.onLeaderCommit(node.id, st.commit, term, node.confState.voters, (v) =>
      this.storage(v),
    );
  }

  private afterInput(node: SimNode): void {
    this.checkLeaderCommit(node);
    const defer = this.opts.readyDeferRate ?? 0;
    if (defer > 0 && this.shellRng.chance(defer)) return;
    this.drainReady(node);
  }

  private drainReady(node: SimNode): void {
    for (let guard = 0; node.core !== undefined && node.core.hasReady(); guard++) {
      if (guard > 1000)
        this.checker.fail('ready terminates', `node ${node.id} keeps producing Readies`);
      this.shell.handleReady(node, node.core);
      this.checkLeaderCommit(node);
    }
  }

  /** Checks run after every step, over all up nodes. */
  private checkStep(): void {
    for (const id of this.ids) {
      const node = this.get(id);
      const core = node.core;
      if (core === undefined) continue;
      const st = this.guard(id, 'status', () => core.status());
      this.checker.onCommitIndex(id, st.commit);
      if (st.role === Role.Leader) this.checker.onLeader(id, st.term, node.storage);
    }
  }
}
