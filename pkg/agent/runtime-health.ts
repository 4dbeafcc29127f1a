// RuntimeHealth: is the container runtime usable (the node's RuntimeReady
// condition)? It pings the runtime every intervalMs while healthy; after a
// failure (a failed ping, or any RuntimeUnavailableError the agent reports via
// markUnavailable) it probes with exponential back-off until a ping succeeds.
// It never throws: an unreachable Docker makes the node RuntimeReady=False, not
// a crashed jobd. All waiting goes through the injected Clock.
import type { Runtime } from '../runtime/index.js';
import type { Clock, Timer } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import type { Logger } from '../reconcile/index.js';

export interface RuntimeReadiness {
  readonly ready: boolean;
  /** Why not ready (the runtime's error), or a short confirmation. */
  readonly message: string;
}

export interface RuntimeHealthOptions {
  readonly runtime: Runtime;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Ping period while healthy. */
  readonly intervalMs: number;
  /** First retry after a failure; doubles up to intervalMs * 6 (at least 30 s). */
  readonly retryMs: number;
  /** Called when readiness flips (not for the repeated same state). */
  readonly onChange?: (ready: boolean) => void;
}

export class RuntimeHealth {
  private readonly o: RuntimeHealthOptions;
  private state: RuntimeReadiness = { ready: false, message: 'runtime not checked yet' };
  private failures = 0;
  private timer: Timer | undefined;
  private probing: Promise<boolean> | undefined;
  private running = false;

  constructor(opts: RuntimeHealthOptions) {
    this.o = opts;
  }

  current(): RuntimeReadiness {
    return this.state;
  }

  get ready(): boolean {
    return this.state.ready;
  }

  /** Pings now, then keeps pinging. */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.probe();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** A call failed with RuntimeUnavailableError: not ready until a ping succeeds. */
  markUnavailable(err: unknown): void {
    const wasReady = this.state.ready;
    this.set(false, errorMessage(err));
    if (wasReady) {
      this.failures = 0;
      this.reschedule(this.o.retryMs);
    }
  }

  /** One ping now (joins one in flight); resolves with the readiness after it. */
  probe(): Promise<boolean> {
    this.probing ??= (async () => {
      try {
        await this.o.runtime.ping();
        this.failures = 0;
        this.set(true, `${this.o.runtime.name} runtime is ready`);
      } catch (err) {
        this.failures++;
        this.set(false, errorMessage(err));
      }
      return this.state.ready;
    })().finally(() => {
      this.probing = undefined;
      this.reschedule(this.nextDelay());
    });
    return this.probing;
  }

  private nextDelay(): number {
    if (this.state.ready) return this.o.intervalMs;
    const max = Math.max(30_000, this.o.intervalMs * 6);
    return Math.min(max, this.o.retryMs * 2 ** Math.max(0, this.failures - 1));
  }

  private reschedule(ms: number): void {
    if (!this.running) return;
    this.timer?.cancel();
    this.timer = this.o.clock.setTimer(ms, () => {
      this.timer = undefined;
      void this.probe();
    });
  }

  private set(ready: boolean, message: string): void {
    const changed = ready !== this.state.ready;
    this.state = { ready, message };
    if (!changed) return;
    if (ready) this.o.logger.info('container runtime is ready', { runtime: this.o.runtime.name });
    else {
      this.o.logger.warn('container runtime unavailable', {
        runtime: this.o.runtime.name,
        err: message,
      });
    }
    this.o.onChange?.(ready);
  }
}
