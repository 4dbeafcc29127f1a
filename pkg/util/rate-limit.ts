// Per-client rate limiting: one token bucket per client key, shared by the gRPC
// adapter (pkg/transport/rate-limit-grpc.ts) and REST (pkg/api/rest/rate-limit.ts)
// so a client gets the same budget whichever surface it uses. The key is the
// authenticated user when the adapter knows one, else the remote IP address
// (without the port: every connection of one host shares its bucket).
//
// jobd --rate-limit QPS[:BURST] (default 200:400; 0 disables). Buckets idle long
// enough to be full again are forgotten, so memory stays bounded by the number of
// clients active within a few seconds.
import { realClock, type Clock } from './clock.js';
import { JobctlError, Reason } from './errors.js';

export interface RateLimitOptions {
  /** Sustained requests per second per client; 0 disables the limit. */
  readonly qps: number;
  /** Requests a client may make at once after being idle. Default 2 × qps (at least 1). */
  readonly burst?: number;
  readonly clock?: Pick<Clock, 'monotonic'>;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { qps: 200, burst: 400 };

/** Buckets kept at most; beyond it, the oldest are dropped (a flood of distinct keys). */
const MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  /** Monotonic ms of the last refill. */
  at: number;
}

export type RateDecision =
  { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/**
 * Admits or refuses a client's request now (TooManyRequests). Not to be
 * confused with pkg/reconcile's RateLimiter, which delays a work queue's
 * retry of a failing key.
 */
export class ClientRateLimiter {
  private readonly qps: number;
  private readonly burst: number;
  private readonly clock: Pick<Clock, 'monotonic'>;
  private readonly buckets = new Map<string, Bucket>();

  constructor(opts: RateLimitOptions) {
    this.qps = opts.qps;
    this.burst = Math.max(1, opts.burst ?? Math.ceil(2 * opts.qps));
    this.clock = opts.clock ?? realClock;
  }

  get enabled(): boolean {
    return this.qps > 0;
  }

  /** Takes one token from `key`'s bucket, or says how long until one is there. */
  take(key: string): RateDecision {
    if (!this.enabled) return { ok: true };
    const now = this.clock.monotonic();
    let b = this.buckets.get(key);
    if (b === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.sweep(now);
      b = { tokens: this.burst, at: now };
    } else {
      b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) * this.qps) / 1000);
      b.at = now;
      this.buckets.delete(key); // re-inserted below: the Map stays in last-use order
    }
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterMs: Math.ceil(((1 - b.tokens) * 1000) / this.qps) };
  }

  /** Throws JobctlError(TooManyRequests) when `key` is over its rate. */
  check(key: string): void {
    const d = this.take(key);
    if (!d.ok) throw rateLimitedError(key, d.retryAfterMs, this.qps, this.burst);
  }

  /** Number of buckets held (tests). */
  get size(): number {
    return this.buckets.size;
  }

  /** Drops buckets that are full again (idle long enough), and the oldest half if none is. */
  private sweep(now: number): void {
    const fullAfterMs = (this.burst * 1000) / this.qps;
    for (const [k, b] of this.buckets) if (now - b.at >= fullAfterMs) this.buckets.delete(k);
    if (this.buckets.size < MAX_BUCKETS) return;
    let drop = this.buckets.size / 2;
    for (const k of this.buckets.keys()) {
      if (drop-- <= 0) break;
      this.buckets.delete(k);
    }
  }
}

/** The refusal: reason TooManyRequests, saying when to retry. */
export function rateLimitedError(
  key: string,
  retryAfterMs: number,
  qps: number,
  burst: number,
): JobctlError & { retryAfterSeconds: number } {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const err = new JobctlError(
    Reason.TooManyRequests,
    `rate limit exceeded for client ${key} (${qps} requests/s, burst ${burst}); retry after ${seconds}s`,
  ) as JobctlError & { retryAfterSeconds: number };
  err.retryAfterSeconds = seconds;
  return err;
}

/** "QPS[:BURST]" (jobd --rate-limit) -> options; "0" disables. */
export function parseRateLimit(value: string | number): RateLimitOptions {
  const text = String(value).trim();
  const m = /^(\d+(?:\.\d+)?)(?::(\d+))?$/.exec(text);
  if (!m) {
    throw new JobctlError(
      Reason.Invalid,
      `--rate-limit: expected QPS[:BURST] (e.g. 200:400, or 0 to disable), got "${text}"`,
    );
  }
  const qps = Number(m[1]);
  const burst = m[2] !== undefined ? Number(m[2]) : undefined;
  if (qps > 0 && burst !== undefined && burst < 1) {
    throw new JobctlError(Reason.Invalid, `--rate-limit: BURST must be at least 1, got ${burst}`);
  }
  return burst !== undefined ? { qps, burst } : { qps };
}

/** The IP part of a peer address: "ipv4:1.2.3.4:5678" / "[::1]:5678" / "::ffff:1.2.3.4" -> the host. */
export function clientHost(peer: string | undefined): string {
  if (!peer) return 'unknown';
  let p = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracket = /^\[([^\]]+)\](?::\d+)?$/.exec(p);
  if (bracket) p = bracket[1] ?? p;
  else if (/^[^:]+:\d+$/.test(p)) p = p.slice(0, p.lastIndexOf(':'));
  return p.replace(/^::ffff:/, '');
}
