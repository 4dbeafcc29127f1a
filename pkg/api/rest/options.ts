// What createRestApp takes. The app is an adapter: it owns no state beyond
// open watches, and every resource route is one call on `client`.
import type { ClusterAdminClient, LogsClient, ResourceClient } from '../../client/index.js';
import type { KindRegistry } from '../../store/index.js';
import type { ClientRateLimiter } from '../../util/rate-limit.js';
import type { RequestKey } from './rate-limit.js';
import type { RequestAccess } from './access.js';
import type { RestLogger } from './logger.js';

export interface RestAppOptions {
  /** Every resource route calls this, unless `access` gives each request its own. */
  readonly client: ResourceClient;
  /** Serves /api/cluster/* (unless `access`); absent: those answer 404. */
  readonly cluster?: ClusterAdminClient;
  /** Serves .../runs/{name}/log and .../jobs/{name}/log (unless `access`); absent: 404. */
  readonly logs?: LogsClient;
  /** /readyz answers 200 when true, 503 otherwise (a thrown error's message is the reason). */
  readonly isReady: () => boolean | Promise<boolean>;
  /** Prometheus text exposition for /metrics; absent: /metrics is 404. */
  readonly metrics?: () => Promise<string> | string;
  /** JSON served at /api/node (the answering node's identity, versions, ...); absent: 404. */
  readonly nodeInfo?: () => unknown;
  /** Static files served at / (the dashboard); absent: a placeholder page. */
  readonly dashboardDir?: string;
  /** Where internal errors (with stacks) and watch failures go. Default: stderr for warnings. */
  readonly logger?: RestLogger;
  /** jobctl's version (x.y.z), which /version reports (default 0.0.0: unknown). */
  readonly version?: string;
  /** Kinds served under /apis/jobctl.dev/v1 (default: the store's built-in kinds). */
  readonly kinds?: KindRegistry;
  /** Non-watch requests still unanswered after this get 504 Timeout (default 30 s). */
  readonly requestTimeoutMs?: number;
  /**
   * A bare newline is written to idle watch streams this often so that proxies
   * keep them open (default 30 s; 0 disables). NDJSON readers skip blank lines.
   */
  readonly watchHeartbeatMs?: number;
  /** Largest request body accepted, in bytes (default 1 MiB); larger gets 413. */
  readonly maxBodyBytes?: number;
  /** Per-client rate limit of everything but the health routes (./rate-limit.ts); absent: none. */
  readonly rateLimiter?: ClientRateLimiter;
  /** Whom a request counts against; default the remote IP. */
  readonly rateLimitKey?: RequestKey;
  /**
   * The services of each request (on a node: the service stack, with
   * authentication, authorization and metrics); omitted: `client`, `cluster`
   * and `logs` serve everyone.
   */
  readonly access?: RequestAccess;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_WATCH_HEARTBEAT_MS = 30_000;
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
