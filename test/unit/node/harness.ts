// An in-process cluster of RaftNode shells over MemoryStorage and a
// MemoryNetwork, with the ResourceStore state machine, on the real clock with
// short ticks. put()/valueOf() write and read a key as a Job's annotation.
import { RaftNode, type RaftNodeOptions } from '../../../pkg/raft/node.js';
import { RawNode } from '../../../pkg/raft/rawnode.js';
import { MemoryStorage } from '../../../pkg/raft/storage/memory.js';
import type { LogStore } from '../../../pkg/raft/storage/storage.js';
import type { NodeId } from '../../../pkg/raft/types.js';
import {
  API_VERSION,
  encodeCommand,
  ResourceStore,
  type CommandResult,
  type ResourceStoreOptions,
} from '../../../pkg/store/index.js';
import { MemoryNetwork } from '../../../pkg/transport/memory.js';
import { SeededRng } from '../../../pkg/util/rng.js';
import { eventuallyTrue as eventually } from '../../support/eventually.js';

/** Waits until `cond()` holds, polling on (almost) every macrotask turn. */
export { eventually };

export interface TestMember {
  readonly id: NodeId;
  storage: LogStore;
  store: ResourceStore;
  node: RaftNode;
}

export type NodeOverrides = Partial<
  Omit<RaftNodeOptions, 'id' | 'core' | 'storage' | 'stateMachine' | 'network'>
>;

export class TestCluster {
  readonly net = new MemoryNetwork();
  readonly members = new Map<NodeId, TestMember>();

  constructor(
    readonly ids: readonly NodeId[],
    private readonly overrides: NodeOverrides = {},
    storageFor: (id: NodeId) => LogStore = () => new MemoryStorage({ peers: ids }),
    private readonly storeOptions: ResourceStoreOptions = {},
  ) {
    for (const id of ids) this.start(id, storageFor(id));
  }

  /** (Re)starts node `id` on `storage` (its durable state survives a restart). */
  start(id: NodeId, storage: LogStore = this.get(id).storage): TestMember {
    const core = new RawNode({
      id,
      peers: this.ids,
      storage,
      rng: new SeededRng(id * 7919),
      electionTick: 10,
      heartbeatTick: 1,
    });
    const store = new ResourceStore(this.storeOptions);
    const node = new RaftNode({
      id,
      core,
      storage,
      stateMachine: store,
      network: this.net.transport(id),
      initialConfState: { voters: [...this.ids], learners: [] },
      rng: new SeededRng(id),
      tickMs: 10,
      ...this.overrides,
    });
    node.start();
    const m = { id, storage, store, node };
    this.members.set(id, m);
    return m;
  }

  get(id: NodeId): TestMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** Makes node 1 campaign and waits until every running node knows the leader. */
  async elect(id: NodeId = this.ids[0] as NodeId): Promise<TestMember> {
    this.get(id).node.campaign();
    await eventually(
      () => [...this.members.values()].every((m) => m.node.leader() === id),
      10_000,
      'leader',
    );
    return this.get(id);
  }

  follower(): TestMember {
    const f = [...this.members.values()].find((m) => !m.node.isLeader());
    if (!f) throw new Error('no follower');
    return f;
  }

  async stop(): Promise<void> {
    for (const m of this.members.values()) await m.node.stop();
  }
}

/** A store command that sets `key` (a Job's name) to `value` (its annotation "v"). */
export function put(key: string, value: string): Uint8Array {
  return encodeCommand({
    op: 'apply',
    now: '2024-01-01T00:00:00.000Z',
    uid: `uid-${key}-${value}`,
    object: {
      apiVersion: API_VERSION,
      kind: 'Job',
      metadata: { name: key, annotations: { v: value } },
      spec: { image: 'busybox' },
    },
  });
}

/** The value put() last wrote for `key`, or undefined. */
export function valueOf(store: ResourceStore, key: string): string | undefined {
  return store.get('Job', 'default', key)?.metadata.annotations.v;
}

/** The outcome and revision of a put() result. */
export function putResult(res: unknown): { outcome: string; revision: number } {
  const r = res as CommandResult;
  if (!r.ok || r.outcome === 'batch') throw new Error(`unexpected result ${JSON.stringify(r)}`);
  return { outcome: r.outcome, revision: Number(r.object.metadata.resourceVersion) };
}
