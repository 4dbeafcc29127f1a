// SingleFlight: concurrent calls for the same key share one in-flight promise.
// The runtimes use it so that two start() calls for one Run (an agent retry
// racing the first attempt) create one container, never two.
export class SingleFlight<K, V> {
  private readonly inflight = new Map<K, Promise<V>>();

  /** The promise already running for `key`, or a new one from `fn` (forgotten once it settles). */
  run(key: K, fn: () => Promise<V>): Promise<V> {
    const running = this.inflight.get(key);
    if (running) return running;
    const p = fn().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }
}
