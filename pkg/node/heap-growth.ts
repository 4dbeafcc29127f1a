// How far V8 lets a node's heap grow past its live objects before the next
// full garbage collection. V8 picks a factor from 1.1 up to 4 by how fast
// it collects; a jobd holding 20,000 finished Jobs (about 150-200 MB live) ran
// with 260-370 MB of heap on the busiest node. Pinned at 1.5 the same run
// held 195-220 MB, and the nodes used about the same CPU (docs/benchmarks.md,
// "What a node's memory is made of"). An operator's own choice wins.
import { setFlagsFromString } from 'node:v8';

/** The heap may grow to 1 + this/100 times what the last full collection kept. */
export const HEAP_GROWING_PERCENT = 50;

/** Whether the operator chose a growing factor (a node flag or NODE_OPTIONS). */
export function heapGrowthChosen(execArgv: readonly string[], nodeOptions: string): boolean {
  return [...execArgv, nodeOptions].some((a) => /heap[-_]growing[-_]percent/.test(a));
}

/** Pins jobd's heap growing factor unless the operator chose one; true if it did. */
export function limitHeapGrowth(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): boolean {
  if (heapGrowthChosen(execArgv, nodeOptions)) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
