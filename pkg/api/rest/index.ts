// Public API of the REST adapter (DESIGN.md §6): an express app over any
// ResourceClient, and a helper that serves it on jobd's --http address.
//
//   const app = createRestApp({ client, isReady: () => leaderKnown() });
//   const rest = await listenRest(app, '127.0.0.1:8081');  // ... await rest.close();
export { createRestApp } from './app.js';
export type { RequestAccess } from './access.js';
export { listenRest, parseAddress } from './server.js';
export type { RestServer, RestServerOptions } from './server.js';
export {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_WATCH_HEARTBEAT_MS,
} from './options.js';
export type { RestAppOptions } from './options.js';
export { silentRestLogger, type RestLogger } from './logger.js';
export { API_PREFIX } from './resources-path.js';
export { builtDashboardDir } from './dashboard.js';
export { APPLY_PATH } from './apply-manifest.js';
export { OUTCOME_HEADER } from './resources.js';
export { HttpReason, REASON_HTTP_CODES, errorFromStatus, isStatus, statusOf } from './status.js';
export type { Status } from './status.js';
