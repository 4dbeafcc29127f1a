// Conditions as Kubernetes keeps them: one entry per type; lastTransitionTime
// changes only when the status (True/False/Unknown) changes, so rewriting the
// same observation is a no-op and a steady state makes no writes.
import type { Condition, ConditionStatus } from '../../store/index.js';

export function findCondition<T extends string>(
  conditions: readonly Condition<T>[] | undefined,
  type: T,
): Condition<T> | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isConditionTrue<T extends string>(
  conditions: readonly Condition<T>[] | undefined,
  type: T,
): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

export interface ConditionUpdate<T extends string> {
  readonly type: T;
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
}

/**
 * A new list with `update` applied (the input is not modified). Returns the
 * input list itself when nothing would change.
 */
export function setCondition<T extends string>(
  conditions: readonly Condition<T>[] | undefined,
  update: ConditionUpdate<T>,
  nowIso: string,
): Condition<T>[] {
  const list = conditions ?? [];
  const old = list.find((c) => c.type === update.type);
  if (
    old &&
    old.status === update.status &&
    old.reason === update.reason &&
    old.message === update.message
  ) {
    return list as Condition<T>[];
  }
  const next: Condition<T> = {
    type: update.type,
    status: update.status,
    ...(update.reason !== undefined ? { reason: update.reason } : {}),
    ...(update.message !== undefined ? { message: update.message } : {}),
    lastTransitionTime: old && old.status === update.status ? old.lastTransitionTime : nowIso,
  };
  return old ? list.map((c) => (c === old ? next : c)) : [...list, next];
}
