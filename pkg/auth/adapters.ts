// The two API adapters' hooks: what a gRPC call or an HTTP request carries
// (the bearer token, the verified client certificate's subject) becomes
// Credentials, and the AuthService turns them into the request's client.
// The certificate subject is what pkg/tls verified (CN, O): none on
// plaintext connections or for certificates the cluster CA did not sign.
import type { Request } from 'express';
import type { ResourceClient } from '../client/index.js';
import { grpcPeerIdentity, httpPeerIdentity, type CertIdentity } from '../tls/identity.js';
import type { ApiCall, CallAccess } from '../transport/api-grpc.js';
import type { LogsRequest } from '../transport/gen/api.js';
import type { CertificateSubject, Credentials } from './authenticator.js';
import type { AuthService } from './service.js';

/** gRPC metadata key and HTTP header of the bearer token. */
export const AUTHORIZATION_KEY = 'authorization';

export type GrpcSubjectOf = (call: ApiCall) => CertificateSubject | undefined;
export type HttpSubjectOf = (req: Request) => CertificateSubject | undefined;

const subject = (id: CertIdentity | undefined): CertificateSubject | undefined =>
  id ? { cn: id.user, o: id.groups } : undefined;

/** The verified client certificate of a gRPC call (pkg/tls). */
export const grpcSubject: GrpcSubjectOf = (call) => subject(grpcPeerIdentity(call));
/** The verified client certificate of an HTTPS request (pkg/tls). */
export const httpSubject: HttpSubjectOf = (req) => subject(httpPeerIdentity(req));

export function grpcCredentials(call: ApiCall, subjectOf?: GrpcSubjectOf): Credentials {
  const value = call.metadata.get(AUTHORIZATION_KEY)[0];
  const authorization = value === undefined ? undefined : String(value);
  const certificate = subjectOf?.(call);
  return { ...(authorization ? { authorization } : {}), ...(certificate ? { certificate } : {}) };
}

export function httpCredentials(req: Request, subjectOf?: HttpSubjectOf): Credentials {
  const authorization = req.headers.authorization;
  const certificate = subjectOf?.(req);
  return { ...(authorization ? { authorization } : {}), ...(certificate ? { certificate } : {}) };
}

/** ApiServerDeps.access for registerApi. */
export function grpcAccess(
  auth: AuthService,
  subjectOf: GrpcSubjectOf = grpcSubject,
): (call: ApiCall, inner: ResourceClient) => Promise<CallAccess> {
  return async (call, inner) => {
    const client = await auth.forRequest(grpcCredentials(call, subjectOf), 'grpc', inner);
    return {
      client,
      nodeStatus: () => client.checkNodeStatus(),
      logs: (req: LogsRequest) => {
        // A localOnly request is one node proxying for another: nodes and admins only.
        if (req.localOnly) client.checkPeer();
        else client.checkLogs(req.namespace);
      },
    };
  };
}

/** RestAppOptions.access for createRestApp. */
export function httpAccess(
  auth: AuthService,
  subjectOf: HttpSubjectOf = httpSubject,
): (req: Request, inner: ResourceClient) => Promise<ResourceClient> {
  return (req, inner) => auth.forRequest(httpCredentials(req, subjectOf), 'rest', inner);
}
