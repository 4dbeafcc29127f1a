// The work queue between event handlers and reconcile workers, with
// client-go's semantics:
//   - a key is queued at most once (adding a queued key is a no-op: events
//     for one object merge into one reconcile);
//   - a key being processed is never handed to a second worker; adding it
//     meanwhile marks it dirty, and done() requeues it, so the change is seen
//     by a reconcile that starts after it;
//   - addAfter(key, ms) adds it later (the earliest pending deadline wins);
//   - addRateLimited(key) adds it after the rate limiter's delay and forget(key)
//     resets that delay.
// Delays use the injected Clock, so tests drive them with a FakeClock.
import type { Clock, Timer } from '../util/clock.js';
import type { RateLimiter } from './ratelimit.js';

interface Waiting {
  readonly at: number;
  readonly timer: Timer;
}

export interface WorkQueueOptions {
  readonly clock: Clock;
  readonly rateLimiter: RateLimiter;
}

export class WorkQueue {
  private readonly clock: Clock;
  private readonly limiter: RateLimiter;
  /** FIFO of keys ready to hand out (each also in `dirty`). */
  private items: string[] = [];
  private head = 0;
  /** Keys that need processing: queued, or added again while processing. */
  private readonly dirty = new Set<string>();
  /** Keys handed to a worker and not yet done(). */
  private readonly processing = new Set<string>();
  /** Keys waiting for a delay, with the earliest deadline (monotonic ms). */
  private readonly waiting = new Map<string, Waiting>();
  /** Workers blocked in get(). */
  private readonly getters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];

  constructor(opts: WorkQueueOptions) {
    this.clock = opts.clock;
    this.limiter = opts.rateLimiter;
  }

  /** Keys ready to be handed out (not counting those processing or waiting). */
  get length(): number {
    return this.items.length - this.head;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Keys currently handed to workers. */
  get processingCount(): number {
    return this.processing.size;
  }

  /** Keys waiting for addAfter/addRateLimited delays. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done() queues it
    this.push(key);
  }

  /** Adds `key` after `ms` (at once if ms <= 0); an earlier pending deadline wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const at = this.clock.monotonic() + ms;
    const prev = this.waiting.get(key);
    if (prev && prev.at <= at) return;
    prev?.timer.cancel();
    const timer = this.clock.setTimer(ms, () => {
      const w = this.waiting.get(key);
      if (w?.timer !== timer) return;
      this.waiting.delete(key);
      this.add(key);
    });
    this.waiting.set(key, { at, timer });
  }

  /** Adds `key` after the rate limiter's delay (counts one more failure). */
  addRateLimited(key: string): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets the key's failure back-off. */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** Failures counted for `key` since the last forget(). */
  retries(key: string): number {
    return this.limiter.retries(key);
  }

  /**
   * The next key to process (the caller must call done(key) afterwards), or
   * undefined once the queue is shut down.
   */
  get(): Promise<string | undefined> {
    const key = this.pop();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Processing of `key` finished; if it was added meanwhile it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    else this.dirty.delete(key);
    if (this.processing.size === 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Stops handing out keys: blocked and later get() calls return undefined,
   * adds are ignored and delayed adds are cancelled. Keys already handed out
   * may still be done(); the returned promise resolves once all are.
   */
  shutDown(): Promise<void> {
    this.shuttingDown = true;
    for (const w of this.waiting.values()) w.timer.cancel();
    this.waiting.clear();
    this.items = [];
    this.head = 0;
    const getters = this.getters.splice(0);
    for (const g of getters) g(undefined);
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private push(key: string): void {
    const getter = this.getters.shift();
    if (getter) {
      this.take(key);
      getter(key);
      return;
    }
    this.items.push(key);
  }

  private pop(): string | undefined {
    if (this.shuttingDown || this.head >= this.items.length) return undefined;
    const key = this.items[this.head++] as string;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.take(key);
    return key;
  }

  private take(key: string): void {
    this.processing.add(key);
    this.dirty.delete(key);
  }
}
