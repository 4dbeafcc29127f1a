// A cluster of RawNodes driven step by step, each behind a deterministic shell
// (tick, step, Ready: persist -> fsync -> send -> apply -> advance) on a
// simulated disk and network. Every random choice comes from one seed, and the
// invariant checker runs at every Ready and after every step. Scenario tests
// drive a Cluster by hand; runSimulation (simulate.ts) drives it randomly.
import type { RaftConfig, RaftCore } from '../config.js';
import type { ConfState, Entry, Message, NodeId, Ready, Status } from '../types.js';
import { EntryType, Role } from '../types.js';
import type { ConfChange } from '../types.js';
import type { Rng } from '../../util/rng.js';
import { SeededRng } from '../../util/rng.js';
import { JobctlError } from '../../util/errors.js';
import { InvariantChecker, InvariantViolation } from './checker.js';
import { describeMessage, describeReady } from './describe.js';
import type { NetworkOptions } from './network.js';
import { SimNetwork, reliableNetwork } from './network.js';
import type { AppliedEntry } from './recorder.js';
import { RecordingStateMachine, dataBytes, dataString } from './recorder.js';
import { SimStorage, StorageMisuseError } from './sim-storage.js';
import { Trace } from './trace.js';

export type CoreFactory = (config: RaftConfig) => RaftCore;

/**
 * Where in the shell's Ready handling a crash strikes. `idle` crashes at once;
 * the others arm the node so that its next Ready is interrupted there.
 */
export const CrashPoint = {
  Idle: 'idle',
  /** Written to the page cache, not fsynced: the write is lost (or torn). */
  BeforeSync: 'beforeSync',
  /** Durable, but no message has left. */
  BeforeSend: 'beforeSend',
  /** Some of the Ready's messages were sent. */
  MidSend: 'midSend',
  /** Sent, not applied. */
  BeforeApply: 'beforeApply',
  /** Applied, not acknowledged to the core. */
  BeforeAdvance: 'beforeAdvance',
} as const;
export type CrashPoint = (typeof CrashPoint)[keyof typeof CrashPoint];
export const crashPoints: readonly CrashPoint[] = Object.values(CrashPoint);

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
   * which the node keeps stepping messages and ticking (between ready() and
   * advance()); a leader sends its appends and heartbeats before its own fsync,
   * and entries persisted by earlier Readies are applied before the write.
   */
  readonly pipelined?: boolean;
  readonly syncDelay?: number;
  /** Record every delivered message in the trace (default true). */
  readonly traceMessages?: boolean;
  readonly traceCapacity?: number;
  readonly keepFullTrace?: boolean;
  /** Printed with a violation: how to reproduce this run. */
  readonly replayHint?: string;
}

/** A node's place in the simulation: its disk outlives crashes, the rest does not. */
interface SimNode {
  readonly id: NodeId;
  readonly storage: SimStorage;
  core: RaftCore | undefined;
  sm: RecordingStateMachine;
  armedCrash: CrashPoint | undefined;
  /** Pipelined shell: a Ready whose fsync is still running. */
  inflight: Inflight | undefined;
  /** The role from the last SoftState (the shell's view). */
  role: string;
  /** Membership as of the last applied entry, recorded with snapshots. */
  confState: ConfState;
}

/** The rest of a Ready to carry out once its fsync completes. */
interface Inflight {
  readonly rd: Ready;
  readonly late: readonly Message[];
  readonly committed: readonly Entry[];
  readonly commit: number;
  readonly syncAt: number;
}

