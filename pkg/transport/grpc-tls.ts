// TLS on a node's gRPC port (Raft and the API share it):
//
// - serverCredentials: TLS with the node's certificate, reloaded when the
//   files change (grpc-js calls setSecureContext on its HTTP/2 server, so new
//   connections get the new certificate; open ones keep theirs). The server
//   asks every client for a certificate but does not require one at the TLS
//   layer: an API client may authenticate with a bearer token instead.
// - tlsServerInterceptor: what the TLS layer cannot say by itself. A
//   connection that presented a certificate the cluster CA did not sign is
//   refused on every call (a certificate is optional, a forged one is not),
//   and Raft is served only to peers with a verified node certificate
//   (O=system:nodes). Who may call which API method is pkg/auth's decision.
// - peerCredentials: a node's client side towards its peers (Raft streams,
//   status, transfer-leader, Logs proxying): verifies the peer against the
//   CA and presents the node's own certificate, both reloaded like the server's.
import * as grpc from '@grpc/grpc-js';
import { toServiceError } from './errors.js';
import { JobctlError, Reason } from '../util/errors.js';
import type { ReloadingTls } from '../tls/files.js';
import { silenceIpServerNameWarning } from '../tls/sni-warning.js';
import {
  grpcPeerIdentity,
  grpcTlsSocket,
  isNodeIdentity,
  NODE_GROUP,
  type CallWithAuthContext,
} from '../tls/identity.js';

/** Method paths that only cluster nodes may call (the Raft transport). */
const NODE_ONLY_PREFIX = '/jobctl.raft.v1.Raft/';

export function serverCredentials(tls: ReloadingTls | undefined): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  // grpc-js 1.14 passes this function's two providers to the constructor in
  // the opposite order; one object serving both makes that moot.
  // requireClientCertificate=false: requestCert on, rejectUnauthorized off.
  return grpc.experimental.createCertificateProviderServerCredentials(tls, tls, false);
}

export function peerCredentials(tls: ReloadingTls | undefined): grpc.ChannelCredentials {
  if (!tls) return grpc.credentials.createInsecure();
  silenceIpServerNameWarning();
  return grpc.experimental.createCertificateProviderChannelCredentials(tls, tls);
}

/** Why a call must be refused, or undefined to let it through. */
export function tlsRefusal(path: string, call: CallWithAuthContext): string | undefined {
  const socket = grpcTlsSocket(call);
  if (socket && socket.authorized !== true) {
    const cert = socket.getPeerCertificate?.();
    if (cert && Object.keys(cert).length > 0) {
      const why = socket.authorizationError ? ` (${String(socket.authorizationError)})` : '';
      return `client certificate is not signed by the cluster CA${why}`;
    }
  }
  if (path.startsWith(NODE_ONLY_PREFIX) && socket && !isNodeIdentity(grpcPeerIdentity(call))) {
    return `only cluster nodes (a certificate with O=${NODE_GROUP} from the cluster CA) may use ${path}`;
  }
  return undefined;
}

/**
 * Refuses, with Forbidden and one clear message, calls on connections with a
 * certificate the CA did not sign, and Raft calls from anything but a node.
 * On a plaintext server (no TLS) it lets everything through.
 */
export function tlsServerInterceptor(): grpc.ServerInterceptor {
  return (method, call) => {
    const refusal = tlsRefusal(method.path, call);
    if (refusal === undefined) return new grpc.ServerInterceptingCall(call);
    const status = toServiceError(new JobctlError(Reason.Forbidden, refusal));
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata() {
            call.sendStatus({
              code: status.code ?? grpc.status.PERMISSION_DENIED,
              details: status.details ?? refusal,
              metadata: status.metadata ?? new grpc.Metadata(),
            });
          },
        });
      },
    });
  };
}
