// Watch streams: per key, events must come in strictly increasing revision order
// (a repeat or a step back is a duplicate), and no revision of the key that anyone
// observed (another watcher, or a write's answer) within the span a stream covered may
// be missing from it (a gap). After healing, replaying each stream over its starting
// list must give the final state of every key (a gap at the end shows here).
import type { History, Observed, WatchRecord } from '../history.js';

export interface WatchAnomaly {
  readonly watcher: number;
  readonly key: string;
  readonly kind: 'duplicate' | 'out-of-order' | 'gap' | 'final-mismatch';
  readonly detail: string;
}

/** Every revision of each key that some watcher or some acknowledged write saw. */
function knownRevisions(h: History): Map<string, Set<number>> {
  const known = new Map<string, Set<number>>();
  const add = (key: string, rv: number): void => {
    let s = known.get(key);
    if (!s) known.set(key, (s = new Set()));
    s.add(rv);
  };
  for (const w of h.watches)
    for (const seg of w.segments) for (const e of seg.events) add(e.key, e.rv);
  for (const op of h.ops) {
    // A delete's answer is the object's last state, not the deletion's revision.
    if (op.result === 'ok' && op.out && op.key && op.kind !== 'delete' && op.kind !== 'get')
      add(op.key, op.out.rv);
  }
  return known;
}

export function checkWatches(h: History): WatchAnomaly[] {
  const out: WatchAnomaly[] = [];
  const known = knownRevisions(h);
  for (const w of h.watches) {
    w.segments.forEach((seg, si) => {
      const byKey = new Map<string, number[]>();
      for (const e of seg.events) {
        let l = byKey.get(e.key);
        if (!l) byKey.set(e.key, (l = []));
        l.push(e.rv);
      }
      let segEnd = seg.startRv;
      for (const e of seg.events) segEnd = Math.max(segEnd, e.rv);
      for (const [key, rvs] of byKey) {
        for (let i = 1; i < rvs.length; i++) {
          const a = rvs[i - 1] as number;
          const b = rvs[i] as number;
          if (b === a)
            out.push({
              watcher: w.watcher,
              key,
              kind: 'duplicate',
              detail: `segment ${si}: revision ${b} delivered twice`,
            });
          else if (b < a)
            out.push({
              watcher: w.watcher,
              key,
              kind: 'out-of-order',
              detail: `segment ${si}: revision ${b} after ${a}`,
            });
        }
      }
      // A modification the stream must have seen: after its start, up to the last
      // revision it delivered (of any key: revisions are global and ordered).
      for (const [key, revs] of known) {
        const seen = new Set(byKey.get(key) ?? []);
        for (const rv of revs) {
          if (rv > seg.startRv && rv <= segEnd && !seen.has(rv))
            out.push({
              watcher: w.watcher,
              key,
              kind: 'gap',
              detail: `segment ${si} (from ${seg.startRv} to ${segEnd}): revision ${rv} missing`,
            });
        }
      }
    });
  }
  return out;
}

/** A watcher's view of every key at the end of its last segment. */
export function replay(w: WatchRecord): Map<string, Observed> {
  const seg = w.segments[w.segments.length - 1];
  const state = new Map<string, Observed>();
  if (!seg) return state;
  for (const [k, v] of Object.entries(seg.initial)) state.set(k, v);
  for (const e of seg.events) {
    if (e.type === 'DELETED') state.delete(e.key);
    else state.set(e.key, { value: e.value ?? '', rv: e.rv });
  }
  return state;
}

/** Keys on which a watcher's replayed view differs from the final list. */
export function finalMismatches(w: WatchRecord, final: Record<string, Observed>): WatchAnomaly[] {
  const view = replay(w);
  const out: WatchAnomaly[] = [];
  const keys = new Set([...view.keys(), ...Object.keys(final)]);
  for (const key of keys) {
    const a = view.get(key);
    const b = final[key];
    if (a?.rv !== b?.rv || a?.value !== b?.value)
      out.push({
        watcher: w.watcher,
        key,
        kind: 'final-mismatch',
        detail: `watch view ${JSON.stringify(a)} vs store ${JSON.stringify(b)}`,
      });
  }
  return out;
}
