// Facts about Runs that every controller shares: whether a Run is over (the
// phases themselves are the store's fact, isFinalRunPhase), what a Run asks of
// a node, and the cache indexes over Runs.
import { isFinalRunPhase, type Run, type RunPhase } from '../../store/index.js';
import { parseCpu, parseMemory } from '../../util/quantity.js';
import { controllerRef } from '../../reconcile/index.js';

/** A Run without a phase yet counts as Pending. */
export function runPhase(run: Run): RunPhase {
  return run.status?.phase ?? 'Pending';
}

export function isFinalRun(run: Run): boolean {
  return isFinalRunPhase(runPhase(run));
}

/** Pending, Scheduled or Running: holds a slot of the Job's parallelism (and node resources once bound). */
export function isActiveRun(run: Run): boolean {
  return !isFinalRun(run);
}

/** Defaults of DESIGN.md §2 for a Run that names no resources. */
export const DEFAULT_CPU_MILLI = 500;
export const DEFAULT_MEMORY_BYTES = 256 * 1024 * 1024;

export interface Requests {
  /** Millicores. */
  readonly cpu: number;
  /** Bytes. */
  readonly memory: number;
}

const cpuMemo = new Map<string, number>();
const memMemo = new Map<string, number>();

/** Parses a quantity once per distinct string; malformed values fall back to `fallback`. */
function memo(
  table: Map<string, number>,
  parse: (v: string) => number,
  value: unknown,
  fallback: number,
): number {
  if (typeof value === 'number') value = String(value);
  if (typeof value !== 'string' || value === '') return fallback;
  let n = table.get(value);
  if (n === undefined) {
    try {
      n = parse(value);
    } catch {
      n = fallback;
    }
    if (table.size > 10_000) table.clear();
    table.set(value, n);
  }
  return n;
}

export function parseCpuOr(value: unknown, fallback: number): number {
  return memo(cpuMemo, parseCpu, value, fallback);
}

export function parseMemoryOr(value: unknown, fallback: number): number {
  return memo(memMemo, parseMemory, value, fallback);
}

/** Cached objects are frozen and replaced on change, so a WeakMap on the object is safe. */
const requestsMemo = new WeakMap<Run, Requests>();

/** What the Run's container asks for (defaults when absent). */
export function runRequests(run: Run): Requests {
  let req = requestsMemo.get(run);
  if (!req) {
    const r = run.spec.container?.resources;
    req = {
      cpu: parseCpuOr(r?.cpu, DEFAULT_CPU_MILLI),
      memory: parseMemoryOr(r?.memory, DEFAULT_MEMORY_BYTES),
    };
    if (Object.isFrozen(run)) requestsMemo.set(run, req);
  }
  return req;
}

/** Cache index of Runs by their controller owner's uid (the Job). */
export const RUNS_BY_OWNER = 'controller-uid';
export function runOwnerIndex(run: Run): string[] {
  const ref = controllerRef(run);
  return ref ? [ref.uid] : [];
}

/** Cache index of Runs by the node they are bound to (unbound Runs are not filed). */
export const RUNS_BY_NODE = 'spec.nodeName';
export function runNodeIndex(run: Run): string[] {
  return run.spec.nodeName ? [run.spec.nodeName] : [];
}
