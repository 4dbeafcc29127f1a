// Per-client rate limiting of REST requests, with the same buckets and rules as
// gRPC (pkg/util/rate-limit.ts). Mounted after the health routes: probes and
// Prometheus scrapes (/healthz, /readyz, /metrics) are never limited. Over the
// rate: 429 TooManyRequests, a Status saying when to retry and a Retry-After header.
import type { Request, RequestHandler } from 'express';
import { clientHost, type ClientRateLimiter } from '../../util/rate-limit.js';
import { sendJson } from './respond.js';
import { newStatus } from './status.js';

/** Who a request counts against: the authenticated user when known, else the remote IP. */
export type RequestKey = (req: Request) => string;

export const remoteKey: RequestKey = (req) => clientHost(req.socket.remoteAddress);

export function rateLimit(
  limiter: ClientRateLimiter | undefined,
  keyOf: RequestKey = remoteKey,
): RequestHandler {
  return (req, res, next) => {
    if (!limiter?.enabled) return next();
    try {
      limiter.check(keyOf(req));
      next();
    } catch (err) {
      const e = err as Error & { retryAfterSeconds?: number };
      const seconds = e.retryAfterSeconds ?? 1;
      const status = newStatus(429, 'TooManyRequests', e.message);
      res.setHeader('Retry-After', String(seconds));
      sendJson(res, 429, { ...status, details: { retryAfterSeconds: seconds } });
    }
  };
}
