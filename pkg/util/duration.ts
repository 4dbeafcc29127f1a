// Durations as people type them on a command line or in a config file
// (jobctl --timeout, jobd --shutdown-grace).

/**
 * Parses "200ms", "30s", "5m", "1h30m", "2h", or a bare number of seconds, to
 * milliseconds; undefined when malformed. "0" means no limit to callers.
 */
export function parseDuration(text: string): number | undefined {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as string] ?? 0;
    total += Number(m[1]) * unit;
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? total : undefined;
}
