// A Wing & Gong linearizability search with Lowe's memoisation (the algorithm
// Porcupine and Knossos use), for one key's operations against the model of
// ./model.ts. Calls and returns are laid out in time order in a linked list; the
// search linearizes a pending call when the model allows it, and backtracks when it
// reaches the return of a call it has not linearized. A cache of (linearized set,
// model state) pairs already explored prunes the search. An op with an unknown result
// returns "at infinity" and may take effect or not (the model offers both).
import type { Op } from '../history.js';
import { absent, modelOp, step, stateKey, type KeyState, type ModelOp } from './model.js';

export interface KeyOp {
  readonly op: Op;
  readonly m: ModelOp;
}

export interface SearchResult {
  readonly ok: boolean;
  /** The search gave up after maxSteps (neither proven nor refuted). */
  readonly undecided?: boolean;
  readonly steps: number;
}

interface Entry {
  readonly idx: number;
  readonly isCall: boolean;
  readonly time: number;
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

/** The key's ops in the model's terms, in invocation order. */
export function opsForKey(ops: readonly Op[], key: string): KeyOp[] {
  const out: KeyOp[] = [];
  for (const op of ops) {
    const m = modelOp(op, key);
    if (m) out.push({ op, m });
  }
  return out.sort((a, b) => a.op.invokeMs - b.op.invokeMs || a.op.id - b.op.id);
}

export function checkKey(
  ops: readonly KeyOp[],
  init: KeyState = absent,
  maxSteps = 2_000_000,
): SearchResult {
  const n = ops.length;
  if (n === 0) return { ok: true, steps: 0 };
  const entries: Entry[] = [];
  ops.forEach((k, idx) => {
    const call: Entry = { idx, isCall: true, time: k.op.invokeMs };
    const ret: Entry = {
      idx,
      isCall: false,
      time: k.m.result === 'unknown' || k.op.completeMs === undefined ? Infinity : k.op.completeMs,
    };
    call.match = ret;
    entries.push(call, ret);
  });
  // Calls before returns at the same instant: treats touching ops as concurrent.
  entries.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? 0 : a.isCall ? -1 : 1));
  const head: Entry = { idx: -1, isCall: false, time: -Infinity };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  const lift = (e: Entry): void => {
    const r = e.match as Entry;
    (e.prev as Entry).next = e.next;
    if (e.next) e.next.prev = e.prev;
    (r.prev as Entry).next = r.next;
    if (r.next) r.next.prev = r.prev;
  };
  const unlift = (e: Entry): void => {
    const r = e.match as Entry;
    (r.prev as Entry).next = r;
    if (r.next) r.next.prev = r;
    (e.prev as Entry).next = e;
    if (e.next) e.next.prev = e;
  };

  const words = Math.ceil(n / 32);
  const bits = new Uint32Array(words);
  const cache = new Set<string>();
  const stack: { entry: Entry; state: KeyState; alt: number }[] = [];
  let state = init;
  let entry = head.next;
  let startAlt = 0;
  let steps = 0;
  while (head.next) {
    if (++steps > maxSteps) return { ok: false, undecided: true, steps };
    if (!entry) return { ok: false, steps }; // unreachable: a return always ends the list
    if (entry.isCall) {
      const alts = step(state, ops[entry.idx]?.m as ModelOp);
      let moved = false;
      for (let k = startAlt; k < alts.length; k++) {
        const next = alts[k] as KeyState;
        bits[entry.idx >> 5] = (bits[entry.idx >> 5] as number) | (1 << (entry.idx & 31));
        const key = `${bits.join(',')}#${stateKey(next)}`;
        if (cache.has(key)) {
          bits[entry.idx >> 5] = (bits[entry.idx >> 5] as number) & ~(1 << (entry.idx & 31));
          continue;
        }
        cache.add(key);
        stack.push({ entry, state, alt: k });
        state = next;
        lift(entry);
        entry = head.next;
        moved = true;
        break;
      }
      startAlt = 0;
      if (!moved) entry = entry.next;
    } else {
      const top = stack.pop();
      if (!top) return { ok: false, steps };
      state = top.state;
      bits[top.entry.idx >> 5] =
        (bits[top.entry.idx >> 5] as number) & ~(1 << (top.entry.idx & 31));
      unlift(top.entry);
      entry = top.entry;
      startAlt = top.alt + 1;
    }
  }
  return { ok: true, steps };
}

/**
 * The smallest prefix (in invocation order) of a failing key's ops that still fails,
 * and from it the window worth printing: the culprit (its last op) and every op back
 * to the last write that had completed before the culprit was invoked.
 */
export function minimalWindow(ops: readonly KeyOp[]): KeyOp[] {
  let lo = 1;
  let hi = ops.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (checkKey(ops.slice(0, mid)).ok) lo = mid + 1;
    else hi = mid;
  }
  const prefix = ops.slice(0, lo);
  const culprit = prefix[prefix.length - 1] as KeyOp;
  let start = 0;
  for (let i = prefix.length - 2; i >= 0; i--) {
    const k = prefix[i] as KeyOp;
    const done = k.op.completeMs !== undefined && k.op.completeMs < culprit.op.invokeMs;
    if (done && k.m.kind !== 'read' && k.m.result === 'ok') {
      start = i;
      break;
    }
  }
  return prefix.slice(start);
}
