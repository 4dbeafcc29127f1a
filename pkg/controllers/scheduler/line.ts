// The Runs waiting for a node (unbound, not over, not cancelled, in no
// Queue), kept from one pass to the next so that a pass costs what it can
// place, not how many Runs wait (kube-scheduler's active and unschedulable
// queues, in our words):
//
// - The line: a heap in placement order (compareRuns: higher priority, then
//   older, then namespace/name). A pass takes Runs from its front while some
//   node may still take them, and stops as soon as every shape (requests and
//   selector) left in the line has failed to fit in that pass; the Runs
//   behind are not looked at.
// - Held: Runs a pass tried that fit nowhere. They stay out of the passes
//   until something that could make them fit happens (room freed on a node,
//   a Node added or changed, a plan refused), then they go back into the line.
// - Untold: Runs that have not been told yet why they wait, in line order.
//
// The line learns of new Runs from the scheduler's cache index of waiting
// Runs: a Run object already filed (the cache replaces an object on every
// change) is skipped by identity, without building its key. An entry whose
// Run has changed (bound, cancelled, deleted, replaced) is dropped when it
// reaches the front.
import type { Run } from '../../store/index.js';
import { keyOf } from '../../reconcile/index.js';
import { isFinalRun } from '../common/runs.js';
import { Heap } from './heap.js';

/** Cache index of the waiting Runs no Queue gates (all filed under FILED). */
export const RUNS_WAITING = 'scheduler-waiting';
/** Cache index of the Runs waiting in a Queue (all filed under FILED). */
export const RUNS_QUEUED = 'scheduler-queued';
/** Cache index of the Runs bound to a node and not over (all filed under FILED). */
export const RUNS_BOUND = 'scheduler-bound';
export const FILED = 'true';

const waiting = (run: Run): boolean =>
  !run.spec.nodeName && !run.spec.cancelled && !isFinalRun(run);

/** Unbound, not over, not cancelled, in no Queue: what the line holds. */
export function inLine(run: Run): boolean {
  return waiting(run) && !run.spec.queue;
}
export function runWaitingIndex(run: Run): string[] {
  return inLine(run) ? [FILED] : [];
}
export function runQueuedIndex(run: Run): string[] {
  return waiting(run) && run.spec.queue ? [FILED] : [];
}
export function runBoundIndex(run: Run): string[] {
  return run.spec.nodeName && !isFinalRun(run) ? [FILED] : [];
}

/** What placement depends on besides node state: requests and selector. */
export function shapeOf(run: Run, req: { cpu: number; memory: number }): string {
  const sel = run.spec.nodeSelector;
  return `${req.cpu}/${req.memory}/${sel ? JSON.stringify(Object.entries(sel).sort()) : ''}`;
}

export interface LineEntry {
  readonly key: string;
  readonly uid: string;
  readonly priority: number;
  readonly created: string;
  readonly shape: string;
  /** Told why it waits (by this scheduler); the untold heap skips it. */
  told: boolean;
}

/** compareRuns, on what an entry keeps of its Run. */
export function entryBefore(a: LineEntry, b: LineEntry): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.created !== b.created) return a.created < b.created;
  return a.key < b.key;
}

export class WaitingLine {
  /** Key -> the entry of the Run waiting under it, in the line or held. */
  private readonly members = new Map<string, LineEntry>();
  /** Run objects already filed. */
  private readonly seen = new WeakSet<Run>();
  private readonly line = new Heap<LineEntry>(entryBefore);
  private readonly held = new Map<string, LineEntry>();
  /** Entries in the line per shape (stale ones too, until they reach the front). */
  private readonly shapes = new Map<string, number>();
  /** Held entries per shape. */
  private readonly heldShapes = new Map<string, number>();
  private readonly untold = new Heap<LineEntry>(entryBefore);

  /** Runs waiting (in the line or held), as far as the line knows. */
  get size(): number {
    return this.members.size;
  }

  /** Files `run` (from the waiting index) unless already filed. */
  add(run: Run, shape: () => string): void {
    if (this.seen.has(run)) return;
    this.seen.add(run);
    const key = keyOf(run);
    if (this.members.get(key)?.uid === run.metadata.uid) return;
    const entry: LineEntry = {
      key,
      uid: run.metadata.uid,
      priority: run.spec.priority ?? 0,
      created: run.metadata.creationTimestamp,
      shape: shape(),
      told: false,
    };
    this.members.set(key, entry);
    const old = this.held.get(key);
    if (old) {
      this.held.delete(key);
      count(this.heldShapes, old.shape, -1);
    }
    this.enqueue(entry);
    this.untold.push(entry);
  }

  /** Files again a Run taken for a bind that was refused or not answered. */
  restore(run: Run, shape: () => string): void {
    if (this.members.has(keyOf(run))) return;
    this.seen.delete(run);
    this.add(run, shape);
  }

  /** Puts every held Run back into the line (capacity or nodes changed). */
  release(): void {
    for (const entry of this.held.values()) this.enqueue(entry);
    this.held.clear();
    this.heldShapes.clear();
  }

  /**
   * The front of the line whose Run still waits (`current` gives it, or
   * undefined to drop the entry), taken out of the line; undefined once empty.
   * The caller then calls placed() or hold().
   */
  take(current: (e: LineEntry) => Run | undefined): { entry: LineEntry; run: Run } | undefined {
    for (;;) {
      const entry = this.line.pop();
      if (!entry) return undefined;
      count(this.shapes, entry.shape, -1);
      if (this.members.get(entry.key) !== entry) continue;
      const run = current(entry);
      if (run) return { entry, run };
      this.members.delete(entry.key);
    }
  }

  /** The entry's Run was bound: it leaves the line. */
  placed(entry: LineEntry): void {
    if (this.members.get(entry.key) === entry) this.members.delete(entry.key);
  }

  /** The entry's Run fit nowhere: out of the passes until release(). */
  hold(entry: LineEntry): void {
    if (this.members.get(entry.key) !== entry) return;
    this.held.set(entry.key, entry);
    count(this.heldShapes, entry.shape, 1);
  }

  /** Runs of `shape` in the line or held. */
  countOf(shape: string): number {
    return (this.shapes.get(shape) ?? 0) + (this.heldShapes.get(shape) ?? 0);
  }

  /** The shapes still in the line (each with at least one entry). */
  shapesLeft(): IterableIterator<string> {
    return this.shapes.keys();
  }

  /** Up to `max` Runs not told yet, in line order, whose `current` Run still waits. */
  takeUntold(
    max: number,
    current: (e: LineEntry) => Run | undefined,
  ): { entry: LineEntry; run: Run }[] {
    const out: { entry: LineEntry; run: Run }[] = [];
    while (out.length < max) {
      const entry = this.untold.pop();
      if (!entry) break;
      if (entry.told || this.members.get(entry.key) !== entry) continue;
      const run = current(entry);
      if (run) out.push({ entry, run });
    }
    return out;
  }

  /** Puts an entry takeUntold gave back (not told after all). */
  untoldAgain(entry: LineEntry): void {
    this.untold.push(entry);
  }

  get untoldCount(): number {
    return this.untold.size;
  }

  private enqueue(entry: LineEntry): void {
    this.line.push(entry);
    count(this.shapes, entry.shape, 1);
  }
}

function count(counts: Map<string, number>, shape: string, by: 1 | -1): void {
  const n = (counts.get(shape) ?? 0) + by;
  if (n > 0) counts.set(shape, n);
  else counts.delete(shape);
}
