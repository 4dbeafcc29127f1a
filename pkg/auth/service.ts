// AuthService: authentication, authorization and audit for one node, built
// once by pkg/node and used by both API adapters:
//
//   const client = await auth.forRequest(credentials, 'grpc');  // never throws
//   await client.apply(obj);   // Unauthorized / Forbidden / the service's answer
//
// With auth off (the default) every caller is anonymous and allowed, and the
// adapters serve the ApiService directly unless an audit log is configured.
import type { ResourceClient } from '../client/index.js';
import type { KindRegistry, Resource, ResourceStore } from '../store/index.js';
import { defaultKinds } from '../store/index.js';
import { JobctlError, errorMessage } from '../util/errors.js';
import { AuditLog, type AuditLogOptions } from './audit.js';
import { Authenticator, type Credentials, type StoredToken } from './authenticator.js';
import { AuthorizingClient } from './authorizing-client.js';
import { storeBindings } from './bindings.js';
import { ensureBootstrapToken, readTokenFile, type BootstrapLogger } from './bootstrap.js';
import { ANONYMOUS } from './identity.js';
import { hashSecret } from './tokens.js';
import { isReason, Reason } from '../util/errors.js';

export interface AuthServiceOptions {
  /** Enforce authentication and authorization (jobd --auth). */
  readonly enabled: boolean;
  /** The node's service layer (admission, Raft writes, linearizable reads). */
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
   * The client that serves one request, around the adapter's own `inner`
   * client (the ApiService, maybe instrumented); authentication failures
   * surface on its calls.
   */
  async forRequest(
    creds: Credentials,
    protocol: Protocol,
    inner: ResourceClient = this.o.api,
  ): Promise<AuthorizingClient> {
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
    return new AuthorizingClient(inner, {
      identity,
      enforce: this.o.enabled,
      bindings: storeBindings(this.o.store),
      kinds: this.kinds,
      audit: this.audit,
      protocol,
      node: this.o.nodeName,
      now: this.now,
    });
  }

  /**
   * The bearer token this node presents on node-to-node calls (no TLS node
   * certificate): the bootstrap token from FILE, read again if it appeared
   * since start (the first leader writes it).
   */
  peerToken(): string | undefined {
    if (!this.o.enabled || !this.o.bootstrapTokenFile) return undefined;
    if (this.fileToken !== undefined) return this.fileToken;
    try {
      return readTokenFile(this.o.bootstrapTokenFile);
    } catch {
      return undefined;
    }
  }

  private bootTimer: NodeJS.Timeout | undefined;

  /**
   * Watches leadership (a cheap poll) until the cluster has its bootstrap
   * token: the leader of a cluster without a token file creates it.
   */
  start(isLeader: () => boolean, pollMs = 500): void {
    if (!this.o.enabled || !this.o.bootstrapTokenFile || this.bootstrapped) return;
    this.bootTimer = setInterval(() => {
      if (this.bootstrapped) {
        clearInterval(this.bootTimer);
        this.bootTimer = undefined;
      } else this.onLeader(isLeader());
    }, pollMs);
    this.bootTimer.unref();
  }

  /** The leader of a cluster without a bootstrap token file creates the bootstrap Token (once). */
  onLeader(isLeader: boolean): void {
    const file = this.o.bootstrapTokenFile;
    if (!this.o.enabled || !file || this.bootstrapped || this.bootstrapping || !isLeader) return;
    this.bootstrapping = ensureBootstrapToken(this.o.api, file, this.o.logger)
      .then((done) => {
        this.bootstrapped = done;
      })
      .catch((err: unknown) =>
        this.o.logger.warn('bootstrap token not created yet; retrying', {
          error: errorMessage(err),
        }),
      )
      .finally(() => {
        this.bootstrapping = undefined;
      });
  }

  /** Writes pending audit lines and closes the file. */
  async close(): Promise<void> {
    if (this.bootTimer) clearInterval(this.bootTimer);
    await this.bootstrapping;
    await this.audit?.close();
  }
}
