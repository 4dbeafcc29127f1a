// Safety invariants of Raft, checked incrementally as the simulator observes
// each node. The checker keeps a history of everything any node ever reported
// (leaders per term, log entries per (index, term), committed entries, reads),
// so a violation is caught at the first step where it becomes observable, not
// when the run ends. It knows nothing of the simulator: a test can feed it a
// deliberately bad history and watch it throw.
import type { Entry, HardState, Message, NodeId, ReadState, Snapshot } from '../types.js';
import type { AppliedEntry, SnapshotImage } from './recorder.js';
import { chainHash, dataString, emptyChainHash } from './recorder.js';

/** The part of a node's log the checker reads (SimStorage implements it). */
export interface LogView {
  firstIndex(): number;
  lastIndex(): number;
  term(index: number): number;
  entryAt(index: number): Entry | undefined;
  snapshot(): Snapshot;
}

/** What a node has made durable (SimStorage implements it). */
export interface DurableView {
  durableHardState(): HardState;
  durableLastIndex(): number;
  durablyHolds(index: number, term: number): boolean;
}

/** Where the checker is in a run, for error messages. */
export interface CheckContext {
  readonly seed: number;
  readonly step: number;
  readonly traceTail: readonly string[];
  /** How to reproduce, e.g. `SIM_SEED=7 node --test ...` or `replay(7, {...})`. */
  readonly replayHint: string;
}

export class InvariantViolation extends Error {
  constructor(
    readonly invariant: string,
    readonly detail: string,
    readonly seed: number,
    readonly step: number,
    readonly traceTail: readonly string[],
    replayHint: string,
  ) {
    super(
      `raft invariant violated: ${invariant}: ${detail}\n` +
        `  seed=${seed} step=${step}\n` +
        `  reproduce: ${replayHint}\n` +
        `  trace tail (oldest first):\n` +
        traceTail.map((l) => `    ${l}`).join('\n'),
    );
    this.name = 'InvariantViolation';
  }
}

interface CommittedEntry {
  readonly term: number;
  readonly data: string;
  /** Lowest term of a node that saw it committed: every leader of a later term must hold it. */
  knownAtTerm: number;
}

interface NodeState {
  /** Highest commit index whose log prefix was checked against the committed history. */
  checkedCommit: number;
  /** Highest commit index of this node as leader already checked against its voters' disks. */
  quorumCheckedCommit: number;
  /** Last commit index reported (monotonic between restarts). */
  lastCommit: number;
  /** Last index applied to the state machine. */
  applied: number;
}

interface PendingRead {
  readonly node: NodeId;
  /** Highest index known committed anywhere when the read was issued. */
  readonly floor: number;
}

export class InvariantChecker {
  private readonly leaders = new Map<number, NodeId>();
  /** `${index}:${term}` -> the data and the term of the preceding entry, as first seen. */
  private readonly logRegistry = new Map<string, { data: string; prevTerm: number }>();
  private readonly committed = new Map<number, CommittedEntry>();
  private readonly nodes = new Map<NodeId, NodeState>();
  private readonly reads = new Map<string, PendingRead>();
  private maxCommittedIndex = 0;
  /** prefixHash[i]: hash chain over committed entries 1..i, as far as known contiguously. */
  private readonly prefixHash: number[] = [emptyChainHash];
  /** First committed index of each payload (client data is unique per proposal). */
  private readonly dataIndex = new Map<string, number>();

  constructor(private readonly context: () => CheckContext) {}

  /** The highest index any node has reported committed. */
  get maxCommitted(): number {
    return this.maxCommittedIndex;
  }

  /** The committed entry at `index`, if known. */
  committedAt(index: number): { term: number; data: string } | undefined {
    return this.committed.get(index);
  }

  /** The first index at which `data` was committed, if it was. */
  indexOfData(data: string): number | undefined {
    return this.dataIndex.get(data);
  }

