// The buffer between a store watch (which pushes events synchronously, inside
// Raft's apply loop) and an async iterator (which the consumer pulls at its
// own pace). The store must never block on a slow consumer, so events queue
// here; a consumer that falls too far behind loses its watch with reason Gone
// and relists, as a Kubernetes watcher that cannot keep up is closed.
import { JobctlError, Reason } from '../util/errors.js';
import type { WatchEvent } from '../store/index.js';

/** Default bound on live events waiting for a slow consumer. */
export const DEFAULT_WATCH_BUFFER = 10_000;

type Waiter = {
  resolve: (event: WatchEvent | undefined) => void;
  reject: (err: unknown) => void;
};

export class WatchQueue {
  /** Slots before `head` are cleared to undefined, so consumed events can be collected. */
  private readonly events: (WatchEvent | undefined)[] = [];
  private head = 0;
  private waiter: Waiter | undefined;
  private ended = false;
  private error: unknown;
  /** While true (the store's synchronous replay), the bound does not apply. */
  private replaying = true;

  /** `onOverflow` is called once when the bound is exceeded (to cancel the store watch). */
  constructor(
    private readonly limit: number,
    private readonly onOverflow: () => void,
  ) {}

  get length(): number {
    return this.events.length - this.head;
  }

  /** Called once the store has replayed history or the initial objects. */
  live(): void {
    this.replaying = false;
  }

  push(event: WatchEvent): void {
    if (this.ended) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(event);
      return;
    }
    if (!this.replaying && this.length >= this.limit) {
      this.fail(
        new JobctlError(
          Reason.Gone,
          `watch consumer fell behind by more than ${this.limit} events; relist and watch again`,
        ),
      );
      this.onOverflow();
      return;
    }
    this.events.push(event);
  }

  /** No more events: pending and later next() calls return undefined once drained. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.settle();
  }

  /** Ends the queue with an error, thrown by next() once buffered events are drained. */
  fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = err;
    this.settle();
  }

  /** The next event; undefined when ended; throws the failure. */
  next(): Promise<WatchEvent | undefined> {
    if (this.length > 0) {
      const event = this.events[this.head] as WatchEvent;
      this.events[this.head++] = undefined;
      if (this.head > 1024 && this.head * 2 > this.events.length) {
        this.events.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve(event);
    }
    if (this.ended) {
      return this.error !== undefined ? Promise.reject(this.error) : Promise.resolve(undefined);
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private settle(): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = undefined;
    if (this.error !== undefined) w.reject(this.error);
    else w.resolve(undefined);
  }
}
