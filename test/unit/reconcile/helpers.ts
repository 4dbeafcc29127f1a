// Awaiting conditions instead of sleeping: flush() lets pending promise
// chains and I/O callbacks run; until() repeats that until a condition holds.

/** Lets queued microtasks and one macrotask turn run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Flushes until `cond()` is true; fails after `turns` turns (no wall-clock sleeps). */
export async function until(
  cond: () => boolean,
  what = 'condition',
  turns = 10_000,
): Promise<void> {
  for (let i = 0; i < turns; i++) {
    if (cond()) return;
    await flush();
  }
  throw new Error(`timed out waiting for ${what}`);
}
