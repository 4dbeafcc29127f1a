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
// - Jobs and CronJobs then pass policy admission (policy-admission.ts): the
//   SandboxPolicies of their namespace must allow the sandbox they ask for
//   (reason Forbidden otherwise). Status writes are not policed.
// - Backpressure errors (TooManyRequests, Timeout, Unavailable) pass through
//   with their reasons. Authentication and authorization (jobd --auth) wrap
//   this service per request in the adapters (pkg/auth AuthorizingClient);
//   in-process components call it directly.
import { DelegatingClient } from '../client/delegating.js';
import type { ApplyOptions, ApplyResult, ResourceClient } from '../client/types.js';
import type { Resource, ResourceInput } from '../store/index.js';
import { admit, type AdmissionOptions, type WriteKind } from './admission.js';
import { checkSandboxPolicy } from './policy-admission.js';

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
    return this.inner.apply<T>(await this.admitWithPolicy(object, 'apply'), opts);
  }

  override async create<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.create<T>(await this.admitWithPolicy(object, 'create'));
  }

  override async update<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.update<T>(await this.admitWithPolicy(object, 'update'));
  }

  override async updateStatus<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.updateStatus<T>(admit(object, 'updateStatus', this.admission));
  }

  /** Pure admission (validation, defaults), then the namespace's sandbox policy. */
  private async admitWithPolicy(object: ResourceInput, write: WriteKind): Promise<ResourceInput> {
    const admitted = admit(object, write, this.admission);
    await checkSandboxPolicy(admitted, this.inner);
    return admitted;
  }
}
