// Placement as the scheduler words and orders it: the kubectl-style message
// for a Run that fits nowhere ("0/3 nodes available: 2 insufficient memory, 1
// node(s) didn't match nodeSelector") and the order Runs are placed in.
import {
  allocationAfter,
  unfitReasons,
  type FitReason,
  type NodeState,
  type Requests,
  type Run,
} from '../../store/index.js';

// The rules themselves are the store's (pkg/store/fit.ts): the state machine
// re-checks every bind of a plan with them. Re-exported for the scheduler's users.
export {
  FitReason,
  addUsage,
  allocationAfter,
  matchesSelector,
  nodeReadiness,
  nodeState,
  unfitReasons,
  type NodeState,
  type NodeUsage,
} from '../../store/index.js';

/** `0/3 nodes available: 2 insufficient memory, 1 node(s) didn't match nodeSelector` */
export function unschedulableMessage(
  total: number,
  counts: ReadonlyMap<FitReason, number>,
): string {
  const parts = [...counts.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([reason, n]) => `${n} ${reason}`);
  const head = `0/${total} nodes available`;
  return parts.length > 0 ? `${head}: ${parts.join(', ')}` : head;
}

/**
 * Where `run` goes among `states`: the least allocated node it fits (ties: the
 * first in `states`), or none, with how many nodes refused it for each reason.
 * One choice for the scheduler's pass and for the dry-run preview.
 */
export function chooseNode(
  states: readonly NodeState[],
  run: Run,
  req: Requests,
): { best: NodeState | undefined; reasons: Map<FitReason, number> } {
  const reasons = new Map<FitReason, number>();
  let best: NodeState | undefined;
  let bestScore = Infinity;
  for (const st of states) {
    const why = unfitReasons(st, run, req);
    if (why.length > 0) {
      for (const r of why) reasons.set(r, (reasons.get(r) ?? 0) + 1);
      continue;
    }
    const score = allocationAfter(st, req);
    if (score < bestScore) {
      best = st;
      bestScore = score;
    }
  }
  return { best, reasons };
}

/** Higher priority first, then older first, then by namespace/name (deterministic). */
export function compareRuns(a: Run, b: Run): number {
  const pa = a.spec.priority ?? 0;
  const pb = b.spec.priority ?? 0;
  if (pa !== pb) return pb - pa;
  const ta = a.metadata.creationTimestamp;
  const tb = b.metadata.creationTimestamp;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
