// `?watch=true`: a client.watch streamed as newline-delimited JSON, one
// {"type":"ADDED|MODIFIED|DELETED","object":{...}} per line, each written (and
// so flushed, in chunked encoding) as it happens. The stream ends cleanly when
// the client disconnects: the server-side watch is cancelled through its
// AbortSignal. A failure once streaming has begun (Gone: too old a
// resourceVersion or a consumer too slow) is sent Kubernetes style, as an
// {"type":"ERROR","object":{Status}} event (reason Expired, code 410), and
// the stream ends.
//
// As client-go expects: resourceVersion "0" (or none) starts with the current
// objects as ADDED; timeoutSeconds ends the stream; with allowWatchBookmarks
// an idle stream gets BOOKMARK events (an object carrying only the
// resourceVersion a client may resume from) where it would get a bare newline.
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
import { objectJson, type Resource } from '../../store/index.js';
import { statusOf } from './status.js';

export interface WatchSettings {
  readonly heartbeatMs: number;
  readonly logger: RestLogger;
  /** What an event's object is sent as (a Table row, for kubectl); default the object. */
  readonly render?: (object: Resource) => unknown;
}

export interface WatchRequest {
  readonly target: Target;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  /** Ends the stream cleanly after this long (Kubernetes' timeoutSeconds). */
  readonly timeoutSeconds?: number;
  /** allowWatchBookmarks: heartbeats are BOOKMARK events once a resumable version is known. */
  readonly bookmarks?: boolean;
}

/** A BOOKMARK event's object: the kind, and the version the watch has delivered up to. */
function bookmark(w: WatchRequest, resourceVersion: string): string {
  const object = {
    kind: w.target.info.kind,
    apiVersion: w.target.info.apiVersion,
    metadata: { resourceVersion },
  };
  return `${JSON.stringify({ type: 'BOOKMARK', object })}\n`;
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

/** The larger of two revisions (undefined when neither is known). */
function newer(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Number(b) > Number(a) ? b : a;
}

const LINE_END = Buffer.from('}\n');
const LINE_STARTS = new Map<string, Buffer>();

/**
 * `{"type":TYPE,"object":OBJECT}` and a newline, as JSON.stringify would write
 * it, around the object's shared bytes (objectJson: every watcher of a change
 * sends the same bytes, encoded once).
 */
function eventLine(type: string, object: Resource): Buffer {
  let start = LINE_STARTS.get(type);
  if (start === undefined) {
    start = Buffer.from(`{"type":${JSON.stringify(type)},"object":`);
    LINE_STARTS.set(type, start);
  }
  const body = objectJson(object);
  return Buffer.concat([start, body, LINE_END], start.length + body.length + LINE_END.length);
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
    // "0" is Kubernetes' "any version": the current objects first, as with none.
    ...(w.resourceVersion !== undefined && w.resourceVersion !== '0'
      ? { resourceVersion: w.resourceVersion }
      : {}),
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
  /** The newest version delivered (or asked to resume from): where a bookmark points. */
  let delivered = w.resourceVersion !== '0' ? w.resourceVersion : undefined;
  const heartbeat =
    settings.heartbeatMs > 0
      ? setInterval(() => {
          if (!open()) return;
          res.write(w.bookmarks && delivered ? bookmark(w, delivered) : '\n');
        }, settings.heartbeatMs)
      : undefined;
  const deadline =
    w.timeoutSeconds !== undefined && w.timeoutSeconds > 0
      ? setTimeout(() => abort.abort(), w.timeoutSeconds * 1000)
      : undefined;

  try {
    for await (const event of events) {
      if (!open()) break;
      const line = settings.render
        ? `${JSON.stringify({ type: event.type, object: settings.render(event.object) })}\n`
        : eventLine(event.type, event.object);
      delivered = newer(delivered, event.object.metadata.resourceVersion);
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
