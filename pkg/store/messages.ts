// kubectl-shaped error results, built in one place so that every path (and
// every replica) words the same failure the same way.
import { Reason } from '../util/errors.js';
import type { ErrorResult } from './commands.js';
import type { KindInfo } from './kinds.js';

export function failure(reason: Reason, message: string): ErrorResult {
  return { ok: false, reason, message };
}

export function notFound(info: KindInfo, name: string): ErrorResult {
  return failure(Reason.NotFound, `${info.plural} ${JSON.stringify(name)} not found`);
}

export function alreadyExists(info: KindInfo, name: string): ErrorResult {
  return failure(Reason.AlreadyExists, `${info.plural} ${JSON.stringify(name)} already exists`);
}

export function staleVersion(info: KindInfo, name: string): ErrorResult {
  return failure(
    Reason.Conflict,
    `Operation cannot be fulfilled on ${info.plural} ${JSON.stringify(name)}: the object has been modified; please apply your changes to the latest version and try again`,
  );
}

export function uidMismatch(expected: string, actual: string): ErrorResult {
  return failure(
    Reason.Conflict,
    `Precondition failed: UID in precondition: ${expected}, UID in object meta: ${actual}`,
  );
}

/** `Job "x" is invalid: a; b` — one line with every problem, like kubectl. */
export function invalid(kind: string, name: string, problems: readonly string[]): ErrorResult {
  const detail = problems.length === 1 ? (problems[0] as string) : `[${problems.join(', ')}]`;
  return failure(Reason.Invalid, `${kind} ${JSON.stringify(name)} is invalid: ${detail}`);
}

/** Immutable spec fields changed: refused, with the way out when there is one. */
export function immutable(
  kind: string,
  name: string,
  fields: readonly string[],
  forceHint: boolean,
): ErrorResult {
  const problems = fields.map((f) => `spec.${f}: field is immutable`);
  const result = invalid(kind, name, problems);
  return forceHint ? { ...result, message: `${result.message} (use --force to recreate)` } : result;
}
