// listenRest: serves an app on HOST:PORT with the timeouts that keep a public
// port healthy: slow or idle clients (slowloris) are cut off by header,
// request and keep-alive timeouts, and a malformed request gets a 400 from
// Node's parser without reaching express. Watches are long responses, not
// long requests, so the request timeout does not end them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Express } from 'express';

export interface RestServerOptions {
  /** Time to receive a request's headers (default 10 s). */
  readonly headersTimeoutMs?: number;
  /** Time to receive a whole request, body included (default 60 s). */
  readonly requestTimeoutMs?: number;
  /** Idle time a kept-alive connection waits for its next request (default 5 s). */
  readonly keepAliveTimeoutMs?: number;
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
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*))?:?(\d{1,5})$/.exec(address.trim());
  const host = m?.[1] ?? m?.[2];
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new Error(`invalid HTTP address "${address}": expected HOST:PORT, e.g. 127.0.0.1:8081`);
  }
  if (host === undefined) return { host: address.includes(':') ? '0.0.0.0' : '127.0.0.1', port };
  return { host: host === '' ? '0.0.0.0' : host, port };
}

export async function listenRest(
  app: Express,
  address: string,
  opts: RestServerOptions = {},
): Promise<RestServer> {
  const { host, port } = parseAddress(address);
  const server = createServer(app);
  server.headersTimeout = opts.headersTimeoutMs ?? 10_000;
  server.requestTimeout = opts.requestTimeoutMs ?? 60_000;
  server.keepAliveTimeout = opts.keepAliveTimeoutMs ?? 5_000;
  server.maxHeadersCount = 100;
  // Socket errors (resets, garbage) are per connection; never let one escape.
  server.on('clientError', (_err: Error, socket: Socket) => {
    if (socket.writable && !socket.destroyed) {
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    }
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
