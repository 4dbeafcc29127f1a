// Seeds where every client entry is a group of store commands (group commit:
// many writers' creates, an update, an atomic batch that fails and is undone),
// run through the randomized simulator (crashes at every point of the Ready
// cycle, so in the middle of applying a batch too, torn writes, snapshots,
// partitions) with the real ResourceStore applied on every node beside the
// recording state machine. Besides Raft's own invariants, checked after every
// step by the simulator:
//  - replicas agree: at every applied index every node's store has the same
//    revision and object counts, and at the end the same snapshot bytes;
//  - revisions strictly increase on every node, one per change;
//  - an entry is all or nothing: every create of a committed group is there,
//    with consecutive revisions, and nothing of an uncommitted one;
//  - a node whose state restarts from a snapshot (installed, or read back after
//    a crash) reaches the same state as the others.
// STORE_SIM_SEEDS sets the count (default 120); SIM_SEED replays one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runSimulation, type SimApplication } from '../../../../pkg/raft/testing/index.js';
import type { NodeId } from '../../../../pkg/raft/types.js';
import {
  ResourceStore,
  type Command,
  type Job,
  type WatchHandle,
} from '../../../../pkg/store/index.js';
import { input } from '../../store/fixtures.js';

/** A small Job (the store checks shape, not the schema): entries stay a few hundred bytes. */
const jobInput = (name: string, o: { labels?: Record<string, string> } = {}) =>
  input('Job', name, { spec: { image: 'x' }, ...o });

const file = 'dist/test/unit/raft/sim/store-batches.test.js';

/** Group n: 1 + n % 4 creates of Jobs g<n>-<k>, and every third one an update and a failing atomic batch. */
function groupOf(n: number): { data: string; creates: number } {
  const creates = 1 + (n % 4);
  const now = `2025-01-01T00:00:${String(n % 60).padStart(2, '0')}Z`;
  const commands: Command[] = [];
  for (let k = 0; k < creates; k++) {
    commands.push({ op: 'create', now, uid: `u${n}-${k}`, object: jobInput(`g${n}-${k}`) });
  }
  if (n % 3 === 0 && n > 1) {
    commands.push({
      op: 'update',
      object: jobInput(`g${n - 1}-0`, { labels: { touched: String(n) } }),
    });
    commands.push({
      op: 'batch',
      atomic: true,
      commands: [
        { op: 'create', now, uid: `x${n}`, object: jobInput(`gx${n}`) },
        { op: 'create', now, uid: `y${n}`, object: jobInput(`g${n}-0`) }, // exists: undoes gx<n>
      ],
    });
  }
  return { data: JSON.stringify({ op: 'group', commands }), creates };
}

/** The store on every simulated node, fed the entries that node applies. */
class StoreReplicas implements SimApplication {
  /** Entry data by index, as first applied (Raft's checker makes every node agree). */
  readonly committed = new Map<number, Uint8Array>();
  readonly stores = new Map<NodeId, ResourceStore>();
  private readonly watches = new Map<NodeId, WatchHandle>();
  /** What the first node to apply each index saw: revision and object counts. */
  private readonly atIndex = new Map<number, string>();

  applied(node: NodeId, index: number, data: Uint8Array, confChange: boolean): void {
    if (!this.committed.has(index)) this.committed.set(index, data.slice());
    const store = this.storeOf(node);
    // Configuration changes are the shell's own; the store only moves past them.
    store.apply(index, confChange ? new Uint8Array(0) : data);
    this.agree(node, index, store);
  }

  reset(node: NodeId, index: number): void {
    // The snapshot's state: the committed entries up to its index, replayed.
    this.watches.get(node)?.cancel();
    const store = new ResourceStore();
    for (let i = 1; i <= index; i++) {
      const data = this.committed.get(i);
      if (data !== undefined) store.apply(i, data);
    }
    this.watch(node, store);
    this.stores.set(node, store);
    if (index > 0) this.agree(node, index, store);
  }

  private storeOf(node: NodeId): ResourceStore {
    let store = this.stores.get(node);
    if (!store) {
      store = new ResourceStore();
      this.watch(node, store);
      this.stores.set(node, store);
    }
    return store;
  }

