// `?watch=true`: a client.watch streamed as newline-delimited JSON, one
// {"type":"ADDED|MODIFIED|DELETED","object":{...}} per line, each written (and
// so flushed, in chunked encoding) as it happens. The stream ends cleanly when
// the client disconnects: the server-side watch is cancelled through its
// AbortSignal. A failure once streaming has begun (Gone: too old a
// resourceVersion or a consumer too slow) is sent Kubernetes style, as an
// {"type":"ERROR","object":{Status}} event, and the stream ends.
import type { Request, Response } from 'express';
import type { ResourceClient, WatchOptions } from '../../client/index.js';
import {
  parseFieldSelector,
  parseLabelSelector,
  COMMON_FIELD_SELECTORS,
} from '../../store/index.js';
import { JobctlError, Reason } from '../../util/errors.js';
import { logError, type RestLogger } from './logger.js';
import type { Target } from './resources-path.js';
import { statusOf } from './status.js';

export interface WatchSettings {
  readonly heartbeatMs: number;
  readonly logger: RestLogger;
}

export interface WatchRequest {
  readonly target: Target;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  /** Ends the stream cleanly after this long (Kubernetes' timeoutSeconds). */
  readonly timeoutSeconds?: number;
}

/**
 * Refuses bad selectors and versions before any byte is sent, so that they get
 * a plain 422 rather than a 200 with an ERROR event.
 */
function checkSelectors(w: WatchRequest): void {
  if (w.labelSelector) parseLabelSelector(w.labelSelector);
  if (w.fieldSelector) {
    parseFieldSelector(w.fieldSelector, [
      ...COMMON_FIELD_SELECTORS,
      ...w.target.info.fieldSelectors,
    ]);
  }
  if (w.resourceVersion !== undefined && !/^\d{1,15}$/.test(w.resourceVersion)) {
    throw new JobctlError(
      Reason.Invalid,
      `invalid resourceVersion ${JSON.stringify(w.resourceVersion)}: must be a revision number`,
    );
  }
}

/** Resolves when `res` can take more data, or has closed. */
function drained(res: Response): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Streams one watch until the client leaves, the watch ends or fails, or the timeout passes. */
export async function serveWatch(
  req: Request,
  res: Response,
  client: ResourceClient,
  w: WatchRequest,
  settings: WatchSettings,
): Promise<void> {
  checkSelectors(w);
  const abort = new AbortController();
  const opts: WatchOptions = {
    ...(w.target.namespace !== undefined ? { namespace: w.target.namespace } : {}),
    ...(w.labelSelector !== undefined ? { labelSelector: w.labelSelector } : {}),
    ...(w.fieldSelector !== undefined ? { fieldSelector: w.fieldSelector } : {}),
    ...(w.resourceVersion !== undefined ? { resourceVersion: w.resourceVersion } : {}),
    signal: abort.signal,
  };
  // Before any byte: a refusal (Unauthorized, Forbidden) is a plain error status.
  const events = client.watch(w.target.info.kind, opts);
  const onClose = (): void => abort.abort();
  res.on('close', onClose);

  res.status(200);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-cache, no-store');
  // Tells nginx-style proxies not to buffer the stream.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);

  const open = (): boolean => !abort.signal.aborted && !res.destroyed && !res.writableEnded;
  const heartbeat =
    settings.heartbeatMs > 0
      ? setInterval(() => {
          if (open()) res.write('\n');
        }, settings.heartbeatMs)
      : undefined;
  const deadline =
    w.timeoutSeconds !== undefined && w.timeoutSeconds > 0
      ? setTimeout(() => abort.abort(), w.timeoutSeconds * 1000)
      : undefined;

  try {
    for await (const event of events) {
      if (!open()) break;
      const line = `${JSON.stringify({ type: event.type, object: event.object })}\n`;
      // Respect the socket's backpressure; a consumer that stays slow makes
      // the client's own buffer overflow, which ends the watch with Gone.
      if (!res.write(line)) await drained(res);
      if (!open()) break;
    }
  } catch (err) {
    const { status, internal } = statusOf(err);
    if (internal || (status.reason !== Reason.Gone && status.code >= 500)) {
      logError(settings.logger, 'watch failed', {
        kind: w.target.info.kind,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
    }
    if (open()) res.write(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
  } finally {
    if (heartbeat) clearInterval(heartbeat);
    if (deadline) clearTimeout(deadline);
    res.off('close', onClose);
    abort.abort();
    if (!res.writableEnded && !res.destroyed) res.end();
  }
}
