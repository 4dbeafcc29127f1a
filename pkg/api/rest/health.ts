// Operational endpoints: liveness, readiness, metrics, and the cluster and
// node views the dashboard reads.
//   GET  /healthz                      200 "ok" while the process serves HTTP
//   GET  /readyz                       200 "ok" when isReady(), else 503 Status (Unavailable)
//   GET  /metrics                      Prometheus text from opts.metrics, or 404
//   GET  /api/cluster/status           cluster.clusterStatus() as JSON
//   POST /api/cluster/transfer-leader  cluster.transferLeader(?to=ID)
//   GET  /api/node                     opts.nodeInfo() as JSON, or 404
import { Router, type RequestHandler } from 'express';
import type { ClusterAdminClient } from '../../client/index.js';
import { JobctlError, Reason, errorMessage } from '../../util/errors.js';
import { requestCluster } from './access.js';
import type { RestLogger } from './logger.js';
import { queryCount } from './query.js';
import { sendError, sendJson, sendStatus } from './respond.js';
import { newStatus } from './status.js';

export interface HealthRoutesOptions {
  readonly cluster: ClusterAdminClient | undefined;
  readonly isReady: () => boolean | Promise<boolean>;
  readonly metrics?: () => Promise<string> | string;
  readonly nodeInfo?: () => unknown;
  readonly logger: RestLogger;
}

export function healthRoutes(opts: HealthRoutesOptions): Router {
  const { logger } = opts;
  const router = Router();
  const safe =
    (fn: RequestHandler): RequestHandler =>
    async (req, res, next) => {
      try {
        await fn(req, res, next);
      } catch (err) {
        sendError(res, err, logger, { path: req.path });
      }
    };

  router.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok');
  });

  router.get('/readyz', async (_req, res) => {
    let reason = 'not ready: no leader is known yet';
    try {
      if (await opts.isReady()) {
        res.type('text/plain').send('ok');
        return;
      }
    } catch (err) {
      reason = `not ready: ${errorMessage(err)}`;
    }
    sendStatus(res, newStatus(503, Reason.Unavailable, reason));
  });

  router.get(
    '/metrics',
    safe(async (_req, res) => {
      if (!opts.metrics)
        throw new JobctlError(Reason.NotFound, 'metrics are not enabled on this server');
      const text = await opts.metrics();
      if (!res.headersSent) res.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    }),
  );

  router.get(
    '/api/cluster/status',
    safe(async (req, res) =>
      sendJson(res, 200, await (await requestCluster(req, opts.cluster)).clusterStatus()),
    ),
  );

  router.post(
    '/api/cluster/transfer-leader',
    safe(async (req, res) =>
      sendJson(
        res,
        200,
        await (await requestCluster(req, opts.cluster)).transferLeader(queryCount(req, 'to')),
      ),
    ),
  );

  router.get(
    '/api/node',
    safe(async (_req, res) => {
      if (!opts.nodeInfo)
        throw new JobctlError(Reason.NotFound, 'node info is not available on this server');
      sendJson(res, 200, await opts.nodeInfo());
    }),
  );
  return router;
}
