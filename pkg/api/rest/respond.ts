// Writing responses: objects as JSON, errors as Status. Every write checks
// that nothing was sent yet, because a request may already have been answered
// by the request timeout when a slow client call finally returns.
import type { Response } from 'express';
import { objectJson, type Resource } from '../../store/index.js';
import { logError, type RestLogger } from './logger.js';
import {
  DEFAULT_RETRY_AFTER_SECONDS,
  statusOf,
  type Status,
  type StatusSubject,
} from './status.js';

/** Sends `body` as JSON with `code`, unless a response has already started. */
export function sendJson(res: Response, code: number, body: unknown): void {
  if (res.headersSent) return;
  res.status(code).json(body);
}

/**
 * Sends an object as JSON with `code`, as sendJson would, from its shared
 * bytes (objectJson: a stored object is encoded once for every response and
 * watch stream that sends it).
 */
export function sendObject(res: Response, code: number, object: Resource): void {
  if (res.headersSent) return;
  res.status(code).setHeader('Content-Type', 'application/json; charset=utf-8');
  res.send(objectJson(object));
}

/** Sends a Status (with Retry-After for 429). */
export function sendStatus(res: Response, status: Status): void {
  if (res.headersSent) return;
  if (status.code === 429) res.setHeader('Retry-After', String(DEFAULT_RETRY_AFTER_SECONDS));
  if (status.code === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="jobctl"');
  sendJson(res, status.code, status);
}

/**
 * Answers with the Status of `err` (its details naming `subject`, when given);
 * unexpected errors are logged with their stack, never sent.
 */
export function sendError(
  res: Response,
  err: unknown,
  logger: RestLogger,
  context: Record<string, unknown> = {},
  subject?: StatusSubject,
): void {
  const { status, internal } = statusOf(err, subject);
  if (internal) {
    logError(logger, 'internal error serving a request', {
      ...context,
      error: err instanceof Error ? (err.stack ?? err.message) : String(err),
    });
  }
  sendStatus(res, status);
}
