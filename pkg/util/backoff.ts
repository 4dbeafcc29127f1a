// Exponential back-off with optional jitter. Pure: the caller supplies the Rng.
import type { Rng } from './rng.js';

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor?: number;
  /** Fraction of the delay randomised, e.g. 0.2 gives +-20%. Needs an Rng. */
  readonly jitter?: number;
}

/** The delay before retry number `attempt` (0-based). */
export function backoffDelay(opts: BackoffOptions, attempt: number, rng?: Rng): number {
  const factor = opts.factor ?? 2;
  const base = Math.min(opts.maxMs, opts.initialMs * Math.pow(factor, Math.max(0, attempt)));
  if (!opts.jitter || !rng) return base;
  const spread = base * opts.jitter;
  return Math.max(0, Math.min(opts.maxMs, base - spread + rng.next() * 2 * spread));
}
