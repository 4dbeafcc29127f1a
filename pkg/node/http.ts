// The node's HTTP side (--http): the REST API of DESIGN.md §6 (pkg/api/rest,
// express: /apis/..., /healthz, /readyz, /metrics, the dashboard). Loaded only
// when --http is given, so a node without it never loads express.
import type { ResourceClient } from '../client/types.js';
import type { ReloadingTls } from '../tls/files.js';
import type { NodeLogger } from './logger.js';

export interface HttpServeOptions {
  /** HOST:PORT (port 0 picks one). */
  readonly address: string;
  readonly client: ResourceClient;
  /** /readyz: true once a leader is known. */
  readonly isReady: () => boolean;
  readonly metrics: () => Promise<string> | string;
  readonly nodeInfo: () => unknown;
  readonly logger: NodeLogger;
  /** Serve HTTPS with these (reloading) files; omitted: plain HTTP. */
  readonly tls?: ReloadingTls;
}

export interface HttpServer {
  /** HOST:PORT as bound. */
  readonly address: string;
  close(): Promise<void>;
}

export async function serveHttp(opts: HttpServeOptions): Promise<HttpServer> {
  const { createRestApp, listenRest } = await import('../api/rest/index.js');
  const app = createRestApp({
    client: opts.client,
    isReady: opts.isReady,
    metrics: opts.metrics,
    nodeInfo: opts.nodeInfo,
    logger: opts.logger,
  });
  const createServer = opts.tls
    ? (await import('../tls/https.js')).httpsServerFactory(opts.tls)
    : undefined;
  const server = await listenRest(app, opts.address, { createServer });
  return { address: server.address, close: () => server.close() };
}
