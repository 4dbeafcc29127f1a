// HTTPS for the REST port with the node's certificates: the same CA, the
// same reload (setSecureContext on change: new connections get the new
// certificate). A client certificate is requested but optional (a client may
// send a bearer token instead); one the CA did not sign is refused with a
// 401 Status before the request reaches the API.
import { createServer, type ServerOptions } from 'node:https';
import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ReloadingTls, TlsMaterial } from './files.js';

const contextOf = (m: TlsMaterial) => ({ ca: m.ca, cert: m.cert, key: m.key });

/** Whether the request's connection presented a certificate that did not verify. */
export function forgedClientCertificate(req: IncomingMessage): string | undefined {
  const socket = req.socket as Partial<TLSSocket>;
  if (!socket.encrypted || socket.authorized === true) return undefined;
  const cert = socket.getPeerCertificate?.();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const why = socket.authorizationError ? ` (${String(socket.authorizationError)})` : '';
  return `client certificate is not signed by the cluster CA${why}`;
}

function refuse(res: ServerResponse, message: string): void {
  const body = JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    message,
    reason: 'Unauthorized',
    code: 401,
  });
  res.writeHead(401, { 'content-type': 'application/json', connection: 'close' });
  res.end(body + '\n');
}

/**
 * A server factory for listenRest (pkg/api/rest/server.ts): an HTTPS server
 * with `tls`'s files, following their reloads.
 */
export function httpsServerFactory(
  tls: ReloadingTls,
): (options: ServerOptions, app: RequestListener) => Server {
  return (options, app) => {
    const server = createServer(
      {
        ...options,
        ...contextOf(tls.current),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        const forged = forgedClientCertificate(req);
        if (forged) refuse(res, forged);
        else app(req, res);
      },
    );
    const stop = tls.onChange((m) => server.setSecureContext(contextOf(m)));
    server.once('close', stop);
    // https.Server has the http.Server members listenRest sets (timeouts, closeAllConnections).
    return server as unknown as Server;
  };
}
