// createRestApp: the REST API of DESIGN.md §6 as an express app, assembled
// from one module per concern. Order matters: shared headers and the request
// timeout first, then the routes, then 404 and the error handler, which turns
// anything that escaped a route (body too large, undecodable URL) into a Status.
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { defaultKinds } from '../../store/index.js';
import { Reason } from '../../util/errors.js';
import { setRequestAccess } from './access.js';
import { applyManifestRoutes } from './apply-manifest.js';
import { dashboardRoutes } from './dashboard.js';
import { healthRoutes } from './health.js';
import { logRoutes } from './logs.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_WATCH_HEARTBEAT_MS,
  type RestAppOptions,
} from './options.js';
import { stderrLogger } from './logger.js';
import { sendError, sendStatus } from './respond.js';
import { API_PREFIX } from './resources-path.js';
import { resourceRoutes } from './resources.js';
import { discoveryRoutes } from './discovery.js';
import { openApiRoutes } from './openapi.js';
import { newStatus } from './status.js';
import { rateLimit } from './rate-limit.js';
import { requestTimeout } from './timeout.js';

export function createRestApp(opts: RestAppOptions): Express {
  const logger = opts.logger ?? stderrLogger;
  const kinds = opts.kinds ?? defaultKinds;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  setRequestAccess(app, opts.access);

  const commonHeaders: RequestHandler = (_req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    next();
  };
  app.use(commonHeaders);
  app.use(requestTimeout(opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS));

  app.use(
    healthRoutes({
      cluster: opts.cluster,
      isReady: opts.isReady,
      metrics: opts.metrics,
      nodeInfo: opts.nodeInfo,
      logger,
    }),
  );
  app.use(rateLimit(opts.rateLimiter, opts.rateLimitKey));
  const version = opts.version ?? '0.0.0';
  app.use(discoveryRoutes(kinds, version));
  app.use(openApiRoutes(kinds, version));
  app.use(API_PREFIX, logRoutes({ logs: opts.logs, logger }));
  app.use(
    API_PREFIX,
    resourceRoutes({
      client: opts.client,
      kinds,
      logger,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      watchHeartbeatMs: opts.watchHeartbeatMs ?? DEFAULT_WATCH_HEARTBEAT_MS,
    }),
  );
  app.use(
    applyManifestRoutes({
      client: opts.client,
      kinds,
      logger,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    }),
  );
  app.use(dashboardRoutes(opts.dashboardDir));

  const notFound: RequestHandler = (req, res) => {
    sendStatus(
      res,
      newStatus(
        404,
        Reason.NotFound,
        `the server could not find the requested resource ${req.path}`,
      ),
    );
  };
  app.use(notFound);

  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    if (res.headersSent) {
      // Too late for a Status: drop the connection so the client sees a failure.
      res.destroy();
      return;
    }
    sendError(res, err, logger, { method: req.method, path: req.path });
  };
  app.use(onError);
  return app;
}
