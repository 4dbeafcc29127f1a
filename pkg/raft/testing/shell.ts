// The shell each simulated node runs around its core: take a Ready, send the
// messages that may leave at once, persist it to the simulated disk, fsync,
// send the messages that waited for it, apply, acknowledge — with crashes
// injectable between any two of those steps. Two shapes:
//  - one Ready at a time (write -> fsync -> send -> apply -> advance);
//  - pipelined, as pkg/raft/node.ts does: the write is issued, the committed
//    entries are applied at once (before this or an earlier write is
//    durable), and the node keeps stepping and takes further Readies while
//    the fsync runs (0..syncDelay steps); writes complete in order, each
//    sending the messages that waited for it and calling persisted().
// The shell follows the Ready's two message lists and never judges a message
// itself; the checker does (onSend: a message may vouch only for durable
// state). Every Ready is checked on the way: what the core asks to persist,
// commit and apply.
import type { RaftCore } from '../config.js';
import type { ConfChange, ConfState, Entry, Message, NodeId, Ready } from '../types.js';
import { EntryType, Role } from '../types.js';
import type { Rng } from '../../util/rng.js';
import type { InvariantChecker } from './checker.js';
import { describeReady } from './describe.js';
import type { RecordingStateMachine } from './recorder.js';
import { dataString } from './recorder.js';
import type { SimStorage } from './sim-storage.js';
import { StorageMisuseError } from './sim-storage.js';

/**
 * Where in the shell's Ready handling a crash strikes. `idle` crashes at once;
 * the others arm the node so that its next Ready is interrupted there.
 */
export const CrashPoint = {
  Idle: 'idle',
  /** Some of the messages that may leave before the write were sent; nothing written. */
  MidEarlySend: 'midEarlySend',
  /** Written to the page cache, not fsynced: the write is lost (or torn). */
  BeforeSync: 'beforeSync',
  /** Durable, but none of the messages that waited for it has left. */
  BeforeSend: 'beforeSend',
  /** Some of the messages that waited for the fsync were sent. */
  MidSend: 'midSend',
  /** Sent, not applied. */
  BeforeApply: 'beforeApply',
  /**
   * Pipelined: committed entries applied while the write is in flight, then
   * the crash, so the write is lost (or torn) after the apply. One Ready at
   * a time: the same place as BeforeSync.
   */
  AppliedBeforeSync: 'appliedBeforeSync',
  /** Applied, not acknowledged to the core. */
  BeforeAdvance: 'beforeAdvance',
} as const;
export type CrashPoint = (typeof CrashPoint)[keyof typeof CrashPoint];
export const crashPoints: readonly CrashPoint[] = Object.values(CrashPoint);

/** A node's place in the simulation: its disk outlives crashes, the rest does not. */
export interface SimNode {
  readonly id: NodeId;
  readonly storage: SimStorage;
  core: RaftCore | undefined;
  sm: RecordingStateMachine;
  armedCrash: CrashPoint | undefined;
  /** Pipelined shell: Readies whose fsync is still running, oldest first. */
  inflight: Inflight[];
  /** The role from the last SoftState (the shell's view). */
  role: string;
  /** Membership as of the last applied entry, recorded with snapshots. */
  confState: ConfState;
}

/** The rest of a Ready to carry out once its fsync completes. */
export interface Inflight {
  readonly rd: Ready;
  /** Entries still to apply (pipelined: none, unless a snapshot came first). */
  readonly committed: readonly Entry[];
  readonly commit: number;
  /** The step at which the write is durable (written ones complete in order). */
  readonly syncAt: number;
  /** Whether applied(rd) is still to be called. */
  readonly applyPending: boolean;
  /** The storage's write count after this Ready's write (what its fsync covers). */
  readonly written: number;
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
  /** Entries applied before this node's own write of them was durable (pipelined). */
  appliedAheadOfDisk: number;
  /** Crashes that struck after such an apply and before the write was durable. */
  crashedAheadOfDisk: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  maxTerm: number;
}

/** Shell behaviour switches (a subset of ClusterOptions). */
/** What an application beside the simulated nodes is told (ClusterOptions.application). */
export interface SimApplication {
  /** Node `node` applied entry `index` (normal entries and configuration changes alike). */
  applied(node: NodeId, index: number, data: Uint8Array, confChange: boolean): void;
  /**
   * Node `node`'s state now starts over from a snapshot at `index` (installed
   * from the leader, or read back on restart; 0: nothing, a restart from empty).
   */
  reset(node: NodeId, index: number): void;
}

export interface ShellOptions {
  readonly pipelined?: boolean;
  readonly syncDelay?: number;
  readonly snapshotEvery?: number;
  readonly application?: SimApplication;
}

/** What the shell needs from the cluster around it. */
export interface ShellEnv {
  readonly checker: InvariantChecker;
  readonly stats: ClusterStats;
  /** Shell decisions: crash timing, fsync durations. */
  readonly rng: Rng;
  readonly opts: ShellOptions;
  now(): number;
  record(text: string): void;
  send(msg: Message): void;
  /** Crashes `node` now; `where` is for the trace. */
  crash(node: SimNode, where: string): void;
  /** Runs a core call, turning an unexpected throw into a violation. */
  guard<T>(id: NodeId, what: string, fn: () => T): T;
}

