// Which spec fields may not change on update (DESIGN.md §2). Changing what a Job runs
// while Runs of the old definition exist would make its history meaningless, so such
// changes are refused; `apply --force` deletes and recreates the Job instead.

import type { FieldError } from './messages.js';
import { isObject, type JsonObject } from './normalize.js';

/** Immutable fields of Job.spec: the work itself, and how many successes it needs. */
export const IMMUTABLE_JOB_FIELDS = [
  'image',
  'imagePullPolicy',
  'command',
  'env',
  'workingDir',
  'resources',
  'sandbox',
  'completions',
] as const;

/** JSON with object keys sorted, so key order never counts as a change. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function short(v: unknown): string {
  const s = v === undefined ? '(unset)' : canonical(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Errors for immutable fields that differ between the stored object and the update.
 * Both must be validated (defaulted and normalized) objects of the same kind, with any
 * server-side defaults (the node's default image) applied to both.
 */
export function checkImmutable(oldObj: JsonObject, newObj: JsonObject): FieldError[] {
  if (oldObj.kind !== 'Job' || newObj.kind !== 'Job') return [];
  const before = isObject(oldObj.spec) ? oldObj.spec : {};
  const after = isObject(newObj.spec) ? newObj.spec : {};
  const errors: FieldError[] = [];
  for (const field of IMMUTABLE_JOB_FIELDS) {
    if (canonical(before[field]) !== canonical(after[field])) {
      errors.push({
        path: `spec.${field}`,
        message: `field is immutable (was ${short(before[field])}, now ${short(after[field])}); use apply --force to delete and recreate the Job`,
      });
    }
  }
  return errors;
}
