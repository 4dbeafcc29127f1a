// RequestGuard: the authorize step of one request, shared by the authorizing
// wrappers of every service (./authorizing-client.ts). It holds who the
// caller is (or why authentication failed), maps calls to RBAC attributes,
// refuses with Unauthorized or Forbidden, and writes one audit line per
// mutating call, allowed or not.
import type { KindRegistry, ResourceInput } from '../store/index.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
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

export class RequestGuard {
  constructor(readonly ctx: RequestContext) {}

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

  /** The attributes of a write of `object` (`sub`: a subresource such as "status"). */
  objectAttributes(verb: Verb, object: ResourceInput, sub?: string): Attributes {
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
  async mutate<T>(
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
}