export class Shell {
  constructor(private readonly env: ShellEnv) {}

  /** The shell: persist -> fsync -> send -> apply -> advance, with optional crash points. */
  handleReady(node: SimNode, core: RaftCore): void {
    const id = node.id;
    const rd: Ready = this.env.guard(id, 'ready', () => core.ready());
    this.env.stats.readies++;
    this.env.record(`n${id} ready ${describeReady(rd)}`);
    const crashAt = node.armedCrash;
    const storage = node.storage;

    // Checks on what the core asks for, before doing it.
    const prev = storage.hardState();
    const hs = rd.hardState;
    if (hs !== undefined) {
      if (hs.term < prev.term) {
        this.env.checker.fail(
          'term monotonic',
          `node ${id} hard state term ${prev.term} -> ${hs.term}`,
        );
      }
      if (hs.term === prev.term && prev.vote !== 0 && hs.vote !== prev.vote) {
        this.env.checker.fail(
          'one vote per term',
          `node ${id} changed its vote in term ${hs.term} from ${prev.vote} to ${hs.vote}`,
        );
      }
    }
    const termOrVoteChanged = hs !== undefined && (hs.term !== prev.term || hs.vote !== prev.vote);
    if (!rd.mustSync && (rd.entries.length > 0 || termOrVoteChanged)) {
      this.env.checker.fail(
        'mustSync',
        `node ${id} Ready with ${rd.entries.length} entries / term-vote change but mustSync=false`,
      );
    }

    if (rd.softState !== undefined) node.role = rd.softState.role;
    const sync = rd.mustSync || rd.snapshot !== undefined;
    const commit = hs?.commit ?? prev.commit;
    const pipelined = this.env.opts.pipelined === true;
    // The messages the core lets leave before the write go first, in both
    // shapes, so a crash before the fsync finds them already sent.
    for (const msg of rd.messages) {
      if (crashAt === CrashPoint.MidEarlySend && this.env.rng.chance(0.5)) {
        return this.env.crash(node, crashAt);
      }
      this.send(node, msg);
    }

    // 1. Persist (page cache).
    let written: number;
    try {
      written = storage.write({
        entries: rd.entries,
        ...(hs !== undefined && { hardState: hs }),
        ...(rd.snapshot !== undefined && { snapshot: rd.snapshot }),
      });
    } catch (err) {
      if (err instanceof StorageMisuseError) {
        this.env.checker.fail('append contiguous', `node ${id}: ${err.message}`);
      }
      throw err;
    }
    this.env.checker.onLogWrite(id, storage, rd.entries);
    const cur = storage.hardState();
    this.env.checker.onCommit(id, cur.commit, cur.term, storage);
    if (cur.term > this.env.stats.maxTerm) this.env.stats.maxTerm = cur.term;
    if (crashAt === CrashPoint.BeforeSync) return this.env.crash(node, crashAt);

    // Pipelined: apply what is committed now, while the write (and earlier
    // ones) may still be in flight. A snapshot is restored only once durable,
    // and the entries after it with it, and so are those of any Ready taken
    // while it waits (applies happen in hand-out order; node.ts takes no
    // Ready until the snapshot is restored).
    let committed: readonly Entry[] = rd.committedEntries;
    let applyPending = true;
    const afterSnapshot = node.inflight.some((f) => f.applyPending);
    if (pipelined && rd.snapshot === undefined && !afterSnapshot) {
      for (const e of committed) this.applyEntry(node, core, e, commit);
      committed = [];
      if (crashAt === CrashPoint.BeforeAdvance) return this.env.crash(node, crashAt);
      this.acknowledgeApplied(node, core, rd);
      applyPending = false;
    }
    if (crashAt === CrashPoint.AppliedBeforeSync) {
      if (node.sm.appliedIndex > storage.durableLastIndex()) this.env.stats.crashedAheadOfDisk++;
      return this.env.crash(node, crashAt);
    }

    let syncAt = this.env.now();
    if (pipelined && sync) syncAt += this.env.rng.int(0, (this.env.opts.syncDelay ?? 2) + 1);
    node.inflight.push({ rd, committed, commit, syncAt, applyPending, written });
    this.completeDue(node, core);
  }

  /** Completes, in order, the writes whose fsync is done by now. */
  completeDue(node: SimNode, core: RaftCore): void {
    for (;;) {
      const f = node.inflight[0];
      if (f === undefined || f.syncAt > this.env.now() || node.core !== core) return;
      node.inflight.shift();
      this.completeReady(node, core, f);
    }
  }

  /** Sends one message, first checking it vouches only for durable state. */
  private send(node: SimNode, msg: Message): void {
    this.env.checker.onSend(node.id, msg, node.storage);
    this.env.stats.sent++;
    this.env.send(msg);
  }

