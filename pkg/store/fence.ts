// Fencing of a node's status reports: an agent's updateStatus
// carries `fence: {nodeName}`, and the store accepts it only while the object
// is still bound to that node (spec.nodeName) and not already in a final phase.
// A node that comes back after its Runs were declared Lost (or whose Run was
// rebound, or already finished) is refused deterministically on every replica,
// so a result is never counted twice. The uid half of the fence is the
// ordinary metadata.uid precondition, which the agent always sends.
import { Reason } from '../util/errors.js';
import type { ErrorResult } from './commands.js';
import type { KindInfo } from './kinds.js';
import { failure } from './messages.js';
import { isFinalRunPhase, type Resource } from './types.js';

/** Undefined if the fenced write may proceed; otherwise the refusal (Conflict or Invalid). */
export function checkFence(info: KindInfo, old: Resource, fence: unknown): ErrorResult | undefined {
  const nodeName = (fence as { nodeName?: unknown } | null)?.nodeName;
  if (typeof nodeName !== 'string' || nodeName === '') {
    return failure(Reason.Invalid, 'fence.nodeName: must be a non-empty string');
  }
  const name = old.metadata.name;
  const bound = (old.spec as { nodeName?: unknown }).nodeName;
  if (bound !== nodeName) {
    const where =
      typeof bound === 'string' && bound !== '' ? `node ${JSON.stringify(bound)}` : 'no node';
    return failure(
      Reason.Conflict,
      `status report from node ${JSON.stringify(nodeName)} refused: ${info.plural} ${JSON.stringify(name)} is bound to ${where}`,
    );
  }
  const phase = (old.status as { phase?: unknown }).phase;
  if (typeof phase === 'string' && isFinalRunPhase(phase)) {
    return failure(
      Reason.Conflict,
      `status report from node ${JSON.stringify(nodeName)} refused: ${info.plural} ${JSON.stringify(name)} is already ${phase}`,
    );
  }
  return undefined;
}
