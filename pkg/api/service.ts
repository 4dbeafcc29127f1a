// ApiService: the admit layer of the service stack (./stack.ts), shared by the
// gRPC and REST adapters. It is a ResourceClient wrapped around the node's
// in-process client (LocalClient over the ResourceStore and a RaftProposer):
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
//   (reason Forbidden otherwise), and a Queue they name must exist
//   (queue-admission.ts; reason Invalid otherwise). Status writes are not policed.
// - A server dry run of a Job also says where its first Run would be placed
//   now, or why it would wait (dry-run-placement.ts).
// - Backpressure errors (TooManyRequests, Timeout, Unavailable) pass through
//   with their reasons. Authentication, authorization and metrics wrap this
//   layer per request (./stack.ts); in-process components that want
//   admission (registration, the bootstrap Token) call it directly.
import { DelegatingClient } from '../client/index.js';
import type { ApplyOptions, ApplyResult, ResourceClient } from '../client/index.js';
import { ofKind, type ResourceInput, type ResourceOf } from '../store/index.js';
import { admit, type AdmissionOptions, type WriteKind } from './admission.js';
import { checkSandboxPolicy } from './policy-admission.js';
import { checkQueueExists } from './queue-admission.js';
import { withPlacement } from './dry-run-placement.js';

export interface ApiServiceOptions extends AdmissionOptions {
  /** The node's in-process client (LocalClient with a Raft proposer and read barrier). */
  readonly inner: ResourceClient;
}

export class ApiService extends DelegatingClient {
  private readonly admission: AdmissionOptions;

  constructor(opts: ApiServiceOptions) {
    super(opts.inner);
    this.admission = { defaultImage: opts.defaultImage, nowMs: opts.nowMs };
  }

  // Admission never changes an object's kind, so what the store answers is of
  // the kind the caller wrote (ofKind says so to the compiler).
  override async apply<O extends ResourceInput>(
    object: O,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<ResourceOf<O['kind']>>> {
    const result = await this.inner.apply(await this.admitWithPolicy(object, 'apply'), opts);
    let answer = result.object;
    if (opts?.dryRun === 'server' && answer.kind === 'Job') {
      // Where the first Run would go now (dry-run-placement.ts); best effort:
      // a dry run that cannot read the cluster still answers.
      answer = await withPlacement(answer, this.inner, Date.now()).catch(() => answer);
    }
    return { ...result, object: ofKind<O['kind']>(object.kind, answer) };
  }

  override async create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    const created = await this.inner.create(await this.admitWithPolicy(object, 'create'));
    return ofKind<O['kind']>(object.kind, created);
  }

  override async update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    const updated = await this.inner.update(await this.admitWithPolicy(object, 'update'));
    return ofKind<O['kind']>(object.kind, updated);
  }

  override async updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    const updated = await this.inner.updateStatus(admit(object, 'updateStatus', this.admission));
    return ofKind<O['kind']>(object.kind, updated);
  }

  /** Pure admission (validation, defaults), then the namespace's sandbox policy and the queue. */
  private async admitWithPolicy(object: ResourceInput, write: WriteKind): Promise<ResourceInput> {
    const admitted = admit(object, write, this.admission);
    await checkSandboxPolicy(admitted, this.inner);
    await checkQueueExists(admitted, this.inner);
    return admitted;
  }
}
