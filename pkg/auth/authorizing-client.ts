// AuthorizingClient: the node's ApiService as one authenticated caller sees
// it. Both API adapters (gRPC and REST) build one per request and serve the
// request with it, so one authorizer decides for both. Every call maps to RBAC
// attributes (verb, resource, namespace, name) and is refused with Forbidden
// (or Unauthorized, when authentication failed) before it reaches the
// service; every mutating call, allowed or not, becomes one audit line.
// AccessReview creates are answered here and never stored.
//
// In-process components (controllers, agent, registration) use the
// ApiService or LocalClient directly and never pass through here.
import { DelegatingClient } from '../client/index.js';
import type {
  ApplyOptions,
  ApplyResult,
  ClusterStatus,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  LogsOptions,
  ResourceClient,
  WatchOptions,
} from '../client/index.js';
import {
  ofKind,
  type KindRegistry,
  type Resource,
  type ResourceInput,
  type ResourceOf,
  type WatchEvent,
} from '../store/index.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
import {
  ACCESS_REVIEW_KIND,
  CLUSTER_RESOURCE,
  answeredReview,
  reviewAttributes,
  type AccessReviewSpec,
} from './access-review.js';
import type { AuditRecord, AuditSink } from './audit.js';
import type { Identity } from './identity.js';
import { authorize, type Attributes, type BindingSource, type Verb } from './rbac.js';

export interface RequestContext {
  /** The caller, or why authentication failed (Unauthorized). */
  readonly identity: Identity | JobctlError;
  /** false: auth is off (everything allowed; still audited when a sink is given). */
  readonly enforce: boolean;
  readonly bindings: BindingSource;
  readonly kinds: KindRegistry;
  readonly audit?: AuditSink;
  readonly protocol: 'grpc' | 'rest';
  /** The serving node's name (audit lines). */
  readonly node: string;
  readonly now: () => number;
}

type Meta = { name?: string; namespace?: string };

export class AuthorizingClient extends DelegatingClient {
  constructor(
    inner: ResourceClient,
    private readonly ctx: RequestContext,
  ) {
    super(inner);
  }

  /** The caller (throws Unauthorized when authentication failed). */
  identity(): Identity {
    if (this.ctx.identity instanceof JobctlError) throw this.ctx.identity;
    return this.ctx.identity;
  }

  /** Throws Unauthorized or Forbidden unless the caller may do `a`. */
  check(a: Attributes): void {
    const id = this.identity();
    if (!this.ctx.enforce) return;
    const d = authorize(id, a, this.ctx.bindings);
    if (!d.allowed) throw new JobctlError(Reason.Forbidden, d.reason);
  }

  /** The attributes of a call on `kind` (any alias) in `namespace`. */
  attributes(verb: Verb, kind: string, namespace: string | undefined, name?: string): Attributes {
    const info = this.ctx.kinds.resolve(kind);
    // An unknown kind gets a resource only admins hold; the service then
    // answers with its own error (Invalid or NotFound), and nothing is written.
    const resource = info?.plural ?? `${kind.toLowerCase()}`;
    const ns = info && !info.namespaced ? '' : namespace;
    return { verb, resource, namespace: ns, ...(name ? { name } : {}) };
  }

  private objectAttributes(verb: Verb, object: ResourceInput, sub?: string): Attributes {
    const meta = (object.metadata ?? {}) as Meta;
    const a = this.attributes(
      verb,
      String(object.kind ?? ''),
      meta.namespace || 'default',
      meta.name,
    );
    return sub ? { ...a, resource: `${a.resource}/${sub}` } : a;
  }

  /** check + the call + one audit line, whatever happens. */
  private async mutate<T>(
    a: Attributes,
    fn: () => Promise<T>,
    opts: { dryRun?: boolean; nameOf?: (r: T) => string | undefined } = {},
  ): Promise<T> {
    try {
      this.check(a);
      const result = await fn();
      await this.audit(a, undefined, opts.dryRun, opts.nameOf?.(result));
      return result;
    } catch (err) {
      await this.audit(a, err, opts.dryRun);
      throw err;
    }
  }

