// ApiService: the API server's one service layer, shared by the gRPC and REST
// adapters. It is a ResourceClient wrapped around the node's in-process client
// (LocalClient over the ResourceStore and a RaftProposer):
//
// - Every write (apply, create, update, updateStatus) passes admission first
//   (admission.ts): server defaults, schema validation with every error at
//   once (reason Invalid, one line per error), size limits, unknown kinds.
// - Writes then go through Raft. Any node accepts any call: a follower hands
//   the proposal to its Raft core, which forwards it to the leader as MsgProp,
//   and the call returns once the entry is applied on the node that was asked.
// - Reads are linearizable by default (a ReadIndex round, raft.read(), before
//   reading the local store); `consistency: 'stale'` reads the local copy.
// - Backpressure errors (TooManyRequests, Timeout, Unavailable) pass through
//   with their reasons. Authorization is a later issue: any caller may write
//   any kind (Runs and Nodes included).
import type {
  ApplyOptions,
  ApplyResult,
  ClusterStatus,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  ResourceClient,
  WatchOptions,
} from '../client/types.js';
import type { Resource, ResourceInput, WatchEvent } from '../store/index.js';
import { admit, type AdmissionOptions } from './admission.js';

export interface ApiServiceOptions extends AdmissionOptions {
  /** The node's in-process client (LocalClient with a Raft proposer and read barrier). */
  readonly inner: ResourceClient;
}

export class ApiService implements ResourceClient {
  private readonly inner: ResourceClient;
  private readonly admission: AdmissionOptions;

  constructor(opts: ApiServiceOptions) {
    this.inner = opts.inner;
    this.admission = { defaultImage: opts.defaultImage };
  }

  async apply<T extends Resource = Resource>(
    object: ResourceInput,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<T>> {
    return this.inner.apply<T>(admit(object, 'apply', this.admission), opts);
  }

  async create<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.create<T>(admit(object, 'create', this.admission));
  }

  async update<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.update<T>(admit(object, 'update', this.admission));
  }

  async updateStatus<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.updateStatus<T>(admit(object, 'updateStatus', this.admission));
  }

  get<T extends Resource = Resource>(
    kind: string,
    namespace: string,
    name: string,
    opts?: GetOptions,
  ): Promise<T> {
    return this.inner.get<T>(kind, namespace, name, opts);
  }

  list<T extends Resource = Resource>(kind: string, opts?: ListOptions): Promise<ListResult<T>> {
    return this.inner.list<T>(kind, opts);
  }

  watch(kind: string, opts?: WatchOptions): AsyncIterable<WatchEvent> {
    return this.inner.watch(kind, opts);
  }

  delete<T extends Resource = Resource>(
    kind: string,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<T> {
    return this.inner.delete<T>(kind, namespace, name, opts);
  }

  clusterStatus(): Promise<ClusterStatus> {
    return this.inner.clusterStatus();
  }

  transferLeader(to?: number): Promise<{ from: number; to: number; term: number }> {
    return this.inner.transferLeader(to);
  }

  close(): void {
    this.inner.close();
  }
}
