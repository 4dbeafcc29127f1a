// The node's HTTP side (--http): the REST API of DESIGN.md §6 (pkg/api/rest,
// express: /apis/..., /healthz, /readyz, /metrics, the dashboard at /, Run
// logs). Loaded only when --http is given, so a node without it never loads
// express.
import { DelegatingClient } from '../client/index.js';
import type { LogsOptions, ResourceClient } from '../client/index.js';
import { logsRequestOf } from '../transport/api-wire.js';
import type { LogsRequest } from '../transport/gen/api.js';
import type { ReloadingTls } from '../tls/files.js';
import type { ClientRateLimiter } from '../util/rate-limit.js';
import type { RequestAccess } from '../api/rest/index.js';
import type { NodeLogger } from './logger.js';

/** The node's Logs service (RunLogs.stream). */
export type NodeLogs = (req: LogsRequest, signal: AbortSignal) => AsyncIterable<Uint8Array>;

export interface HttpServeOptions {
  /** HOST:PORT (port 0 picks one). */
  readonly address: string;
  readonly client: ResourceClient;
  /** /readyz: true once a leader is known. */
  readonly isReady: () => boolean;
  readonly metrics: () => Promise<string> | string;
  readonly nodeInfo: () => unknown;
  /** Serves .../runs/{name}/log and .../jobs/{name}/log; absent: those answer 404. */
  readonly logs?: NodeLogs;
  readonly logger: NodeLogger;
  /** Serve HTTPS with these (reloading) files; omitted: plain HTTP. */
  readonly tls?: ReloadingTls;
  /** Shared with the gRPC API: one budget per client across both. */
  readonly rateLimiter?: ClientRateLimiter;
  /** Per-request authentication and authorization (pkg/auth); omitted: open. */
  readonly access?: RequestAccess;
}

export interface HttpServer {
  /** HOST:PORT as bound. */
  readonly address: string;
  close(): Promise<void>;
}

/** The node's API client plus logs(), which the in-process client lacks. */
class WithLogs extends DelegatingClient {
  constructor(
    inner: ResourceClient,
    private readonly nodeLogs: NodeLogs,
  ) {
    super(inner);
  }

  logs(opts: LogsOptions): AsyncIterable<Uint8Array> {
    const req = logsRequestOf(opts);
    return this.nodeLogs(req, opts.signal ?? new AbortController().signal);
  }
}

export async function serveHttp(opts: HttpServeOptions): Promise<HttpServer> {
  const { builtDashboardDir, createRestApp, listenRest } = await import('../api/rest/index.js');
  const dashboardDir = builtDashboardDir();
  const app = createRestApp({
    client: opts.logs ? new WithLogs(opts.client, opts.logs) : opts.client,
    isReady: opts.isReady,
    metrics: opts.metrics,
    nodeInfo: opts.nodeInfo,
    ...(dashboardDir ? { dashboardDir } : {}),
    logger: opts.logger,
    rateLimiter: opts.rateLimiter,
    ...(opts.access ? { access: opts.access } : {}),
  });
  const createServer = opts.tls
    ? (await import('../tls/https.js')).httpsServerFactory(opts.tls)
    : undefined;
  const server = await listenRest(app, opts.address, { createServer });
  return { address: server.address, close: () => server.close() };
}
