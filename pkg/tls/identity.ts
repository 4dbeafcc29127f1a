// Who is on the other end of a TLS connection, as far as the certificate
// says: the identity primitive authentication builds on (pkg/auth maps it to
// a user and groups). A certificate counts only when it chains to the
// cluster CA (the TLS layer verified it: `authorized`); an unverified one
// yields nothing here, and the node refuses such connections outright
// (pkg/transport/grpc-tls.ts, pkg/tls/https.ts).
//
//   grpcPeerIdentity(call)  -> { user: 'admin', groups: ['system:masters'] } | undefined
//   httpPeerIdentity(req)   -> the same for an express/http request over HTTPS
//
// Certificates made by `jobd certs`: users have CN = user name and one O per
// group; nodes have CN = node-N and O = system:nodes (NODE_GROUP).
import type { IncomingMessage } from 'node:http';
import type { PeerCertificate, TLSSocket } from 'node:tls';

/** The O (group) of every node certificate: what Raft and peer calls require. */
export const NODE_GROUP = 'system:nodes';

/** The verified subject of a peer certificate. */
export interface CertIdentity {
  /** The certificate's CN. */
  readonly user: string;
  /** Its O entries, in order. */
  readonly groups: readonly string[];
}

/** CN and O list of a certificate (O may be one string or several). */
export function identityOf(cert: PeerCertificate | undefined): CertIdentity | undefined {
  const subject = cert?.subject as Record<string, string | string[] | undefined> | undefined;
  const cn = subject?.CN;
  const user = Array.isArray(cn) ? cn[0] : cn;
  if (!user) return undefined;
  const o = subject?.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? [...o] : [o];
  return { user, groups };
}

/** The part of a grpc-js server call this module reads (any handler call or interceptor call). */
export interface CallWithAuthContext {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate } | null;
}

/**
 * The TLS socket under a grpc-js server call. grpc-js has no public accessor
 * for it (nor for "a certificate was presented but not verified":
 * getAuthContext() is empty then, exactly as for no certificate), so this
 * follows the call chain to its HTTP/2 stream. Undefined on plaintext or if
 * grpc-js changes shape (the TLS tests then fail: a forged certificate would
 * be treated as none, and identities would no longer be cached).
 */
export function grpcTlsSocket(call: unknown): Partial<TLSSocket> | undefined {
  type Link = { nextCall?: unknown; call?: unknown; stream?: { session?: { socket?: unknown } } };
  let c = call as Link | undefined;
  for (let depth = 0; c && depth < 32; depth++) {
    const socket = c.stream?.session?.socket as Partial<TLSSocket> | undefined;
    if (socket) return socket.encrypted ? socket : undefined;
    // Interceptor calls chain by nextCall; a handler's call (ServerUnaryCall, ...) holds `call`.
    c = (c.nextCall ?? c.call) as Link | undefined;
  }
  return undefined;
}

/**
 * Identities already read, per connection. getAuthContext() builds a new
 * certificate object (fingerprints included) on every call, ~50-120 µs,
 * once per API call and per internal node call otherwise. A connection's
 * certificate cannot change: HTTP/2 forbids TLS renegotiation and Node's
 * HTTP/2 server turns it off on every socket it serves.
 */
const identities = new WeakMap<object, CertIdentity | null>();

/**
 * The verified client certificate's identity of a gRPC call (unary or
 * stream), or undefined when the connection is plaintext, presented no
 * certificate, or presented one the CA did not sign. grpc-js 1.14 reports
 * `sslPeerCertificate` only for `authorized` TLS sockets.
 */
export function grpcPeerIdentity(call: CallWithAuthContext): CertIdentity | undefined {
  const socket = grpcTlsSocket(call);
  if (!socket || socket.authorized !== true) {
    return identityOf(call.getAuthContext()?.sslPeerCertificate);
  }
  let id = identities.get(socket);
  if (id === undefined) {
    id = identityOf(call.getAuthContext()?.sslPeerCertificate) ?? null;
    identities.set(socket, id);
  }
  return id ?? undefined;
}

/** Same for an HTTP(S) request: the socket's certificate when the TLS layer verified it. */
export function httpPeerIdentity(req: Pick<IncomingMessage, 'socket'>): CertIdentity | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function')
    return undefined;
  const cert = socket.getPeerCertificate();
  return cert && Object.keys(cert).length > 0 ? identityOf(cert) : undefined;
}

/** Whether an identity is a cluster node's. */
export function isNodeIdentity(id: CertIdentity | undefined): boolean {
  return id?.groups.includes(NODE_GROUP) === true;
}
