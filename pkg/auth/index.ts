// pkg/auth: who may do what. Identity from a client certificate or a bearer
// token (Token objects, hashed), RBAC-lite roles bound per namespace or
// cluster-wide, one authorizer both API adapters reach through the service
// stack's per-request authorizing layer, the bootstrap admin token and the audit log. See
// docs/security.md "Authentication and authorization".
export {
  ACCESS_REVIEW_KIND,
  CLUSTER_RESOURCE,
  reviewAttributes,
  type AccessReview,
  type AccessReviewSpec,
  type AccessReviewStatus,
} from './access-review.js';
export {
  AUTHORIZATION_KEY,
  grpcCredentials,
  httpCredentials,
  type GrpcSubjectOf,
  type HttpSubjectOf,
} from './adapters.js';
export {
  AuditLog,
  DEFAULT_AUDIT_MAX_BYTES,
  DEFAULT_AUDIT_MAX_FILES,
  type AuditRecord,
  type AuditSink,
} from './audit.js';
export {
  Authenticator,
  type CertificateSubject,
  type Credentials,
  type StoredToken,
} from './authenticator.js';
export {
  AuthorizingClient,
  AuthorizingClusterAdmin,
  AuthorizingLogs,
} from './authorizing-client.js';
export { RequestGuard, type RequestContext } from './request-guard.js';
export { storeBindings } from './bindings.js';
export { BOOTSTRAP_TOKEN_NAME, peerTokenOf, readTokenFile } from './bootstrap.js';
export {
  ADMINS_GROUP,
  ANONYMOUS,
  BOOTSTRAP_USER,
  NODES_GROUP,
  certificateIdentity,
  type AuthMethod,
  type Identity,
} from './identity.js';
export {
  ROLES,
  ROLE_RULES,
  VERBS,
  authorize,
  type Attributes,
  type Binding,
  type BindingSource,
  type Decision,
  type Role,
  type Subject,
  type Verb,
} from './rbac.js';
export { AuthService, type AuthServiceOptions, type Leadership } from './service.js';
export { bearerOf, formatToken, hashSecret, newSecret, parseToken } from './tokens.js';
