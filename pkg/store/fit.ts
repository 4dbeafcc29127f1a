// Placement rules as pure functions: whether a Run fits a node (and if not,
// why) and how allocated a node would be. They live in the store, beside the
// Run and Node arithmetic (requests.ts), because two parties apply them: the
// scheduler when it plans a pass, and the state machine when it applies that
// plan and re-checks every bind against the state of the moment (a `plan`
// command, commands.ts). One definition, so the two can never disagree.
import { nodeAllocatable, nodeNotReady, type Requests } from './requests.js';
import type { Node, Run } from './types.js';

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

/** What the non-final Runs bound to a node take of it. */
export interface NodeUsage {
  cpu: number;
  memory: number;
  runs: number;
}

/** A node as a placement sees it: what it offers and what is used. */
export interface NodeState {
  readonly node: Node;
  readonly name: string;
  /** Why nothing can go here whatever the Run (not ready, cordoned), if so. */
  readonly blocked?: FitReason;
  readonly allocatable: { cpu: number; memory: number; runs?: number };
  used: NodeUsage;
}

/** Allocatable (or, without it, capacity) in millicores/bytes; a node reporting neither offers nothing. */
export function nodeState(node: Node, used?: Readonly<NodeUsage>): NodeState {
  const blocked =
    nodeReadiness(node) ?? (node.spec?.unschedulable ? FitReason.Unschedulable : undefined);
  return {
    node,
    name: node.metadata.name,
    ...(blocked ? { blocked } : {}),
    allocatable: { ...nodeAllocatable(node) },
    used: used ? { ...used } : { cpu: 0, memory: 0, runs: 0 },
  };
}

/**
 * Everything of a node that nodeState and unfitReasons read, as one string: two
 * versions of a node with the same key place every Run alike. A heartbeat
 * changes only timestamps, so watchers that place Runs can skip it.
 */
export function nodePlacementKey(node: Node): string {
  return JSON.stringify([
    nodeReadiness(node) ?? null,
    node.spec?.unschedulable === true,
    node.metadata.labels ?? null,
    nodeAllocatable(node),
  ]);
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

/** Adds (sign 1) or removes (sign -1) what `req` takes to `used`. */
export function addUsage(used: NodeUsage, req: Requests, sign: 1 | -1 = 1): void {
  used.cpu += sign * req.cpu;
  used.memory += sign * req.memory;
  used.runs += sign;
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
