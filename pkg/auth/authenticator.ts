// Authentication: from what a request carries (an Authorization bearer token,
// a verified client certificate) to an Identity, or Unauthorized with one line
// saying what is wrong. A bearer token wins over a certificate when both are
// present (the caller chose it explicitly).
//
// Stored tokens are looked up through `lookup`, which on a node is a
// linearizable read (a Raft ReadIndex barrier, then the local store): once
// `jobctl token revoke` has returned, every node refuses the token, because
// each one first catches up with the leader's commit index. The bootstrap
// token read from --bootstrap-token-file is compared with no lookup.
import { JobctlError, Reason } from '../util/errors.js';
import { ADMINS_GROUP, BOOTSTRAP_USER, certificateIdentity, type Identity } from './identity.js';
import { bearerOf, hashSecret, parseToken, sameHash } from './tokens.js';

export interface CertificateSubject {
  readonly cn: string;
  readonly o: readonly string[];
}

/** What a request carries. */
export interface Credentials {
  /** The Authorization header (REST) or `authorization` metadata (gRPC) as sent. */
  readonly authorization?: string;
  /** The verified client certificate's subject, when the connection presented one. */
  readonly certificate?: CertificateSubject;
}

/** The parts of a stored Token authentication reads. */
export interface StoredToken {
  readonly metadata: { readonly name: string };
  readonly spec: {
    readonly user: string;
    readonly groups?: readonly string[];
    readonly expiresAt?: string;
    readonly secretHash: string;
  };
}

export interface AuthenticatorOptions {
  /** The Token named `name`, current as of the call (linearizable); undefined when absent. */
  readonly lookup: (name: string) => Promise<StoredToken | undefined>;
  /** sha256 of the bootstrap token (the whole bearer string), when a file gave one. */
  readonly bootstrapHash?: () => string | undefined;
  /** Wall clock in ms (token expiry). */
  readonly now: () => number;
}

export function unauthorized(message: string): JobctlError {
  return new JobctlError(Reason.Unauthorized, message);
}

export class Authenticator {
  constructor(private readonly o: AuthenticatorOptions) {}

  /** The caller's identity; throws Unauthorized when it cannot be established. */
  async authenticate(creds: Credentials): Promise<Identity> {
    if (creds.authorization !== undefined && creds.authorization !== '') {
      const bearer = bearerOf(creds.authorization);
      if (bearer === undefined) {
        throw unauthorized('unsupported authorization scheme: expected "Bearer TOKEN"');
      }
      return this.fromToken(bearer);
    }
    if (creds.certificate) {
      if (!creds.certificate.cn) throw unauthorized('client certificate has no subject CN');
      return certificateIdentity(creds.certificate);
    }
    throw unauthorized(
      'authentication required: send a bearer token (jobctl --token) or a client certificate',
    );
  }

  private async fromToken(bearer: string): Promise<Identity> {
    const boot = this.o.bootstrapHash?.();
    if (boot !== undefined && sameHash(hashSecret(bearer), boot)) {
      return { user: BOOTSTRAP_USER, groups: [ADMINS_GROUP], via: 'token' };
    }
    const parsed = parseToken(bearer);
    if (!parsed) throw unauthorized('invalid bearer token: expected NAME.SECRET');
    const stored = await this.o.lookup(parsed.name);
    if (!stored || !sameHash(hashSecret(parsed.secret), stored.spec.secretHash)) {
      // One message for both: an unknown name and a wrong secret look alike.
      throw unauthorized(`invalid bearer token "${parsed.name}": unknown, revoked or wrong secret`);
    }
    const expires = stored.spec.expiresAt;
    if (expires !== undefined && Date.parse(expires) <= this.o.now()) {
      throw unauthorized(`token "${parsed.name}" expired at ${expires}`);
    }
    return {
      user: stored.spec.user,
      groups: [...(stored.spec.groups ?? [])],
      via: 'token',
      token: stored.metadata.name,
    };
  }
}
