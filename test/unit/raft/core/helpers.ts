// A small deterministic network of RawNodes for the core's unit tests
// (modelled on etcd's raft_test.go `network`): every node's Ready is handled
// in the documented order (persist, send, apply, advance) against a
// MemoryStorage, and messages are delivered FIFO unless a filter, a cut link
// or an isolation drops them. Nothing sleeps: time is tick().
import type { RaftConfig } from '../../../../pkg/raft/config.js';
import { RawNode } from '../../../../pkg/raft/rawnode.js';
import { decodeConfChange } from '../../../../pkg/raft/raft.js';
import { MemoryStorage } from '../../../../pkg/raft/storage/memory.js';
import type {
  ConfState,
  Entry,
  Message,
  NodeId,
  ReadState,
  Ready,
  Snapshot,
} from '../../../../pkg/raft/types.js';
import { EntryType, Role } from '../../../../pkg/raft/types.js';
import { SeededRng } from '../../../../pkg/util/rng.js';

export type NodeOptions = Partial<Omit<RaftConfig, 'id' | 'storage' | 'rng'>>;

/** One node: its core, its storage and a trivial state machine (a list of strings). */
export interface TestNode {
  readonly id: NodeId;
  raft: RawNode;
  readonly storage: MemoryStorage;
  /** Data of every applied normal entry, in order (the "state machine"). */
  state: string[];
  readStates: ReadState[];
  /** Snapshots this node received through a Ready (installed from the leader). */
  installedSnapshots: Snapshot[];
  lastConfState: ConfState | undefined;
  options: NodeOptions;
}

/** Decides whether a message is delivered; returning false drops it. */
export type MessageFilter = (m: Message) => boolean;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

export class Network {
  readonly nodes = new Map<NodeId, TestNode>();
  /** Every message handed to the network (delivered or not), for counting. */
  readonly sent: Message[] = [];
  private readonly cut = new Set<string>();
  private readonly isolated = new Set<NodeId>();
  filter: MessageFilter | undefined;
  /** Rewrites a message in flight (e.g. strips entries), after the filter. */
  rewrite: ((m: Message) => Message) | undefined;
  private seed: number;

  constructor(ids: readonly NodeId[], opts: NodeOptions = {}, seed = 1) {
    this.seed = seed;
    for (const id of ids) this.addNode(id, new MemoryStorage(), { peers: ids, ...opts });
  }

  addNode(id: NodeId, storage: MemoryStorage, options: NodeOptions): TestNode {
    const node: TestNode = {
      id,
      raft: this.newRaw(id, storage, options),
      storage,
      state: [],
      readStates: [],
      installedSnapshots: [],
      lastConfState: undefined,
      options,
    };
    this.nodes.set(id, node);
    return node;
  }

  private newRaw(id: NodeId, storage: MemoryStorage, options: NodeOptions): RawNode {
    return new RawNode({
      peers: [],
      ...options,
      id,
      storage,
      rng: new SeededRng(this.seed * 1000 + id),
    });
  }

  /** Replaces a node's RawNode by a fresh one on the same storage (a crash + restart). */
  restart(id: NodeId, options: NodeOptions = {}): TestNode {
    const n = this.node(id);
    this.seed++;
    n.raft = this.newRaw(id, n.storage, { ...n.options, ...options });
    // The state machine restarts from the storage snapshot.
    const snap = n.storage.snapshot();
    n.state = snap.metadata.index > 0 ? decodeState(snap.data) : [];
    return n;
  }

  node(id: NodeId): TestNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  raft(id: NodeId): RawNode {
    return this.node(id).raft;
  }

  // Faults -----------------------------------------------------------------