  /** fsync -> send -> persisted -> (apply -> applied): the part of a Ready after its write. */
  private completeReady(node: SimNode, core: RaftCore, f: Inflight): void {
    const { rd, committed, commit } = f;
    const id = node.id;
    const storage = node.storage;
    const crashAt = node.armedCrash;

    // 2. fsync, when the core says the write must be durable before messages leave.
    if (rd.mustSync || rd.snapshot !== undefined) storage.sync(f.written);
    if (crashAt === CrashPoint.BeforeSend) return this.env.crash(node, crashAt);

    // 3. Send what had to wait for the fsync.
    for (const msg of rd.messagesAfterPersist) {
      if (crashAt === CrashPoint.MidSend && this.env.rng.chance(0.5)) {
        return this.env.crash(node, crashAt);
      }
      this.send(node, msg);
    }
    if (crashAt === CrashPoint.BeforeApply || crashAt === CrashPoint.MidSend) {
      return this.env.crash(node, crashAt);
    }
    this.env.guard(id, 'persisted', () => core.persisted(rd));

    // 4. Apply the snapshot, then committed entries (unless done before the write).
    if (f.applyPending) {
      const term = storage.hardState().term;
      if (rd.snapshot !== undefined) {
        const img = node.sm.restore(rd.snapshot);
        this.env.opts.application?.reset(id, rd.snapshot.metadata.index);
        node.confState = rd.snapshot.metadata.confState;
        this.env.stats.snapshotsInstalled++;
        this.env.checker.onSnapshotRestore(id, rd.snapshot, img, term, false);
      }
      for (const e of committed) this.applyEntry(node, core, e, commit);
      if (crashAt === CrashPoint.BeforeAdvance) return this.env.crash(node, crashAt);
      this.acknowledgeApplied(node, core, rd);
    }
    const st = this.env.guard(id, 'status', () => core.status());
    if (st.role === Role.Leader) {
      if (!node.confState.voters.includes(id)) {
        this.env.checker.fail(
          'leader is a voter',
          `node ${id} leads term ${st.term} but its membership is voters=${node.confState.voters.join(',')} learners=${node.confState.learners.join(',')}`,
        );
      }
      this.env.checker.onLeader(id, st.term, storage);
    }
    if (node.inflight.length === 0) this.maybeSnapshot(node);
  }

  /** Read states, then applied(rd), then the core and the state machine must agree. */
  private acknowledgeApplied(node: SimNode, core: RaftCore, rd: Ready): void {
    const id = node.id;
    for (const rs of rd.readStates) {
      this.env.stats.readsAnswered++;
      this.env.checker.onReadState(id, rs);
    }
    this.env.guard(id, 'applied', () => core.applied(rd));
    const st = this.env.guard(id, 'status', () => core.status());
    if (st.applied !== node.sm.appliedIndex) {
      this.env.checker.fail(
        'applied agrees',
        `node ${id}: core says applied ${st.applied}, state machine is at ${node.sm.appliedIndex}`,
      );
    }
  }

  private applyEntry(node: SimNode, core: RaftCore, e: Entry, commit: number): void {
    const id = node.id;
    if (e.index > commit) {
      this.env.checker.fail(
        'apply committed only',
        `node ${id} applies ${e.index} beyond commit ${commit}`,
      );
    }
    const storage = node.storage;
    if (e.index >= storage.firstIndex()) {
      const own = storage.entryAt(e.index);
      if (own === undefined || own.term !== e.term || dataString(own.data) !== dataString(e.data)) {
        this.env.checker.fail(
          'apply what was persisted',
          `node ${id} applies ${e.index}@t${e.term} but its log has ${own === undefined ? 'nothing' : `t${own.term}`}`,
        );
      }
    }
    // Pipelined: this node's own copy may still be in flight (committed means
    // durable on a quorum); counted so tests can see the case occur.
    if (e.index > storage.durableLastIndex()) this.env.stats.appliedAheadOfDisk++;
    const rec = node.sm.apply(e);
    this.env.checker.onApply(id, rec, storage.hardState().term);
    this.env.opts.application?.applied(id, e.index, e.data, e.type === EntryType.ConfChange);
    if (e.type === EntryType.ConfChange) {
      const cc = JSON.parse(dataString(e.data)) as ConfChange;
      node.confState = this.env.guard(id, 'applyConfChange', () => core.applyConfChange(cc));
      this.env.record(
        `n${id} conf ${cc.type} ${cc.nodeId} -> voters=${node.confState.voters.join(',')} learners=${node.confState.learners.join(',')}`,
      );
    }
  }

  /** Snapshots the state machine and compacts the log, as a real node does periodically. */
  private maybeSnapshot(node: SimNode): void {
    const every = this.env.opts.snapshotEvery ?? 0;
    if (every <= 0) return;
    const applied = node.sm.appliedIndex;
    const storage = node.storage;
    if (applied - storage.snapshot().metadata.index < every) return;
    if (applied > storage.lastIndex()) {
      this.env.checker.fail(
        'applied is persisted',
        `node ${node.id} applied ${applied} > last ${storage.lastIndex()}`,
      );
    }
    storage.createSnapshot(applied, node.confState, node.sm.snapshotData());
    this.env.stats.snapshotsTaken++;
    this.env.record(`n${node.id} snapshot+compact at ${applied}`);
  }
}
