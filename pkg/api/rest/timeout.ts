// Every non-streaming request gets an answer within a bound: if the handler has
// not responded by then (a ResourceClient call stuck on an unreachable
// leader), the client gets 504 Timeout. A handler that finishes later finds
// the response already sent and writes nothing (see respond.ts).
import type { RequestHandler } from 'express';
import { Reason } from '../../util/errors.js';
import { sendStatus } from './respond.js';
import { newStatus } from './status.js';

/**
 * True for a `?watch=true` request or a log `?follow=true` (or 1), which
 * stream for as long as the client wants.
 */
function isStream(query: unknown): boolean {
  const q = query as Record<string, unknown>;
  return q.watch === 'true' || q.watch === '1' || q.follow === 'true' || q.follow === '1';
}

export function requestTimeout(ms: number): RequestHandler {
  return (req, res, next) => {
    if (ms <= 0 || isStream(req.query)) {
      next();
      return;
    }
    const timer = setTimeout(() => {
      sendStatus(
        res,
        newStatus(504, Reason.Timeout, `the request did not complete within ${ms / 1000} s`),
      );
    }, ms);
    const clear = (): void => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