  isolate(id: NodeId): void {
    this.isolated.add(id);
  }

  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}-${b}`);
    this.cut.add(`${b}-${a}`);
  }

  heal(): void {
    this.isolated.clear();
    this.cut.clear();
    this.filter = undefined;
    this.rewrite = undefined;
  }

  private delivers(m: Message): boolean {
    if (this.isolated.has(m.from) || this.isolated.has(m.to)) return false;
    if (this.cut.has(`${m.from}-${m.to}`)) return false;
    if (!this.nodes.has(m.to)) return false;
    return this.filter ? this.filter(m) : true;
  }

  // Driving ----------------------------------------------------------------

  /** Handles one node's Ready like a shell would; returns the messages to send. */
  handleReady(id: NodeId): Message[] {
    const n = this.node(id);
    if (!n.raft.hasReady()) return [];
    const rd: Ready = n.raft.ready();
    n.storage.saveSync({
      entries: rd.entries,
      ...(rd.hardState ? { hardState: rd.hardState } : {}),
      ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
    });
    if (rd.snapshot) {
      n.installedSnapshots.push(rd.snapshot);
      n.state = decodeState(rd.snapshot.data);
    }
    for (const e of rd.committedEntries) this.apply(n, e);
    n.readStates.push(...rd.readStates);
    n.raft.advance(rd);
    return [...rd.messages, ...rd.messagesAfterPersist];
  }

  private apply(n: TestNode, e: Entry): void {
    if (e.type === EntryType.ConfChange) {
      n.lastConfState = n.raft.applyConfChange(decodeConfChange(e.data));
    } else if (e.data.byteLength > 0) {
      n.state.push(dec.decode(e.data));
    }
  }

  /** Collects every node's pending output without delivering it. */
  collect(): Message[] {
    const out: Message[] = [];
    for (const id of [...this.nodes.keys()].sort((a, b) => a - b))
      out.push(...this.handleReady(id));
    return out;
  }

  /** Delivers messages (subject to faults), FIFO. */
  deliver(msgs: readonly Message[]): void {
    for (const m of msgs) {
      this.sent.push(m);
      if (this.delivers(m)) this.node(m.to).raft.step(this.rewrite ? this.rewrite(m) : m);
    }
  }

  /** Runs Ready handling and delivery until nothing is left to do. */
  stabilize(maxRounds = 10_000): void {
    for (let i = 0; i < maxRounds; i++) {
      const msgs = this.collect();
      if (msgs.length === 0 && ![...this.nodes.values()].some((n) => n.raft.hasReady())) return;
      this.deliver(msgs);
    }
    throw new Error('network did not stabilize');
  }

  /** Ticks every node n times, stabilizing after each tick. */
  tick(n = 1, ids: readonly NodeId[] = [...this.nodes.keys()]): void {
    for (let i = 0; i < n; i++) {
      for (const id of ids) this.raft(id).tick();
      this.stabilize();
    }
  }

  /** Ticks until `pred` holds (or fails after maxTicks). */
  tickUntil(pred: () => boolean, maxTicks = 1000): number {
    for (let i = 0; i < maxTicks; i++) {
      if (pred()) return i;
      this.tick(1);
    }
    if (pred()) return maxTicks;
    throw new Error(`condition not reached within ${maxTicks} ticks`);
  }

  /** Makes `id` campaign and settles the result. */
  elect(id: NodeId): void {
    this.raft(id).campaign();
    this.stabilize();
    if (this.raft(id).status().role !== Role.Leader)
      throw new Error(`node ${id} did not become leader`);
  }

  propose(id: NodeId, data: string): void {
    this.raft(id).propose(bytes(data));
  }

  leaders(): NodeId[] {
    return [...this.nodes.values()]
      .filter((n) => n.raft.status().role === Role.Leader)
      .map((n) => n.id);
  }

  /** Messages sent so far of one type, optionally to one node. */
  count(type: Message['type'], to?: NodeId): number {
    return this.sent.filter((m) => m.type === type && (to === undefined || m.to === to)).length;
  }
}

export function encodeState(state: readonly string[]): Uint8Array {
  return enc.encode(JSON.stringify(state));
}

export function decodeState(data: Uint8Array): string[] {
  return JSON.parse(dec.decode(data)) as string[];
}

/** Builds log entries [from..from+terms.length) with the given terms. */
export function entriesWithTerms(from: number, terms: readonly number[]): Entry[] {
  return terms.map((term, i) => ({
    term,
    index: from + i,
    type: EntryType.Normal,
    data: bytes(`e${from + i}t${term}`),
  }));
}

/** A storage preloaded with a log and hard state (to build divergent logs). */
export function preloadedStorage(
  peers: readonly NodeId[],
  terms: readonly number[],
  hard: { term: number; vote: NodeId; commit: number },
): MemoryStorage {
  const s = new MemoryStorage({ peers });
  s.saveSync({ entries: entriesWithTerms(1, terms), hardState: hard });
  return s;
}
