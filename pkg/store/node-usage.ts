// What the non-final Runs bound to each node take of it, kept up to date as
// Runs are stored, replaced and removed (ObjectIndex calls update), so that a
// plan's re-check (store.ts, `plan`) costs a lookup per bind instead of a scan
// of every Run. It is derived state: rebuilt by the inserts of a restore and
// reversed by an atomic batch's undo like the indexes beside it. Requests are
// whole millicores and bytes, so the sums are exact on every replica whatever
// the order they were made in.
import { addUsage, type NodeUsage } from './fit.js';
import { runRequests } from './requests.js';
import { ofKind } from './kinds.js';
import { isFinalRunPhase, type Resource } from './types.js';

/** The node a Run holds resources on, if it holds any: bound and not final. */
function holder(obj: Resource | undefined): string | undefined {
  if (!obj) return undefined;
  const node = (obj.spec as { nodeName?: unknown }).nodeName;
  if (typeof node !== 'string' || node === '') return undefined;
  const phase = (obj.status as { phase?: unknown }).phase;
  return isFinalRunPhase(typeof phase === 'string' ? phase : undefined) ? undefined : node;
}

export class NodeUsageIndex {
  private readonly byNode = new Map<string, NodeUsage>();

  /** A Run went from `old` to `next` (either may be absent: created, removed). */
  update(old: Resource | undefined, next: Resource | undefined): void {
    const from = holder(old);
    const to = holder(next);
    if (from === undefined && to === undefined) return;
    if (from !== undefined) this.add(from, old as Resource, -1);
    if (to !== undefined) this.add(to, next as Resource, 1);
  }

  /** What is used on `node` (zeros when nothing is). */
  of(node: string): Readonly<NodeUsage> {
    return this.byNode.get(node) ?? ZERO;
  }

  clear(): void {
    this.byNode.clear();
  }

  private add(node: string, run: Resource, sign: 1 | -1): void {
    let used = this.byNode.get(node);
    if (!used) {
      used = { cpu: 0, memory: 0, runs: 0 };
      this.byNode.set(node, used);
    }
    addUsage(used, runRequests(ofKind('Run', run)), sign);
    if (used.runs === 0) this.byNode.delete(node);
  }
}

const ZERO: Readonly<NodeUsage> = Object.freeze({ cpu: 0, memory: 0, runs: 0 });
