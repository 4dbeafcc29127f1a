// What a Run asks of a node and what a Node offers, in millicores and bytes,
// and whether a Node can take Runs at all: the arithmetic the scheduler places
// by and `jobctl top` shows, defined once beside the Run and Node types.
import { parseCpu, parseMemory } from '../util/quantity.js';
import { DEFAULT_CPU, DEFAULT_MEMORY } from '../util/sandbox-defaults.js';
import type { Node, Run } from './types.js';

/** Defaults of DESIGN.md §2 for a Run that names no resources. */
export const DEFAULT_CPU_MILLI = parseCpu(DEFAULT_CPU);
export const DEFAULT_MEMORY_BYTES = parseMemory(DEFAULT_MEMORY);

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

/** What a Node offers: millicores, bytes and (when it caps them) Runs. */
export interface Allocatable {
  readonly cpu: number;
  readonly memory: number;
  readonly runs?: number;
}

/** Allocatable (or, without it, capacity); a node reporting neither offers nothing. */
export function nodeAllocatable(node: Node): Allocatable {
  const a = node.status?.allocatable ?? node.status?.capacity;
  const runs = a?.runs;
  return {
    cpu: parseCpuOr(a?.cpu, 0),
    memory: parseMemoryOr(a?.memory, 0),
    ...(typeof runs === 'number' && runs > 0 ? { runs } : {}),
  };
}

/**
 * Why a Node cannot take Runs, if it cannot: not Ready=True, or its runtime
 * reported RuntimeReady=False. Cordoning (spec.unschedulable) is apart.
 */
export function nodeNotReady(node: Node): 'NotReady' | 'RuntimeNotReady' | undefined {
  const conds = node.status?.conditions ?? [];
  if (conds.find((c) => c.type === 'Ready')?.status !== 'True') return 'NotReady';
  if (conds.find((c) => c.type === 'RuntimeReady')?.status === 'False') return 'RuntimeNotReady';
  return undefined;
}
