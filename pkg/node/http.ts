// The node's HTTP side (--http): the REST API of DESIGN.md §6 (pkg/api/rest,
// express: /apis/..., /healthz, /readyz, /metrics, the dashboard at /, Run
// logs), every route that touches a service served by the node's service
// stack (pkg/api/stack.ts). Loaded only when --http is given, so a node
// without it never loads express.
import type { ServiceStack } from '../api/index.js';
import { httpCredentials } from '../auth/index.js';
import type { ReloadingTls } from '../tls/files.js';
import type { ClientRateLimiter } from '../util/rate-limit.js';
import type { Component } from './lifecycle.js';
import type { NodeLogger } from './logger.js';
import { JOBD_VERSION } from './registration.js';
import { listenError } from './start-errors.js';

export interface HttpServeOptions {
  /** HOST:PORT (port 0 picks one). */
  readonly address: string;
  /** Serves every request (REST, the dashboard's cluster and log routes). */
  readonly stack: ServiceStack;
  /** /readyz: true once a leader is known. */
  readonly isReady: () => boolean;
  readonly metrics: () => Promise<string> | string;
  readonly nodeInfo: () => unknown;
  readonly logger: NodeLogger;
  /** Serve HTTPS with these (reloading) files; omitted: plain HTTP. */
  readonly tls?: ReloadingTls;
  /** Shared with the gRPC API: one budget per client across both. */
  readonly rateLimiter?: ClientRateLimiter;
}

export interface HttpServer {
  /** HOST:PORT as bound. */
  readonly address: string;
  close(): Promise<void>;
}

export async function serveHttp(opts: HttpServeOptions): Promise<HttpServer> {
  const { builtDashboardDir, createRestApp, listenRest } = await import('../api/rest/index.js');
  const dashboardDir = builtDashboardDir();
  const { stack } = opts;
  const app = createRestApp({
    client: stack.admitted.resources,
    access: (req) => stack.forRequest('rest', httpCredentials(req)),
    isReady: opts.isReady,
    metrics: opts.metrics,
    nodeInfo: opts.nodeInfo,
    version: JOBD_VERSION,
    ...(dashboardDir ? { dashboardDir } : {}),
    logger: opts.logger,
    rateLimiter: opts.rateLimiter,
  });
  const createServer = opts.tls
    ? (await import('../tls/https.js')).httpsServerFactory(opts.tls)
    : undefined;
  const server = await listenRest(app, opts.address, { createServer }).catch((err: unknown) => {
    throw listenError('--http', opts.address, err);
  });
  return { address: server.address, close: () => server.close() };
}

/** The REST server as a node part: listening once started, closed when stopped. */
export function httpComponent(
  opts: HttpServeOptions,
): Component & { address(): string | undefined } {
  let server: HttpServer | undefined;
  return {
    name: 'http',
    address: () => server?.address,
    async start() {
      server = await serveHttp(opts);
    },
    async stop() {
      await server?.close();
    },
  };
}