  /** Leaders seen so far, by term. */
  leaderHistory(): ReadonlyMap<number, NodeId> {
    return this.leaders;
  }

  fail(invariant: string, detail: string): never {
    const c = this.context();
    throw new InvariantViolation(invariant, detail, c.seed, c.step, c.traceTail, c.replayHint);
  }

  private node(id: NodeId): NodeState {
    let st = this.nodes.get(id);
    if (st === undefined) {
      st = { checkedCommit: 0, quorumCheckedCommit: 0, lastCommit: 0, applied: 0 };
      this.nodes.set(id, st);
    }
    return st;
  }

  private registerCommitted(
    index: number,
    term: number,
    data: string,
    knownAtTerm: number,
    who: string,
  ): void {
    const prev = this.committed.get(index);
    if (prev === undefined) {
      this.committed.set(index, { term, data, knownAtTerm });
      if (index > this.maxCommittedIndex) this.maxCommittedIndex = index;
      if (data !== '' && !this.dataIndex.has(data)) this.dataIndex.set(data, index);
      return;
    }
    if (prev.term !== term || prev.data !== data) {
      this.fail(
        'committed entry changed',
        `${who}: index ${index} is (term ${term}, ${JSON.stringify(data)}) but was committed as ` +
          `(term ${prev.term}, ${JSON.stringify(prev.data)})`,
      );
    }
    if (knownAtTerm < prev.knownAtTerm) prev.knownAtTerm = knownAtTerm;
  }

  /** At most one leader per term, ever; a new leader holds every entry committed before its term. */
  onLeader(id: NodeId, term: number, log: LogView): void {
    const prev = this.leaders.get(term);
    if (prev !== undefined) {
      if (prev !== id)
        this.fail('election safety', `nodes ${prev} and ${id} both led term ${term}`);
      return;
    }
    this.leaders.set(term, id);
    const first = log.firstIndex();
    const snap = log.snapshot().metadata;
    for (const [index, c] of this.committed) {
      if (c.knownAtTerm >= term) continue;
      if (index < first) {
        // Covered by the snapshot; check the snapshot point itself agrees.
        if (index === snap.index && snap.term !== c.term) {
          this.fail(
            'leader completeness',
            `leader ${id} of term ${term} has a snapshot at ${index} with term ${snap.term}, committed term ${c.term}`,
          );
        }
        continue;
      }
      const e = log.entryAt(index);
      if (e === undefined || e.term !== c.term || dataString(e.data) !== c.data) {
        this.fail(
          'leader completeness',
          `leader ${id} of term ${term} lacks committed entry ${index} (term ${c.term}); ` +
            (e === undefined ? `its log ends at ${log.lastIndex()}` : `it has term ${e.term}`),
        );
      }
    }
  }

  /**
   * Log matching: an (index, term) pair identifies one entry and one prefix,
   * on every node, ever. Checked when entries are written: `written` must
   * already be in `log`. Entries at or below the node's commit index must also
   * agree with the committed history.
   */
  onLogWrite(id: NodeId, log: LogView, written: readonly Entry[]): void {
    const st = this.node(id);
    const first = log.firstIndex();
    for (const e of written) {
      if (e.index < first) continue; // skipped: covered by the snapshot
      const prevTerm = log.term(e.index - 1);
      if (prevTerm > e.term) {
        this.fail(
          'log terms monotonic',
          `node ${id}: entry ${e.index} has term ${e.term} after term ${prevTerm}`,
        );
      }
      const data = dataString(e.data);
      const key = `${e.index}:${e.term}`;
      const seen = this.logRegistry.get(key);
      if (seen === undefined) {
        this.logRegistry.set(key, { data, prevTerm });
      } else if (seen.data !== data || seen.prevTerm !== prevTerm) {
        this.fail(
          'log matching',
          `node ${id}: entry ${key} is (${JSON.stringify(data)}, prev term ${prevTerm}) ` +
            `but elsewhere (${JSON.stringify(seen.data)}, prev term ${seen.prevTerm})`,
        );
      }
      if (e.index <= st.checkedCommit) {
        const c = this.committed.get(e.index);
        if (c !== undefined && (c.term !== e.term || c.data !== data)) {
          this.fail(
            'committed entry overwritten',
            `node ${id} wrote (term ${e.term}) over committed entry ${e.index} (term ${c.term})`,
          );
        }
      }
    }
  }

