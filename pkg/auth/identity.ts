// Who is calling: the result of authentication, the input of authorization
// and of every audit line. A client certificate gives CN = user and O =
// groups; a bearer token gives its Token's user and groups (plus the token's
// name, so a RoleBinding can name one token); a node's own certificate
// (O=system:nodes) is a node; with auth off every caller is anonymous.

import { NODE_GROUP } from '../tls/identity.js';

/** How the caller proved who it is. */
export type AuthMethod = 'certificate' | 'token' | 'anonymous' | 'node';

export interface Identity {
  readonly user: string;
  readonly groups: readonly string[];
  readonly via: AuthMethod;
  /** The Token object's name, when authenticated by a stored token. */
  readonly token?: string;
}

/**
 * Members are cluster admins without any binding: the bootstrap token's group,
 * and the O of the admin certificate `jobd certs` makes (Kubernetes' name).
 */
export const ADMINS_GROUP = 'system:masters';
/** Members are cluster nodes (node certificates, O=system:nodes): admin, for node-to-node calls. */
export const NODES_GROUP = NODE_GROUP;

/** The user of the bootstrap token read from --bootstrap-token-file. */
export const BOOTSTRAP_USER = 'bootstrap-admin';

/** Every caller when auth is off. */
export const ANONYMOUS: Identity = {
  user: 'system:anonymous',
  groups: ['system:unauthenticated'],
  via: 'anonymous',
};

/** The identity of a verified client certificate's subject. */
export function certificateIdentity(subject: {
  readonly cn: string;
  readonly o: readonly string[];
}): Identity {
  const groups = [...subject.o];
  return { user: subject.cn, groups, via: groups.includes(NODES_GROUP) ? 'node' : 'certificate' };
}

/** True for identities that hold every permission without a binding. */
export function isSuperUser(id: Identity): boolean {
  return id.via === 'node' || id.groups.includes(ADMINS_GROUP) || id.groups.includes(NODES_GROUP);
}

/** `user "ci"` as Forbidden messages and audit lines name a caller. */
export function describeIdentity(id: Identity): string {
  return `user "${id.user}"`;
}
