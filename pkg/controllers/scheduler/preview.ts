// Where a Run would be placed now, or why it would wait: the scheduler's own
// rules (the queues' gate, then node fit and least-allocated spreading) applied
// to one Run that does not exist yet, against the cluster as it is. Pure; the
// API server calls it for `apply --dry-run=server` (pkg/api/dry-run-placement.ts).
// It answers for this moment only: Runs placed meanwhile, a node going away or
// a queue filling up can change the answer by the time the Run exists.
import {
  addUsage,
  nodeState,
  runRequests,
  type Node,
  type NodeState,
  type Queue,
  type Run,
} from '../../store/index.js';
import { isFinalRun } from '../common/runs.js';
import { chooseNode, unschedulableMessage } from './fit.js';
import { gateQueues } from './queues.js';

export interface PlacementPreview {
  /** The node it would be placed on; absent when it would wait. */
  readonly node?: string;
  /** "would be placed on node-2", or why it would wait. */
  readonly message: string;
}

/**
 * Where `candidate` (an unbound Run, created now) would go, given every Node,
 * Run and Queue. Other pending Runs are counted only as queue members ahead of
 * it (they would be placed first; where is the next pass's business).
 */
export function previewPlacement(
  candidate: Run,
  nodes: readonly Node[],
  runs: readonly Run[],
  queues: readonly Queue[],
): PlacementPreview {
  const usage = new Map<string, NodeState>();
  for (const n of nodes) usage.set(n.metadata.name, nodeState(n));
  const bound: Run[] = [];
  const pending: Run[] = [];
  for (const run of runs) {
    if (isFinalRun(run)) continue;
    if (run.spec.nodeName) {
      bound.push(run);
      const st = usage.get(run.spec.nodeName);
      if (st) addUsage(st.used, runRequests(run));
    } else if (!run.spec.cancelled && run.spec.queue && run.spec.queue === candidate.spec.queue) {
      pending.push(run);
    }
  }
  if (candidate.spec.queue) {
    const gate = gateQueues({ pending: [...pending, candidate], bound, queues });
    const waiting = gate.waiting.find((w) => w.run === candidate);
    if (waiting) return { message: waiting.message };
  }
  const states = [...usage.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  const req = runRequests(candidate);
  const { best, reasons } = chooseNode(states, candidate, req);
  if (best) return { node: best.name, message: `would be placed on ${best.name}` };
  return { message: unschedulableMessage(states.length, reasons) };
}
