// listenRest: serves an app on HOST:PORT with the timeouts that keep a public
// port healthy: slow or idle clients (slowloris) are cut off by header,
// request and keep-alive timeouts, and a malformed request gets a 400 from
// Node's parser without reaching express. Watches are long responses, not
// long requests, so the request timeout does not end them.
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';

export interface RestServerOptions {
  /** Time to receive a request's headers (default 10 s). */
  readonly headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (default 60 s). */
  readonly requestTimeoutMs?: number;
  /** Idle time a kept-alive connection waits for its next request (default 5 s). */
  readonly keepAliveTimeoutMs?: number;
  /** How often Node checks the header and request timeouts (default 1 s; Node's own is 30 s). */
  readonly timeoutCheckIntervalMs?: number;
  /** Makes the server (default node:http's createServer); HTTPS passes pkg/tls/https.ts's factory. */
  readonly createServer?: (options: ServerOptions, app: RequestListener) => Server;
}

export interface RestServer {
  readonly server: Server;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** HOST:PORT as bound. */
  readonly address: string;
  /** Stops listening and ends open connections (watches included). */
  close(): Promise<void>;
}

/** Splits "HOST:PORT", "[::1]:PORT", ":PORT" (all interfaces) or "PORT" (127.0.0.1). */
export function parseAddress(address: string): { host: string; port: number } {
  const text = address.trim();
  const fail = (): never => {
    throw new Error(`invalid HTTP address "${address}": expected HOST:PORT, e.g. 127.0.0.1:8081`);
  };
  let host: string;
  let portText: string;
  if (/^\d+$/.test(text)) {
    host = '127.0.0.1';
    portText = text;
  } else if (text.startsWith('[')) {
    const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? fail();
    host = m[1] ?? fail();
    portText = m[2] ?? fail();
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0 || text.indexOf(':') !== colon) fail();
    host = text.slice(0, colon) || '0.0.0.0';
    portText = text.slice(colon + 1);
  }
  const port = Number(portText);
  if (!/^\d{1,5}$/.test(portText) || port > 65535) fail();
  return { host, port };
}

/** The status line Node itself would answer a request it could not parse with. */
function clientErrorResponse(err: NodeJS.ErrnoException): string {
  const [code, text] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : [400, 'Bad Request'];
  return `HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

export async function listenRest(
  app: Express,
  address: string,
  opts: RestServerOptions = {},
): Promise<RestServer> {
  const { host, port } = parseAddress(address);
  const server = (opts.createServer ?? createServer)(
    { connectionsCheckingInterval: opts.timeoutCheckIntervalMs ?? 1_000 },
    app as RequestListener,
  );
  server.headersTimeout = opts.headersTimeoutMs ?? 10_000;
  server.requestTimeout = opts.requestTimeoutMs ?? 60_000;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5_000;
  server.maxHeadersCount = 100;
  // Socket errors (resets, garbage) are per connection; never let one escape.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (socket.writable && !socket.destroyed) socket.end(clientErrorResponse(err));
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shownHost = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    server,
    port: bound.port,
    address: `${shownHost}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
