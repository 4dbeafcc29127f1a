// How many Runs of each Queue hold a slot (bound to a node and not final), in
// all and per namespace, kept up to date as Runs are stored, replaced and
// removed (ObjectIndex calls update), like node-usage.ts beside it. A plan's
// re-check (store.ts, `plan`) refuses a bind that would take a queue past its
// limits, so a plan made from a stale view (pipelined passes, a new leader
// before its cache caught up) can never run more of a queue than it allows.
import type { Resource } from './types.js';
import { isFinalRunPhase } from './types.js';

/** The queue and namespace a Run holds a slot of, if it holds one: bound, not final, queued. */
function holder(obj: Resource | undefined): { queue: string; namespace: string } | undefined {
  if (!obj) return undefined;
  const spec = obj.spec as { nodeName?: unknown; queue?: unknown };
  if (typeof spec.queue !== 'string' || spec.queue === '') return undefined;
  if (typeof spec.nodeName !== 'string' || spec.nodeName === '') return undefined;
  const phase = (obj.status as { phase?: unknown }).phase;
  if (isFinalRunPhase(typeof phase === 'string' ? phase : undefined)) return undefined;
  return { queue: spec.queue, namespace: obj.metadata.namespace };
}

export class QueueUsageIndex {
  private readonly byQueue = new Map<string, number>();
  /** queue NUL namespace -> count. */
  private readonly byNamespace = new Map<string, number>();

  /** A Run went from `old` to `next` (either may be absent: created, removed). */
  update(old: Resource | undefined, next: Resource | undefined): void {
    const from = holder(old);
    const to = holder(next);
    if (from) this.add(from.queue, from.namespace, -1);
    if (to) this.add(to.queue, to.namespace, 1);
  }

  /** Runs of `queue` holding a slot. */
  running(queue: string): number {
    return this.byQueue.get(queue) ?? 0;
  }

  /** Runs of `queue` from `namespace` holding a slot. */
  runningIn(queue: string, namespace: string): number {
    return this.byNamespace.get(`${queue}\u0000${namespace}`) ?? 0;
  }

  clear(): void {
    this.byQueue.clear();
    this.byNamespace.clear();
  }

  private add(queue: string, namespace: string, sign: 1 | -1): void {
    bump(this.byQueue, queue, sign);
    bump(this.byNamespace, `${queue}\u0000${namespace}`, sign);
  }
}

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}
