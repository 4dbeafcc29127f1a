// Times as the CLI prints them (5s, 3m, 2h, 4d): ages from creation, durations
// from start to completion (or now, while running).

/** "42s", "3m12s" under 10 minutes, "2h", "4d". */
export function shortDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 120) return `${m}m`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h`;
  return `${Math.floor(hours / 24)}d`;
}

/** Time since `iso` ('' when absent or unparsable). */
export function age(iso: string | undefined, now = Date.now()): string {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? '' : shortDuration(now - t);
}

/** From start to end (or now); '' before it started. */
export function span(start: string | undefined, end: string | undefined, now = Date.now()): string {
  const a = start ? Date.parse(start) : NaN;
  if (Number.isNaN(a)) return '';
  const b = end ? Date.parse(end) : now;
  return shortDuration((Number.isNaN(b) ? now : b) - a);
}

/** A timestamp for a title attribute (local time, to the second). */
export function exact(iso: string | undefined): string {
  const t = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(t) ? '' : new Date(t).toLocaleString();
}
