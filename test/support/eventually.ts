// One poller for tests that wait on a condition instead of a fixed sleep.

/**
 * Polls `fn` until it returns something other than undefined (errors count as "not
 * yet"), every `intervalMs`; throws after `timeoutMs` naming `what` and the last error.
 */
export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 120_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? last.message : last === undefined ? '' : String(last);
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${why ? `: ${why}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Polls a synchronous condition on (almost) every macrotask turn, up to timeoutMs. */
export async function eventuallyTrue(
  cond: () => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  await eventually(what, () => (cond() ? true : undefined), timeoutMs, 5);
}