  /** A node's commit index moved to `commit`; its log up to there is committed history. */
  onCommit(id: NodeId, commit: number, nodeTerm: number, log: LogView): void {
    const st = this.node(id);
    if (commit <= st.checkedCommit) return;
    if (commit > log.lastIndex()) {
      this.fail('commit within log', `node ${id} commit ${commit} > last index ${log.lastIndex()}`);
    }
    const from = Math.max(st.checkedCommit + 1, log.firstIndex());
    for (let i = from; i <= commit; i++) {
      const e = log.entryAt(i) as Entry;
      this.registerCommitted(i, e.term, dataString(e.data), nodeTerm, `node ${id} log`);
    }
    st.checkedCommit = commit;
  }

  /**
   * A message may vouch only for what its sender has made durable: an append
   * acknowledgement for entries on its disk and the term it carries, a vote
   * grant for the vote on its disk, a vote request for the candidate's own
   * vote on its disk (it counted that vote at once). A node that loses what
   * it vouched for in a crash could ack an entry twice or vote twice.
   */
  onSend(id: NodeId, m: Message, disk: DurableView): void {
    const hs = disk.durableHardState();
    const vouches = (what: string): never =>
      this.fail(
        'persisted before sent',
        `node ${id} sent ${m.type} to ${m.to} in term ${m.term} vouching for ${what}, ` +
          `but its disk has term ${hs.term} vote ${hs.vote} last index ${disk.durableLastIndex()}`,
      );
    switch (m.type) {
      case 'appResp':
        if (hs.term < m.term) vouches(`term ${m.term}`);
        if (!m.reject && m.index > disk.durableLastIndex()) vouches(`entries up to ${m.index}`);
        return;
      case 'voteResp':
        if (m.reject) return;
        if (hs.term < m.term || (hs.term === m.term && hs.vote !== m.to))
          vouches(`a vote for ${m.to}`);
        return;
      case 'vote':
        if (hs.term < m.term || (hs.term === m.term && hs.vote !== m.from)) vouches('its own vote');
        return;
      default:
        return;
    }
  }

  /**
   * A leader's commit index counts only durable copies: when it moves to
   * `commit` (an entry of term `term`), a quorum of `voters` holds that entry
   * on disk. A leader that counted its own undurable append could lose a
   * committed entry in a crash.
   */
  onLeaderCommit(
    id: NodeId,
    commit: number,
    term: number,
    voters: readonly NodeId[],
    disk: (voter: NodeId) => DurableView,
  ): void {
    const st = this.node(id);
    if (commit <= st.quorumCheckedCommit) return;
    st.quorumCheckedCommit = commit;
    const holders = voters.filter((v) => disk(v).durablyHolds(commit, term));
    if (holders.length * 2 <= voters.length) {
      this.fail(
        'commit is durable on a quorum',
        `leader ${id} committed ${commit} (term ${term}) but only ${holders.length ? holders.join(',') : 'none'} ` +
          `of voters ${voters.join(',')} hold it on disk`,
      );
    }
  }

  /**
   * A node's commit index while it is not leader: learned from a leader, not
   * counted by this node, so its advances as leader are checked from here.
   */
  onFollowerCommit(id: NodeId, commit: number): void {
    this.node(id).quorumCheckedCommit = commit;
  }

  /** Commit indexes never go backwards on a running node. */
  onCommitIndex(id: NodeId, commit: number): void {
    const st = this.node(id);
    if (commit < st.lastCommit) {
      this.fail('commit monotonic', `node ${id} commit went from ${st.lastCommit} to ${commit}`);
    }
    st.lastCommit = commit;
  }

