// Placement rules as pure functions: whether a Run fits a node (and if not,
// why), how allocated a node would be, and the kubectl-style message for a
// Run that fits nowhere ("0/3 nodes available: 2 insufficient memory, 1
// node(s) didn't match nodeSelector").
import {
  nodeAllocatable,
  nodeNotReady,
  type Node,
  type Requests,
  type Run,
} from '../../store/index.js';

/** Why a node was not chosen. Each node contributes one or more of these. */
export const FitReason = {
  NotReady: 'node(s) were not ready',
  RuntimeNotReady: "node(s) didn't have a ready runtime",
  Unschedulable: 'node(s) were unschedulable',
  Selector: "node(s) didn't match nodeSelector",
  Cpu: 'insufficient cpu',
  Memory: 'insufficient memory',
  Runs: 'too many runs',
} as const;
export type FitReason = (typeof FitReason)[keyof typeof FitReason];

/** A node as the scheduler sees it during one pass: what it offers and what is used. */
export interface NodeState {
  readonly node: Node;
  readonly name: string;
  /** Why nothing can go here whatever the Run (not ready, cordoned), if so. */
  readonly blocked?: FitReason;
  readonly allocatable: { cpu: number; memory: number; runs?: number };
  used: { cpu: number; memory: number; runs: number };
}

/** Allocatable (or, without it, capacity) in millicores/bytes; a node reporting neither offers nothing. */
export function nodeState(node: Node): NodeState {
  const blocked =
    nodeReadiness(node) ?? (node.spec?.unschedulable ? FitReason.Unschedulable : undefined);
  return {
    node,
    name: node.metadata.name,
    ...(blocked ? { blocked } : {}),
    allocatable: { ...nodeAllocatable(node) },
    used: { cpu: 0, memory: 0, runs: 0 },
  };
}

/** Ready=True, and RuntimeReady not False (the store's nodeNotReady, as a FitReason). */
export function nodeReadiness(node: Node): FitReason | undefined {
  const why = nodeNotReady(node);
  return why === undefined ? undefined : FitReason[why];
}

export function matchesSelector(node: Node, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  const labels = node.metadata.labels ?? {};
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/**
 * Why `run` cannot go to `state` ([] when it fits). Readiness, cordon and
 * selector are reported alone; resource shortfalls are all reported.
 */
export function unfitReasons(state: NodeState, run: Run, req: Requests): FitReason[] {
  if (state.blocked) return [state.blocked];
  if (!matchesSelector(state.node, run.spec.nodeSelector)) return [FitReason.Selector];
  const out: FitReason[] = [];
  const { allocatable: a, used: u } = state;
  if (u.cpu + req.cpu > a.cpu) out.push(FitReason.Cpu);
  if (u.memory + req.memory > a.memory) out.push(FitReason.Memory);
  if (a.runs !== undefined && u.runs + 1 > a.runs) out.push(FitReason.Runs);
  return out;
}

/**
 * How allocated the node would be with `req` added: the mean of the cpu and
 * memory fractions. Lower is better (least-allocated spreading).
 */
export function allocationAfter(state: NodeState, req: Requests): number {
  const { allocatable: a, used: u } = state;
  const cpu = a.cpu > 0 ? (u.cpu + req.cpu) / a.cpu : 1;
  const mem = a.memory > 0 ? (u.memory + req.memory) / a.memory : 1;
  return (cpu + mem) / 2;
}

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
