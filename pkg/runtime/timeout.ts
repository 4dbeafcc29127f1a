// Racing a promise against the injected clock without leaving a timer behind (a dangling
// timer would keep jobd — or a test process — alive after the work is done).
import type { Clock } from '../util/clock.js';

export const TIMED_OUT: unique symbol = Symbol('timed out');

/** p's value, or TIMED_OUT if ms pass first. The timer is cancelled either way. */
export async function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  clock: Clock,
): Promise<T | typeof TIMED_OUT> {
  let timer: { cancel(): void } | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = clock.setTimer(ms, () => resolve(TIMED_OUT));
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    timer?.cancel();
  }
}
