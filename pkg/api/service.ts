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
import { DelegatingClient } from '../client/delegating.js';
import type { ApplyOptions, ApplyResult, ResourceClient } from '../client/types.js';
import type { Resource, ResourceInput } from '../store/index.js';
import { admit, type AdmissionOptions } from './admission.js';

export interface ApiServiceOptions extends AdmissionOptions {
  /** The node's in-process client (LocalClient with a Raft proposer and read barrier). */
  readonly inner: ResourceClient;
}

export class ApiService extends DelegatingClient {
  private readonly admission: AdmissionOptions;

  constructor(opts: ApiServiceOptions) {
    super(opts.inner);
    this.admission = { defaultImage: opts.defaultImage };
  }

  override async apply<T extends Resource = Resource>(
    object: ResourceInput,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<T>> {
    return this.inner.apply<T>(admit(object, 'apply', this.admission), opts);
  }

  override async create<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.create<T>(admit(object, 'create', this.admission));
  }

  override async update<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.update<T>(admit(object, 'update', this.admission));
  }

  override async updateStatus<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.updateStatus<T>(admit(object, 'updateStatus', this.admission));
  }
}
