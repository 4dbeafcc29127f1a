// The order a pass places pending Runs in (compareRuns: higher priority, then
// older, then namespace/name), kept from one pass to the next. With 100,000
// Runs waiting, sorting them all again on every pass (and a pass follows
// every Run event) held the leader's event loop for hundreds of
// milliseconds at a time. What decides a Run's place (its priority, creation
// time and name) never changes, so the Runs still pending keep the order the
// last pass found, and only the Runs new since then are sorted and merged in:
// O(pending) per pass, plus O(new log new).
import type { Run } from '../../store/index.js';
import { keyOf } from '../../reconcile/index.js';
import { compareRuns } from './fit.js';

export class PendingOrder {
  /** Keys of the last pass's pending Runs, in placement order. */
  private keys: string[] = [];

  /** `pending` (in any order) in placement order. */
  sort(pending: readonly Run[]): Run[] {
    const fresh = new Map<string, Run>();
    for (const run of pending) fresh.set(keyOf(run), run);
    const kept: Run[] = [];
    for (const key of this.keys) {
      const run = fresh.get(key);
      if (!run) continue;
      kept.push(run);
      fresh.delete(key);
    }
    // A place that did change (a Run replaced under the same name) costs one full sort.
    if (!isSorted(kept)) kept.sort(compareRuns);
    const out = merge(kept, [...fresh.values()].sort(compareRuns));
    this.keys = out.map(keyOf);
    return out;
  }
}

function isSorted(runs: readonly Run[]): boolean {
  for (let i = 1; i < runs.length; i++) {
    if (compareRuns(runs[i - 1] as Run, runs[i] as Run) > 0) return false;
  }
  return true;
}

/** Two sorted lists as one; on a tie, `a`'s Run first. */
function merge(a: readonly Run[], b: readonly Run[]): Run[] {
  if (b.length === 0) return [...a];
  const out: Run[] = new Array<Run>(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length) {
    out[k++] = compareRuns(a[i] as Run, b[j] as Run) <= 0 ? (a[i++] as Run) : (b[j++] as Run);
  }
  while (i < a.length) out[k++] = a[i++] as Run;
  while (j < b.length) out[k++] = b[j++] as Run;
  return out;
}
