// Rate limiters for requeues after failures (client-go workqueue's
// DefaultControllerRateLimiter): a per-key exponential back-off combined with
// a global token bucket, the stricter (longer) delay winning. The per-key part
// keeps one broken object from spinning; the bucket keeps a mass failure (the
// API unavailable for every key) from flooding the leader.
import type { Clock } from '../util/clock.js';

export interface RateLimiter {
  /** The delay before `key` may be retried; each call counts as one more failure. */
  when(key: string): number;
  /** The key succeeded: its back-off starts over. */
  forget(key: string): void;
  /** Failures counted for `key` since it was last forgotten. */
  retries(key: string): number;
}

/** baseMs * 2^failures, capped at maxMs (5 ms .. 1000 s by default). */
export class ItemExponentialRateLimiter implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseMs = 5,
    private readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity for large n; min() caps it.
    return Math.min(this.maxMs, this.baseMs * Math.pow(2, n));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/**
 * A token bucket shared by all keys: `qps` tokens a second, at most `burst`
 * saved up. Each call takes a token (possibly one not yet earned) and returns
 * how long until that token exists, so callers space out evenly. Time comes
 * from the injected clock's monotonic reading.
 */
export class BucketRateLimiter implements RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly qps = 10,
    private readonly burst = 100,
  ) {
    this.tokens = burst;
    this.last = clock.monotonic();
  }

  when(_key: string): number {
    const now = this.clock.monotonic();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.qps) / 1000);
    this.last = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.qps;
  }

  forget(_key: string): void {}

  retries(_key: string): number {
    return 0;
  }
}

/** The longest delay of several limiters; every limiter counts the failure. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    let delay = 0;
    for (const l of this.limiters) delay = Math.max(delay, l.when(key));
    return delay;
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  retries(key: string): number {
    let n = 0;
    for (const l of this.limiters) n = Math.max(n, l.retries(key));
    return n;
  }
}

export interface DefaultRateLimiterOptions {
  /** First per-key delay (default 5 ms), doubled per failure... */
  readonly baseMs?: number;
  /** ...up to this cap (default 1000 s). */
  readonly maxMs?: number;
  /** Global retries per second (default 10) and burst (default 100). */
  readonly qps?: number;
  readonly burst?: number;
}

/** Per-key exponential (5 ms doubling to 1000 s) combined with a 10 qps / 100 burst bucket. */
export function defaultRateLimiter(
  clock: Clock,
  opts: DefaultRateLimiterOptions = {},
): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(opts.baseMs ?? 5, opts.maxMs ?? 1_000_000),
    new BucketRateLimiter(clock, opts.qps ?? 10, opts.burst ?? 100),
  );
}
