// Facts about Runs that every controller shares: whether a Run is over (the
// phases themselves are the store's fact, isFinalRunPhase), and the cache
// indexes over Runs. What a Run asks of a node is the store's runRequests.
import { isFinalRunPhase, type Run, type RunPhase } from '../../store/index.js';
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
