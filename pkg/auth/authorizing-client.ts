// The authorize layer of the service stack (pkg/api/stack.ts): the node's
// services as one authenticated caller sees them. Both API adapters (gRPC and
// REST) get them per request from the stack, so one authorizer decides for
// both. Every call maps to RBAC attributes (verb, resource, namespace, name)
// and is refused with Forbidden (or Unauthorized, when authentication failed)
// before it reaches the service; every mutating call, allowed or not, becomes
// one audit line (./request-guard.ts). AccessReview creates are answered here
// and never stored.
//
// In-process components (controllers, agent, registration) enter the stack
// below this layer (docs/architecture.md, "who enters where").
import { DelegatingClient } from '../client/index.js';
import type {
  ApplyOptions,
  ApplyResult,
  ClusterAdminClient,
  ClusterStatus,
  AddMemberOptions,
  MembershipResult,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  LogsClient,
  LogsOptions,
  NodeRaftStatus,
  ResourceClient,
  RunLogCopy,
  TransferResult,
  WatchOptions,
} from '../client/index.js';
import {
  ofKind,
  type Resource,
  type ResourceInput,
  type ResourceOf,
  type WatchEvent,
} from '../store/index.js';
import {
  ACCESS_REVIEW_KIND,
  CLUSTER_RESOURCE,
  answeredReview,
  reviewAttributes,
  type AccessReviewSpec,
} from './access-review.js';
import { authorize, type Attributes } from './rbac.js';
import type { RequestGuard } from './request-guard.js';

/** Reading the cluster's (or one node's) Raft view. */
const CLUSTER_READ: Attributes = { verb: 'get', resource: CLUSTER_RESOURCE, namespace: '' };

export class AuthorizingClient extends DelegatingClient {
  constructor(
    inner: ResourceClient,
    private readonly guard: RequestGuard,
  ) {
    super(inner);
  }

  override apply<O extends ResourceInput>(
    object: O,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<ResourceOf<O['kind']>>> {
    return this.guard.mutate(
      this.guard.objectAttributes('apply', object),
      () => super.apply(object, opts),
      {
        dryRun: opts?.dryRun === 'server',
      },
    );
  }

  override create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    if (object.kind === ACCESS_REVIEW_KIND) {
      return Promise.resolve(ofKind<O['kind']>(object.kind, this.review(object)));
    }
    return this.guard.mutate(
      this.guard.objectAttributes('create', object),
      () => super.create(object),
      {
        nameOf: (r) => r.metadata.name,
      },
    );
  }

  override update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.guard.mutate(this.guard.objectAttributes('update', object), () =>
      super.update(object),
    );
  }

  override updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.guard.mutate(this.guard.objectAttributes('update', object, 'status'), () =>
      super.updateStatus(object),
    );
  }

  override delete<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<ResourceOf<K>> {
    return this.guard.mutate(
      this.guard.attributes('delete', kind, namespace || 'default', name),
      () => super.delete(kind, namespace, name, opts),
      { dryRun: opts?.dryRun === 'server' },
    );
  }

  override async get<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: GetOptions,
  ): Promise<ResourceOf<K>> {
    this.guard.check(this.guard.attributes('get', kind, namespace || 'default', name));
    return super.get(kind, namespace, name, opts);
  }

  override async list<K extends string>(
    kind: K,
    opts?: ListOptions,
  ): Promise<ListResult<ResourceOf<K>>> {
    this.guard.check(this.guard.attributes('list', kind, opts?.namespace || undefined));
    return super.list(kind, opts);
  }

  /** Checked when called (before the first event), so a refusal is a plain error. */
  override watch<K extends string>(
    kind: K,
    opts?: WatchOptions,
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    this.guard.check(this.guard.attributes('watch', kind, opts?.namespace || undefined));
    return super.watch(kind, opts);
  }

  private review(object: ResourceInput): Resource {
    const id = this.guard.identity();
    const ctx = this.guard.ctx;
    // Unchecked: reviewAttributes reads each field defensively (a string or not).
    const spec = (object.spec ?? {}) as AccessReviewSpec;
    const a = reviewAttributes(spec, ctx.kinds);
    const d = ctx.enforce ? authorize(id, a, ctx.bindings) : { allowed: true, reason: '' };
    return answeredReview(spec, {
      allowed: d.allowed,
      reason: d.reason,
      user: id.user,
      groups: id.groups,
      via: id.via,
    }) as unknown as Resource; // never stored, so no uid or resourceVersion: sent back as it is
  }
}

/** Cluster administration: reading the Raft view needs get on "cluster", a leadership transfer update (audited). */
export class AuthorizingClusterAdmin implements ClusterAdminClient {
  constructor(
    private readonly inner: ClusterAdminClient,
    private readonly guard: RequestGuard,
  ) {}

  async nodeStatus(): Promise<NodeRaftStatus> {
    this.guard.check(CLUSTER_READ);
    return this.inner.nodeStatus();
  }

  async clusterStatus(): Promise<ClusterStatus> {
    this.guard.check(CLUSTER_READ);
    return this.inner.clusterStatus();
  }

  transferLeader(to?: number): Promise<TransferResult> {
    return this.guard.mutate(CLUSTER_UPDATE, () => this.inner.transferLeader(to));
  }

  /** A backup holds every object (tokens' hashes included): update on "cluster", like a membership change. */
  snapshot(): AsyncIterable<Uint8Array> {
    this.guard.check(CLUSTER_UPDATE);
    return this.inner.snapshot();
  }

  addMember(id: number, address: string, opts?: AddMemberOptions): Promise<MembershipResult> {
    return this.guard.mutate(CLUSTER_UPDATE, () => this.inner.addMember(id, address, opts));
  }

  promoteMember(id: number): Promise<MembershipResult> {
    return this.guard.mutate(CLUSTER_UPDATE, () => this.inner.promoteMember(id));
  }

  removeMember(id: number): Promise<MembershipResult> {
    return this.guard.mutate(CLUSTER_UPDATE, () => this.inner.removeMember(id));
  }
}

/** Changing the cluster itself (leadership, membership) or copying all of it. */
const CLUSTER_UPDATE: Attributes = { verb: 'update', resource: CLUSTER_RESOURCE, namespace: '' };

/**
 * A Run's output: "logs" on runs in its namespace. A localOnly request is one
 * node proxying for another: nodes and cluster admins only. Checked when
 * called (before the first chunk), so a refusal is a plain error.
 */
export class AuthorizingLogs implements LogsClient {
  constructor(
    private readonly inner: LogsClient,
    private readonly guard: RequestGuard,
  ) {}

  logs(opts: LogsOptions): AsyncIterable<Uint8Array> {
    if (opts.localOnly) this.guard.check(CLUSTER_READ);
    else
      this.guard.check({ verb: 'logs', resource: 'runs', namespace: opts.namespace || 'default' });
    return this.inner.logs(opts);
  }

  /** Keeping another node's log copy is node to node: update on "cluster" (nodes, cluster admins). */
  async saveCopy(copy: RunLogCopy): Promise<void> {
    this.guard.check(CLUSTER_UPDATE);
    return this.inner.saveCopy(copy);
  }
}
