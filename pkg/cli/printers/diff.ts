// A unified diff of two texts by lines (diff -u layout, 3 lines of context),
// from a longest-common-subsequence table: objects are small, so O(n*m) is
// fine and no dependency is needed.

type Op = { readonly tag: ' ' | '-' | '+'; readonly line: string };

function ops(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j]: LCS length of a[i..] and b[j..].
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] =
        a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ tag: ' ', line: a[i++]! });
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      // Deletions before insertions, as diff -u prints them.
      out.push({ tag: '-', line: a[i++]! });
    } else {
      out.push({ tag: '+', line: b[j++]! });
    }
  }
  return out;
}

const range = (start: number, count: number): string =>
  count === 1 ? `${start}` : `${count === 0 ? start - 1 : start},${count}`;

/** Hunks of a unified diff (without the ---/+++ header); [] when equal. */
export function unifiedDiff(before: string, after: string, context = 3): string[] {
  const split = (t: string): string[] => (t === '' ? [] : t.replace(/\n$/, '').split('\n'));
  const all = ops(split(before), split(after));
  const changed = all.map((o, k) => (o.tag !== ' ' ? k : -1)).filter((k) => k >= 0);
  if (changed.length === 0) return [];
  // Group changes whose context windows touch into hunks.
  const hunks: [number, number][] = [];
  for (const k of changed) {
    const lo = Math.max(0, k - context);
    const hi = Math.min(all.length - 1, k + context);
    const last = hunks[hunks.length - 1];
    if (last && lo <= last[1] + 1) last[1] = hi;
    else hunks.push([lo, hi]);
  }
  const lines: string[] = [];
  for (const [lo, hi] of hunks) {
    let aStart = 1;
    let bStart = 1;
    for (let k = 0; k < lo; k++) {
      if (all[k]!.tag !== '+') aStart++;
      if (all[k]!.tag !== '-') bStart++;
    }
    const body = all.slice(lo, hi + 1);
    const aCount = body.filter((o) => o.tag !== '+').length;
    const bCount = body.filter((o) => o.tag !== '-').length;
    lines.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`);
    for (const o of body) lines.push(`${o.tag}${o.line}`);
  }
  return lines;
}