  /** A restarted node resumes from its durable state, never below its durable commit. */
  onRestart(id: NodeId, durableCommit: number, commitAfter: number): void {
    if (commitAfter < durableCommit) {
      this.fail(
        'commit survives restart',
        `node ${id} restarted with commit ${commitAfter} < durable commit ${durableCommit}`,
      );
    }
    const st = this.node(id);
    st.lastCommit = commitAfter;
    st.checkedCommit = 0;
    st.applied = 0;
  }

  /** The state machine applies entries in order, each the committed one. */
  onApply(id: NodeId, rec: AppliedEntry, nodeTerm: number): void {
    const st = this.node(id);
    if (rec.index !== st.applied + 1) {
      this.fail(
        'apply in order',
        `node ${id} applied ${rec.index} after ${st.applied} (gap or repeat)`,
      );
    }
    this.registerCommitted(rec.index, rec.term, rec.data, nodeTerm, `node ${id} applied`);
    st.applied = rec.index;
  }

  /** A snapshot stands for an applied prefix, which must be the committed one. */
  onSnapshotRestore(
    id: NodeId,
    snap: Snapshot,
    img: SnapshotImage,
    nodeTerm: number,
    atRestart: boolean,
  ): void {
    const st = this.node(id);
    const { index, term } = snap.metadata;
    if (!atRestart && index <= st.applied) {
      this.fail(
        'snapshot moves forward',
        `node ${id} was handed snapshot ${index} with ${st.applied} already applied`,
      );
    }
    const last = img.tail[img.tail.length - 1];
    if (img.index !== index || img.term !== term || (last !== undefined && last.index !== index)) {
      this.fail(
        'snapshot consistent',
        `node ${id}: snapshot metadata (${index}, ${term}) but its data is at (${img.index}, ${img.term})`,
      );
    }
    for (const rec of img.tail) {
      this.registerCommitted(rec.index, rec.term, rec.data, nodeTerm, `node ${id} snapshot`);
    }
    // Every index up to a snapshot was applied somewhere, so the prefix is known.
    while (this.prefixHash.length <= index) {
      const i = this.prefixHash.length;
      const c = this.committed.get(i);
      if (c === undefined) {
        this.fail('snapshot consistent', `node ${id}: snapshot ${index} covers unknown index ${i}`);
      }
      const h = this.prefixHash[i - 1] as number;
      this.prefixHash.push(chainHash(h, { index: i, term: c.term, data: c.data }));
    }
    if (this.prefixHash[index] !== img.hash) {
      this.fail(
        'snapshot consistent',
        `node ${id}: snapshot ${index} stands for a different history than the committed one`,
      );
    }
    st.applied = index;
    if (st.checkedCommit < index) st.checkedCommit = index;
  }

  onReadIssued(id: NodeId, context: string): void {
    this.reads.set(context, { node: id, floor: this.maxCommittedIndex });
  }

  /** ReadIndex is linearizable: the read point covers every commit that preceded the read. */
  onReadState(id: NodeId, rs: ReadState): void {
    const r = this.reads.get(rs.context);
    if (r === undefined) this.fail('read known', `node ${id} answered unknown read ${rs.context}`);
    if (r.node !== id) {
      this.fail('read on its node', `read ${rs.context} of node ${r.node} answered on node ${id}`);
    }
    if (rs.index < r.floor) {
      this.fail(
        'linearizable read',
        `node ${id} read ${rs.context} got index ${rs.index} but ${r.floor} was committed before it was issued`,
      );
    }
    if (rs.index > this.maxCommittedIndex) {
      this.fail(
        'read index committed',
        `node ${id} read ${rs.context} got index ${rs.index}, beyond any commit (${this.maxCommittedIndex})`,
      );
    }
  }
}