export interface ClusterStats {
  steps: number;
  sent: number;
  delivered: number;
  dropped: number;
  readies: number;
  proposals: number;
  proposalsDropped: number;
  reads: number;
  readsAnswered: number;
  transfers: number;
  crashes: number;
  restarts: number;
  tornWritesSurvived: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  maxTerm: number;
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
    snapshotsTaken: 0,
    snapshotsInstalled: 0,
    maxTerm: 0,
  };
  /** The current step; messages sent now are delivered at a later step. */
  now = 0;
  /** Set to a non-empty string to label trace lines of the current phase. */
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
        inflight: undefined,
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
    node.inflight = undefined;
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
      if (node.inflight !== undefined && node.inflight.syncAt <= this.now && node.core) {
        this.record(`n${id} fsync done`);
        this.completeReady(node, node.core, node.inflight);
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

  private afterInput(node: SimNode): void {
    const defer = this.opts.readyDeferRate ?? 0;
    if (defer > 0 && this.shellRng.chance(defer)) return;
    this.drainReady(node);
  }

  private drainReady(node: SimNode): void {
    for (
      let guard = 0;
      node.core !== undefined && node.inflight === undefined && node.core.hasReady();
      guard++
    ) {
      if (guard > 1000)
        this.checker.fail('ready terminates', `node ${node.id} keeps producing Readies`);
      this.handleReady(node, node.core);
    }
  }

  /** The shell: persist -> fsync -> send -> apply -> advance, with optional crash points. */
  private handleReady(node: SimNode, core: RaftCore): void {
    const id = node.id;
    const rd: Ready = this.guard(id, 'ready', () => core.ready());
    this.stats.readies++;
    this.record(`n${id} ready ${describeReady(rd)}`);
    const crashAt = node.armedCrash;
    const storage = node.storage;

    // Checks on what the core asks for, before doing it.
    const prev = storage.hardState();
    const hs = rd.hardState;
    if (hs !== undefined) {
      if (hs.term < prev.term) {
        this.checker.fail(
          'term monotonic',
          `node ${id} hard state term ${prev.term} -> ${hs.term}`,
        );
      }
      if (hs.term === prev.term && prev.vote !== 0 && hs.vote !== prev.vote) {
        this.checker.fail(
          'one vote per term',
          `node ${id} changed its vote in term ${hs.term} from ${prev.vote} to ${hs.vote}`,
        );
      }
    }
    const termOrVoteChanged = hs !== undefined && (hs.term !== prev.term || hs.vote !== prev.vote);
    if (!rd.mustSync && (rd.entries.length > 0 || termOrVoteChanged)) {
      this.checker.fail(
        'mustSync',
        `node ${id} Ready with ${rd.entries.length} entries / term-vote change but mustSync=false`,
      );
    }

    if (rd.softState !== undefined) node.role = rd.softState.role;
    const persisting = hs !== undefined || rd.entries.length > 0 || rd.snapshot !== undefined;
    const sync = rd.mustSync || rd.snapshot !== undefined;
    const commit = hs?.commit ?? prev.commit;
    let late: readonly Message[] = rd.messages;
    let committed: readonly Entry[] = rd.committedEntries;
    if (this.opts.pipelined && persisting && rd.snapshot === undefined) {
      // node.ts overlaps the fsync with a leader's appends and heartbeats...
      if (node.role === Role.Leader) {
        const early = rd.messages.filter((m) => m.type === 'app' || m.type === 'heartbeat');
        late = rd.messages.filter((m) => m.type !== 'app' && m.type !== 'heartbeat');
        for (const msg of early) this.send(msg);
      }
      // ...and with applying entries that earlier Readies made durable.
      const firstNew = rd.entries[0]?.index ?? Infinity;
      let n = 0;
      while (n < committed.length && (committed[n] as Entry).index < firstNew) n++;
      for (let i = 0; i < n; i++) this.applyEntry(node, core, committed[i] as Entry, commit);
      committed = committed.slice(n);
    }

    // 1. Persist (page cache).
    try {
      storage.write({
        entries: rd.entries,
        ...(hs !== undefined && { hardState: hs }),
        ...(rd.snapshot !== undefined && { snapshot: rd.snapshot }),
      });
    } catch (err) {
      if (err instanceof StorageMisuseError) {
        this.checker.fail('append contiguous', `node ${id}: ${err.message}`);
      }
      throw err;
    }
    this.checker.onLogWrite(id, storage, rd.entries);
    const cur = storage.hardState();
    this.checker.onCommit(id, cur.commit, cur.term, storage);
    if (cur.term > this.stats.maxTerm) this.stats.maxTerm = cur.term;
    if (crashAt === CrashPoint.BeforeSync) return this.crashNow(node, crashAt);

    const inflight: Inflight = { rd, late, committed, commit, syncAt: this.now };
    if (this.opts.pipelined && sync) {
      const delay = this.shellRng.int(0, (this.opts.syncDelay ?? 2) + 1);
      if (delay > 0) {
        // The fsync is running; the node keeps taking input until it completes.
        node.inflight = { ...inflight, syncAt: this.now + delay };
        return;
      }
    }
    this.completeReady(node, core, inflight);
  }

  private send(msg: Message): void {
    this.stats.sent++;
    this.network.send(msg, this.now);
  }

  /** fsync -> send -> apply -> advance: the part of a Ready after its write. */
  private completeReady(node: SimNode, core: RaftCore, f: Inflight): void {
    const { rd, late, committed, commit } = f;
    const id = node.id;
    const storage = node.storage;
    const crashAt = node.armedCrash;
    node.inflight = undefined;

    // 2. fsync, when the core says the write must be durable before messages leave.
    if (rd.mustSync || rd.snapshot !== undefined) storage.sync();
    if (crashAt === CrashPoint.BeforeSend) return this.crashNow(node, crashAt);

    // 3. Send.
    for (const msg of late) {
      if (crashAt === CrashPoint.MidSend && this.shellRng.chance(0.5)) {
        return this.crashNow(node, crashAt);
      }
      this.send(msg);
    }
    if (crashAt === CrashPoint.BeforeApply || crashAt === CrashPoint.MidSend) {
      return this.crashNow(node, crashAt);
    }

    // 4. Apply the snapshot, then committed entries.
    const term = storage.hardState().term;
    if (rd.snapshot !== undefined) {
      const img = node.sm.restore(rd.snapshot);
      node.confState = rd.snapshot.metadata.confState;
      this.stats.snapshotsInstalled++;
      this.checker.onSnapshotRestore(id, rd.snapshot, img, term, false);
    }
    for (const e of committed) this.applyEntry(node, core, e, commit);
    for (const rs of rd.readStates) {
      this.stats.readsAnswered++;
      this.checker.onReadState(id, rs);
    }
    if (crashAt === CrashPoint.BeforeAdvance) return this.crashNow(node, crashAt);

    // 5. Acknowledge.
    this.guard(id, 'advance', () => core.advance(rd));
    const st = this.guard(id, 'status', () => core.status());
    if (st.applied !== node.sm.appliedIndex) {
      this.checker.fail(
        'applied agrees',
        `node ${id}: core says applied ${st.applied}, state machine is at ${node.sm.appliedIndex}`,
      );
    }
    if (st.role === Role.Leader) {
      if (!node.confState.voters.includes(id)) {
        this.checker.fail(
          'leader is a voter',
          `node ${id} leads term ${st.term} but its membership is voters=${node.confState.voters.join(',')} learners=${node.confState.learners.join(',')}`,
        );
      }
      this.checker.onLeader(id, st.term, storage);
    }
    this.maybeSnapshot(node);
  }

  private applyEntry(node: SimNode, core: RaftCore, e: Entry, commit: number): void {
    const id = node.id;
    if (e.index > commit) {
      this.checker.fail(
        'apply committed only',
        `node ${id} applies ${e.index} beyond commit ${commit}`,
      );
    }
    const storage = node.storage;
    if (e.index >= storage.firstIndex()) {
      const own = storage.entryAt(e.index);
      if (own === undefined || own.term !== e.term || dataString(own.data) !== dataString(e.data)) {
        this.checker.fail(
          'apply what was persisted',
          `node ${id} applies ${e.index}@t${e.term} but its log has ${own === undefined ? 'nothing' : `t${own.term}`}`,
        );
      }
    }
    const rec = node.sm.apply(e);
    this.checker.onApply(id, rec, storage.hardState().term);
    if (e.type === EntryType.ConfChange) {
      const cc = JSON.parse(dataString(e.data)) as ConfChange;
      node.confState = this.guard(id, 'applyConfChange', () => core.applyConfChange(cc));
      this.record(
        `n${id} conf ${cc.type} ${cc.nodeId} -> voters=${node.confState.voters.join(',')} learners=${node.confState.learners.join(',')}`,
      );
    }
  }

  /** Snapshots the state machine and compacts the log, as a real node does periodically. */
  private maybeSnapshot(node: SimNode): void {
    const every = this.opts.snapshotEvery ?? 0;
    if (every <= 0) return;
    const applied = node.sm.appliedIndex;
    const storage = node.storage;
    if (applied - storage.snapshot().metadata.index < every) return;
    if (applied > storage.lastIndex()) {
      this.checker.fail(
        'applied is persisted',
        `node ${node.id} applied ${applied} > last ${storage.lastIndex()}`,
      );
    }
    storage.createSnapshot(applied, node.confState, node.sm.snapshotData());
    this.stats.snapshotsTaken++;
    this.record(`n${node.id} snapshot+compact at ${applied}`);
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
