// Query parameters, parsed strictly: a malformed value is a 400 that names the
// parameter, never silently ignored.
import type { Request } from 'express';
import type { Consistency } from '../../client/index.js';
import { badRequest } from './status.js';

/** A single-valued parameter ('' counts as absent). */
export function queryString(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw badRequest(`query parameter ${JSON.stringify(name)} was given more than once`);
  return value === '' ? undefined : value;
}

/** true/1 or false/0; absent is `fallback`. */
export function queryBool(req: Request, name: string, fallback = false): boolean {
  const value = queryString(req, name);
  if (value === undefined) return fallback;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw badRequest(
    `query parameter ${JSON.stringify(name)} must be true or false, not ${JSON.stringify(value)}`,
  );
}

/** A non-negative integer, or undefined. */
export function queryCount(req: Request, name: string): number | undefined {
  const value = queryString(req, name);
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) {
    throw badRequest(
      `query parameter ${JSON.stringify(name)} must be a non-negative integer, not ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** `consistency=stale|linearizable` (default linearizable). */
export function queryConsistency(req: Request): Consistency | undefined {
  const value = queryString(req, 'consistency');
  if (value === undefined) return undefined;
  if (value === 'stale' || value === 'linearizable') return value;
  throw badRequest(
    `query parameter "consistency" must be stale or linearizable, not ${JSON.stringify(value)}`,
  );
}

/** Kubernetes' `dryRun=All` becomes the client's dryRun: 'server'. */
export function queryDryRun(req: Request): 'server' | undefined {
  const value = queryString(req, 'dryRun');
  if (value === undefined) return undefined;
  if (value === 'All') return 'server';
  throw badRequest(`query parameter "dryRun" must be All, not ${JSON.stringify(value)}`);
}

/**
 * Kubernetes' `fieldValidation=Ignore|Warn|Strict`, checked for its value.
 * Every write is validated strictly against its kind's schema whatever it
 * says (unknown fields are refused, never dropped), which is what Strict asks.
 */
export function queryFieldValidation(req: Request): void {
  const value = queryString(req, 'fieldValidation');
  if (value === undefined || value === 'Ignore' || value === 'Warn' || value === 'Strict') return;
  throw badRequest(
    `query parameter "fieldValidation" must be Ignore, Warn or Strict, not ${JSON.stringify(value)}`,
  );
}
