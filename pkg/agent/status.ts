// What the agent reports for a Run, as pure functions of what it knows about the
// Run's container (no I/O, no clock: `now` is passed in). The agent compares the
// result with the Run's current status and writes only on a difference, so a
// steady state makes no writes (STYLE habit 3).
import type { ExitInfo } from '../runtime/index.js';
import {
  isFinalRunPhase,
  jsonEqual,
  type Run,
  type RunCancelReason,
  type RunStatus,
} from '../store/index.js';

/** The Run is in a final phase: the agent never reports over it (the store fences it too). */
export function isFinal(run: Run): boolean {
  return isFinalRunPhase(run.status?.phase);
}

/** Why the agent killed a container: decides the final report instead of the exit code. */
export type KillCause =
  | { readonly kind: 'cancelled'; readonly reason: RunCancelReason }
  | { readonly kind: 'deadline'; readonly seconds: number }
  | { readonly kind: 'shutdown'; readonly node: string };

/** The container facts a report is built from. */
export interface ContainerFacts {
  readonly containerID: string;
  readonly startedAt?: string;
}

export function runningStatus(c: ContainerFacts): RunStatus {
  return { phase: 'Running', containerID: c.containerID, ...when(c.startedAt, 'startedAt') };
}

/**
 * The outcome of a container that exited. If the agent killed it (`cause`), the
 * cause decides: Cancelled with the cancel reason, or Failed/DeadlineExceeded.
 * Otherwise the exit does: 0 → Succeeded/Completed; OOM → Failed/OOMKilled;
 * no exit status (the runtime lost track of it) → Lost/ContainerLost; anything
 * else → Failed/Error.
 */
export function exitedStatus(c: ContainerFacts, exit: ExitInfo, cause?: KillCause): RunStatus {
  const base = {
    containerID: c.containerID,
    ...when(c.startedAt, 'startedAt'),
    exitCode: exit.exitCode,
    finishedAt: exit.finishedAt,
  };
  if (cause?.kind === 'cancelled') {
    return {
      ...base,
      phase: 'Cancelled',
      reason: cause.reason,
      message: `Run cancelled (${cause.reason}); container killed`,
    };
  }
  if (cause?.kind === 'shutdown') {
    // Lost, not Failed: the job controller replaces it at once and it does not
    // count against backoffLimit (the Run did nothing wrong).
    return {
      ...base,
      ...nodeShutdownStatus(cause.node, exit.finishedAt),
      message: `node ${cause.node} shut down before the Run finished; container stopped`,
    };
  }
  if (cause?.kind === 'deadline') {
    return {
      ...base,
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: `Run exceeded its active deadline of ${cause.seconds}s; container killed`,
    };
  }
  switch (exit.reason) {
    case 'Completed':
      return { ...base, phase: 'Succeeded', reason: 'Completed' };
    case 'OOMKilled':
      return {
        ...base,
        phase: 'Failed',
        reason: 'OOMKilled',
        message: exit.message ?? `container was killed for running out of memory`,
      };
    case 'Unknown':
      // A process runtime restarted under it: the work may or may not have been
      // done, and nothing of it can be known. Like a Run on a lost node it is
      // Lost (replaced, not counted against backoffLimit), not Failed.
      return {
        ...base,
        phase: 'Lost',
        reason: 'ContainerLost',
        message: exit.message ?? 'the runtime lost track of the container; exit status unknown',
      };
    default:
      return {
        ...base,
        phase: 'Failed',
        reason: 'Error',
        message: exit.message ?? `container exited with code ${exit.exitCode}`,
      };
  }
}

/** start() failed for good: Failed/ImagePullFailed or Failed/Error with the runtime's message. */
export function startFailedStatus(
  reason: 'ImagePullFailed' | 'Error',
  message: string,
  now: string,
): RunStatus {
  return { phase: 'Failed', reason, message, finishedAt: now };
}

/** A cancelled Run that never got a container. */
export function cancelledBeforeStartStatus(reason: RunCancelReason, now: string): RunStatus {
  return {
    phase: 'Cancelled',
    reason,
    message: `Run cancelled (${reason}) before it started`,
    finishedAt: now,
  };
}

/** A Run its node gave up on while shutting down (jobd SIGTERM): replaced at once. */
export function nodeShutdownStatus(node: string, now: string): RunStatus {
  return {
    phase: 'Lost',
    reason: 'NodeShutdown',
    message: `node ${node} shut down before the Run started`,
    finishedAt: now,
  };
}

/**
 * The Run's container no longer exists and its exit was never seen (removed
 * behind the agent's back, or the engine's state was wiped). Starting it again
 * could run it twice, so it fails instead; the job controller decides about a retry.
 */
export function containerGoneStatus(
  c: { readonly containerID?: string; readonly startedAt?: string },
  now: string,
): RunStatus {
  const id = c.containerID ?? '';
  return {
    phase: 'Failed',
    reason: 'Error',
    ...(id ? { containerID: id } : {}),
    ...when(c.startedAt, 'startedAt'),
    finishedAt: now,
    message: `container ${id || '(unknown)'} disappeared before its exit status was recorded`,
  };
}

/** Whether `run` is past spec.activeDeadlineSeconds since `startedAt`; ms left otherwise. */
export function deadlineLeft(
  run: Run,
  startedAt: string | undefined,
  nowMs: number,
): number | undefined {
  const secs = run.spec.activeDeadlineSeconds;
  if (secs === undefined || secs === null || !startedAt) return undefined;
  const start = Date.parse(startedAt);
  if (Number.isNaN(start)) return undefined;
  return start + secs * 1000 - nowMs;
}

/** Same report? (Key order does not matter; undefined fields are absent.) */
export function sameStatus(a: RunStatus | undefined, b: RunStatus | undefined): boolean {
  return jsonEqual(a ?? {}, b ?? {});
}

function when<K extends string>(v: string | undefined, key: K): { [P in K]?: string } {
  return (v ? { [key]: v } : {}) as { [P in K]?: string };
}
