// Timestamps in objects are ISO strings; controllers read "now" only from the
// injected Clock and convert here.

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Milliseconds since the epoch, or undefined for a missing or malformed timestamp. */
export function parseTime(iso: string | undefined): number | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