  /**
   * Revisions of one node's changes strictly increase, one per change, and a
   * group's creates (its first items) got consecutive ones.
   */
  private watch(node: NodeId, store: ResourceStore): void {
    let last = store.revision;
    const createdAt = new Map<string, number>();
    this.watches.set(
      node,
      store.watch('Job', { resourceVersion: String(store.revision) }, (e) => {
        const rv = Number(e.object.metadata.resourceVersion);
        if (rv !== last + 1) {
          throw new Error(`node ${node}: revision ${rv} after ${last} (one per change)`);
        }
        last = rv;
        const m = /^g(\d+)-(\d+)$/.exec(e.object.metadata.name);
        if (e.type !== 'ADDED' || !m) return;
        createdAt.set(e.object.metadata.name, rv);
        const before = createdAt.get(`g${m[1]}-${Number(m[2]) - 1}`);
        if (Number(m[2]) > 0 && before !== undefined && before !== rv - 1) {
          throw new Error(
            `node ${node}: ${e.object.metadata.name} at ${rv}, the one before at ${before}`,
          );
        }
      }),
    );
  }

  private agree(node: NodeId, index: number, store: ResourceStore): void {
    const state = `rev ${store.revision} ${JSON.stringify(store.counts())}`;
    const first = this.atIndex.get(index);
    if (first === undefined) this.atIndex.set(index, state);
    else if (first !== state) {
      throw new Error(`node ${node} at index ${index}: ${state}, another node had ${first}`);
    }
  }
}

function runSeed(seed: number): { groups: number; committed: number } {
  const app = new StoreReplicas();
  const groups = new Map<number, number>();
  runSimulation(seed, {
    payload: (n) => {
      const g = groupOf(n);
      groups.set(n, g.creates);
      return g.data;
    },
    application: app,
    // Entries of a few hundred bytes: snapshots (which carry the last entries)
    // in chunks of 16 bytes would not install within the liveness bound.
    snapshotChunkSize: 1024,
    replayHint: `SIM_SEED=${seed} node --test ${file}`,
  });
  // Converged: the nodes that applied the most agree byte for byte.
  const stores = [...app.stores.values()];
  const top = Math.max(...stores.map((s) => s.appliedIndex));
  const finals = stores.filter((s) => s.appliedIndex === top);
  const bytes = Buffer.from((finals[0] as ResourceStore).snapshot()).toString('base64');
  for (const s of finals) assert.equal(Buffer.from(s.snapshot()).toString('base64'), bytes);
  const store = finals[0] as ResourceStore;

  // All or nothing per entry, consecutive revisions within it.
  const inLog = new Set<number>();
  for (const data of app.committed.values()) {
    const m = /"name":"g(\d+)-0"/.exec(Buffer.from(data).toString('latin1'));
    if (m) inLog.add(Number(m[1]));
  }
  for (const [n, creates] of groups) {
    const found: Job[] = [];
    for (let k = 0; k < creates; k++) {
      const job = store.get('Job', 'default', `g${n}-${k}`);
      if (job) found.push(job);
    }
    if (!inLog.has(n)) {
      assert.equal(found.length, 0, `seed ${seed}: group ${n} never committed yet has Jobs`);
      continue;
    }
    assert.equal(found.length, creates, `seed ${seed}: group ${n} committed in part`);
    assert.deepEqual(
      found.map((j) => j.metadata.uid),
      Array.from({ length: creates }, (_, k) => `u${n}-${k}`),
    );
    assert.equal(
      store.get('Job', 'default', `gx${n}`),
      undefined,
      `seed ${seed}: undone batch left gx${n}`,
    );
  }
  return { groups: groups.size, committed: inLog.size };
}

const single = process.env.SIM_SEED;
const count = Number(process.env.STORE_SIM_SEEDS ?? 120);
const seeds =
  single !== undefined && single !== ''
    ? [Number(single)]
    : Array.from({ length: count }, (_, i) => 50_001 + i);

test(`entries carrying store groups: ${seeds.length} seeds, replicas agree, entries all or nothing`, (t) => {
  let groups = 0;
  let committed = 0;
  for (const seed of seeds) {
    const r = runSeed(seed);
    groups += r.groups;
    committed += r.committed;
  }
  assert.ok(committed > seeds.length, 'the seeds committed groups');
  t.diagnostic(`${seeds.length} seeds: ${groups} groups proposed, ${committed} committed`);
});