  private async audit(a: Attributes, err: unknown, dryRun?: boolean, name?: string): Promise<void> {
    const sink = this.ctx.audit;
    if (!sink) return;
    const id = this.ctx.identity instanceof JobctlError ? undefined : this.ctx.identity;
    const rec: AuditRecord = {
      time: new Date(this.ctx.now()).toISOString(),
      node: this.ctx.node,
      protocol: this.ctx.protocol,
      user: id?.user ?? '',
      groups: id?.groups ?? [],
      via: id?.via ?? '',
      verb: a.verb,
      resource: a.resource,
      namespace: a.namespace ?? '',
      name: name ?? a.name ?? '',
      ...(dryRun ? { dryRun: true } : {}),
      ...(err === undefined
        ? { result: 'success' as const }
        : {
            result: 'failure' as const,
            reason: err instanceof JobctlError ? err.reason : Reason.Internal,
            message: errorMessage(err),
          }),
    };
    await sink.record(rec);
  }

  override apply<O extends ResourceInput>(
    object: O,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<ResourceOf<O['kind']>>> {
    return this.mutate(this.objectAttributes('apply', object), () => super.apply(object, opts), {
      dryRun: opts?.dryRun === 'server',
    });
  }

  override create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    if (object.kind === ACCESS_REVIEW_KIND) {
      return Promise.resolve(ofKind<O['kind']>(object.kind, this.review(object)));
    }
    return this.mutate(this.objectAttributes('create', object), () => super.create(object), {
      nameOf: (r) => r.metadata.name,
    });
  }

  override update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.mutate(this.objectAttributes('update', object), () => super.update(object));
  }

  override updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.mutate(this.objectAttributes('update', object, 'status'), () =>
      super.updateStatus(object),
    );
  }

  override delete<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<ResourceOf<K>> {
    return this.mutate(
      this.attributes('delete', kind, namespace || 'default', name),
      () => super.delete(kind, namespace, name, opts),
      { dryRun: opts?.dryRun === 'server' },
    );
  }

  override transferLeader(to?: number): Promise<{ from: number; to: number; term: number }> {
    const a: Attributes = { verb: 'update', resource: CLUSTER_RESOURCE, namespace: '' };
    return this.mutate(a, () => super.transferLeader(to));
  }

  override async get<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: GetOptions,
  ): Promise<ResourceOf<K>> {
    this.check(this.attributes('get', kind, namespace || 'default', name));
    return super.get(kind, namespace, name, opts);
  }

  override async list<K extends string>(
    kind: K,
    opts?: ListOptions,
  ): Promise<ListResult<ResourceOf<K>>> {
    this.check(this.attributes('list', kind, opts?.namespace || undefined));
    return super.list(kind, opts);
  }

  /** Checked when called (before the first event), so a refusal is a plain error. */
  override watch<K extends string>(
    kind: K,
    opts?: WatchOptions,
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    this.check(this.attributes('watch', kind, opts?.namespace || undefined));
    return super.watch(kind, opts);
  }

  override async clusterStatus(): Promise<ClusterStatus> {
    this.check({ verb: 'get', resource: CLUSTER_RESOURCE, namespace: '' });
    return super.clusterStatus();
  }

  /** A Run's output (REST; gRPC's Logs RPC checks with checkLogs), when the inner client serves logs. */
  logs(opts: LogsOptions): AsyncIterable<Uint8Array> {
    this.checkLogs(opts.namespace ?? '');
    const inner = this.inner.logs?.bind(this.inner);
    if (!inner) throw new JobctlError(Reason.NotFound, 'logs are not served by this server');
    return inner(opts);
  }

  /** Logs of a Run (or a Job's latest Run) in `namespace`. */
  checkLogs(namespace: string): void {
    this.check({ verb: 'logs', resource: 'runs', namespace: namespace || 'default' });
  }

  /** This node's Raft view (NodeStatus): what cluster status needs. */
  checkNodeStatus(): void {
    this.check({ verb: 'get', resource: CLUSTER_RESOURCE, namespace: '' });
  }

  /** Node-to-node calls (a Logs proxy hop): cluster admins and nodes only. */
  checkPeer(): void {
    this.check({ verb: 'get', resource: CLUSTER_RESOURCE, namespace: '' });
  }

  private review(object: ResourceInput): Resource {
    const id = this.identity();
    // Unchecked: reviewAttributes reads each field defensively (a string or not).
    const spec = (object.spec ?? {}) as AccessReviewSpec;
    const a = reviewAttributes(spec, this.ctx.kinds);
    const d = this.ctx.enforce
      ? authorize(id, a, this.ctx.bindings)
      : { allowed: true, reason: '' };
    return answeredReview(spec, {
      allowed: d.allowed,
      reason: d.reason,
      user: id.user,
      groups: id.groups,
      via: id.via,
    }) as unknown as Resource; // never stored, so no uid or resourceVersion: sent back as it is
  }
}
