// AuthService: authentication, authorization and audit for one node, built
// once by pkg/node; the service stack (pkg/api/stack.ts) calls it for every
// request of both API adapters:
//
//   const s = await auth.forRequest(credentials, 'grpc', inner);  // never throws
//   await s.resources.apply(obj);   // Unauthorized / Forbidden / the service's answer
//
// With auth off (the default) every caller is anonymous and allowed, and the
// stack leaves this layer out unless an audit log is configured.
import type { ApiServices, ResourceClient } from '../client/index.js';
import type { KindRegistry, Resource, ResourceStore } from '../store/index.js';
import { defaultKinds } from '../store/index.js';
import { JobctlError, errorMessage } from '../util/errors.js';
import { AuditLog, type AuditLogOptions } from './audit.js';
import { Authenticator, type Credentials, type StoredToken } from './authenticator.js';
import {
  AuthorizingClient,
  AuthorizingClusterAdmin,
  AuthorizingLogs,
} from './authorizing-client.js';
import { RequestGuard } from './request-guard.js';
import { storeBindings } from './bindings.js';
import { ensureBootstrapToken, readTokenFile, type BootstrapLogger } from './bootstrap.js';
import { ANONYMOUS } from './identity.js';
import { hashSecret } from './tokens.js';
import { isReason, Reason } from '../util/errors.js';

export interface AuthServiceOptions {
  /** Enforce authentication and authorization (jobd --auth). */
  readonly enabled: boolean;
  /**
   * The node's admitted resources (admission, Raft writes, linearizable
   * reads): token lookups and the bootstrap Token.
   */
  readonly api: ResourceClient;
  readonly store: ResourceStore;
  readonly nodeName: string;
  /** --bootstrap-token-file. */
  readonly bootstrapTokenFile?: string;
  /** The audit log; omitted: no audit. */
  readonly audit?: AuditLogOptions;
  readonly logger: BootstrapLogger;
  readonly kinds?: KindRegistry;
  readonly now?: () => number;
}

export type Protocol = 'grpc' | 'rest';

/** This node's Raft leadership, as RaftNode reports it (no polling). */
export interface Leadership {
  isLeader(): boolean;
  /** Calls `fn` on every change of role; returns an unsubscribe function. */
  onRoleChange(fn: (change: { readonly role: string }) => void): () => void;
}

export class AuthService {
  private readonly authenticator: Authenticator;
  private readonly audit: AuditLog | undefined;
  private readonly now: () => number;
  private readonly kinds: KindRegistry;
  /** The token FILE held when the node started (static admin), if any. */
  private readonly fileToken: string | undefined;
  private readonly fileHash: string | undefined;
  private bootstrapped = false;
  private bootstrapping: Promise<void> | undefined;

  constructor(private readonly o: AuthServiceOptions) {
    this.now = o.now ?? Date.now;
    this.kinds = o.kinds ?? defaultKinds;
    this.fileToken =
      o.enabled && o.bootstrapTokenFile ? readTokenFile(o.bootstrapTokenFile) : undefined;
    this.fileHash = this.fileToken === undefined ? undefined : hashSecret(this.fileToken);
    this.bootstrapped = this.fileToken !== undefined;
    this.authenticator = new Authenticator({
      // A linearizable get: after a ReadIndex barrier, so a revoked token is gone.
      lookup: async (name) => {
        try {
          return await o.api.get('Token', '', name).then((t) => t as Resource<StoredToken['spec']>);
        } catch (err) {
          if (isReason(err, Reason.NotFound)) return undefined;
          throw err;
        }
      },
      bootstrapHash: () => this.fileHash,
      now: this.now,
    });
    this.audit = o.audit
      ? new AuditLog({
          ...o.audit,
          onError: (err) =>
            o.logger.warn('cannot write the audit log', {
              file: o.audit?.path,
              error: errorMessage(err),
            }),
        })
      : undefined;
  }

  get enabled(): boolean {
    return this.o.enabled;
  }

  /** Whether the adapters need a per-request client at all. */
  get active(): boolean {
    return this.o.enabled || this.audit !== undefined;
  }

  /**
   * Authenticates the caller and returns the services that serve this one
   * request around `inner` (the stack's next layer down); authentication
   * failures surface on their calls (Unauthorized), never here.
   */
  async forRequest(
    creds: Credentials,
    protocol: Protocol,
    inner: ApiServices,
  ): Promise<ApiServices> {
    let identity;
    if (!this.o.enabled) identity = ANONYMOUS;
    else {
      try {
        identity = await this.authenticator.authenticate(creds);
      } catch (err) {
        if (!(err instanceof JobctlError)) throw err;
        identity = err;
      }
    }
    const guard = new RequestGuard({
      identity,
      enforce: this.o.enabled,
      bindings: storeBindings(this.o.store),
      kinds: this.kinds,
      audit: this.audit,
      protocol,
      node: this.o.nodeName,
      now: this.now,
    });
    return {
      resources: new AuthorizingClient(inner.resources, guard),
      cluster: new AuthorizingClusterAdmin(inner.cluster, guard),
      logs: new AuthorizingLogs(inner.logs, guard),
    };
  }

  private leadership: Leadership | undefined;
  private unfollow: (() => void) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = 500;
  private closed = false;

  /**
   * Follows leadership until the cluster has its bootstrap token: when this
   * node leads a cluster without a token file, it creates it (retried every
   * retryMs while it leads, if the write fails).
   */
  start(leadership: Leadership, retryMs = 500): void {
    if (!this.o.enabled || !this.o.bootstrapTokenFile || this.bootstrapped) return;
    if (this.leadership) return;
    this.leadership = leadership;
    this.retryMs = retryMs;
    this.unfollow = leadership.onRoleChange((change) => this.onLeader(change.role === 'leader'));
    this.onLeader(leadership.isLeader());
  }

  /** The leader of a cluster without a bootstrap token file creates the bootstrap Token (once). */
  onLeader(isLeader: boolean): void {
    const file = this.o.bootstrapTokenFile;
    if (!this.o.enabled || !file || this.bootstrapped || this.bootstrapping || !isLeader) return;
    if (this.closed) return;
    this.bootstrapping = ensureBootstrapToken(this.o.api, file, this.o.logger)
      .then((done) => {
        this.bootstrapped = done;
        if (done) this.unfollow?.();
      })
      .catch((err: unknown) => {
        this.o.logger.warn('bootstrap token not created yet; retrying', {
          error: errorMessage(err),
        });
        this.retryLater();
      })
      .finally(() => {
        this.bootstrapping = undefined;
      });
  }

  /** Tries again after retryMs if this node still leads then. */
  private retryLater(): void {
    const leadership = this.leadership;
    if (!leadership || this.closed) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.onLeader(leadership.isLeader()), this.retryMs);
    this.retryTimer.unref();
  }

  /** Writes pending audit lines and closes the file. */
  async close(): Promise<void> {
    this.closed = true;
    this.unfollow?.();
    clearTimeout(this.retryTimer);
    await this.bootstrapping;
    await this.audit?.close();
  }
}
