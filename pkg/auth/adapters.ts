// What a gRPC call or an HTTP request carries (the bearer token, the verified
// client certificate's subject) as Credentials, which the service stack hands
// to the AuthService for each request (authenticate → authorize). The
// certificate subject is what pkg/tls verified (CN, O): none on plaintext
// connections or for certificates the cluster CA did not sign.
import type { Request } from 'express';
import { grpcPeerIdentity, httpPeerIdentity, type CertIdentity } from '../tls/identity.js';
import type { ApiCall } from '../transport/api-grpc.js';
import type { CertificateSubject, Credentials } from './authenticator.js';

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

export function grpcCredentials(
  call: ApiCall,
  subjectOf: GrpcSubjectOf | undefined = grpcSubject,
): Credentials {
  const value = call.metadata.get(AUTHORIZATION_KEY)[0];
  const authorization = value === undefined ? undefined : String(value);
  const certificate = subjectOf?.(call);
  return { ...(authorization ? { authorization } : {}), ...(certificate ? { certificate } : {}) };
}

export function httpCredentials(
  req: Request,
  subjectOf: HttpSubjectOf | undefined = httpSubject,
): Credentials {
  const authorization = req.headers.authorization;
  const certificate = subjectOf?.(req);
  return { ...(authorization ? { authorization } : {}), ...(certificate ? { certificate } : {}) };
}
