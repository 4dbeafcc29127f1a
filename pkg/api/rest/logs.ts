// A Run's output over HTTP, Kubernetes style (`pods/{name}/log`), for the
// dashboard's log tail and for curl:
//
//   GET /apis/jobctl.dev/v1/namespaces/{ns}/runs/{name}/log   that Run
//   GET /apis/jobctl.dev/v1/namespaces/{ns}/jobs/{name}/log   the Job's latest Run
//       ?follow=true    keep streaming until the Run has ended
//       ?tailLines=N    only the last N lines kept so far
//
// The body is the raw output as text/plain, each chunk written (and so
// flushed) as it arrives. It is one call on the logs service (on a node:
// RunLogs, which proxies from whichever node executed the Run); an app
// without one answers 404. A failure before the first byte is a Status; after it, the
// connection is cut so the reader sees an incomplete response.
import { Router, type Request, type Response } from 'express';
import type { LogsClient, LogsOptions } from '../../client/index.js';
import type { RestLogger } from './logger.js';
import { queryBool, queryCount } from './query.js';
import { requestLogs } from './access.js';
import { sendError } from './respond.js';

export interface LogRoutesOptions {
  readonly logs: LogsClient | undefined;
  readonly logger: RestLogger;
}

/** A router to mount at API_PREFIX. */
export function logRoutes(opts: LogRoutesOptions): Router {
  const router = Router();
  const serve =
    (by: 'run' | 'job') =>
    async (req: Request, res: Response): Promise<void> => {
      const p = req.params as Record<string, string>;
      try {
        const logs = await requestLogs(req, opts.logs);
        const tail = queryCount(req, 'tailLines');
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        const request: LogsOptions = {
          namespace: p.namespace,
          ...(by === 'run' ? { run: p.name } : { job: p.name }),
          ...(tail !== undefined ? { tail } : {}),
          follow: queryBool(req, 'follow'),
          signal: abort.signal,
        };
        await streamText(req, res, logs.logs(request), abort.signal);
      } catch (err) {
        if (res.headersSent) res.destroy();
        else sendError(res, err, opts.logger, { method: req.method, path: req.path });
      }
    };
  router.get('/namespaces/:namespace/runs/:name/log', serve('run'));
  router.get('/namespaces/:namespace/jobs/:name/log', serve('job'));
  return router;
}

/**
 * Writes the chunks as they come. Headers go out only with the first chunk
 * (or at the end), so that NotFound and friends still become a Status; a
 * follow of a Run that has printed nothing yet answers with its first output.
 */
async function streamText(
  req: Request,
  res: Response,
  chunks: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
): Promise<void> {
  const start = (): void => {
    if (res.headersSent) return;
    res.status(200);
    res.setHeader('Content-Type', 'text/plain; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);
  };
  for await (const chunk of chunks) {
    if (signal.aborted || res.destroyed) return;
    start();
    if (!res.write(chunk)) {
      await new Promise<void>((resolve) => {
        res.once('drain', resolve);
        res.once('close', resolve);
      });
    }
  }
  start();
  if (!res.writableEnded && !res.destroyed) res.end();
}
