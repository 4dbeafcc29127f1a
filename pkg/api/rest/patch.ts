// PATCH bodies other than server-side apply, applied to the stored object:
//   application/merge-patch+json  RFC 7386: objects merge, `null` removes a field,
//                                 anything else (arrays too) replaces
//   application/json-patch+json   RFC 6902 operations (fast-json-patch), `test` included
// The result is a whole object, written back with update (or updateStatus for
// /status) under the resourceVersion it was computed from, so a concurrent
// write makes the caller recompute rather than lose it. Fields the patch does
// not touch, annotations such as kubectl's last-applied-configuration among
// them, are carried over as they are.
import fastJsonPatch from 'fast-json-patch';
import { HttpError, HttpReason, badRequest } from './status.js';
import { JobctlError, Reason } from '../../util/errors.js';

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';
/** Strategic merge patch: Kubernetes' own types only; ours are not Go structs. */
const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

export type PatchType = typeof MERGE_PATCH | typeof JSON_PATCH;

export function isPatchType(type: string): type is PatchType {
  return type === MERGE_PATCH || type === JSON_PATCH;
}

/** 415 naming what PATCH takes (server-side apply types are listed by the caller). */
export function unsupportedPatch(type: string, alsoAccepted: readonly string[]): HttpError {
  const why =
    type === STRATEGIC_MERGE_PATCH
      ? 'strategic merge patch needs a built-in Kubernetes type; use a merge patch. '
      : '';
  return new HttpError(
    HttpReason.UnsupportedMediaType,
    `${why}the body of the request was in an unknown format "${type || '(none)'}"; accepted media types include: ${[MERGE_PATCH, JSON_PATCH, ...alsoAccepted].join(', ')}`,
  );
}

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys that would reach Object.prototype through plain assignment. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** RFC 7386 MergePatch(target, patch). */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (FORBIDDEN_KEYS.has(key)) throw badRequest(`a merge patch may not set "${key}"`);
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** RFC 6902: the operations applied in order to a copy; a failed `test` is 422. */
export function jsonPatch(target: Json, operations: Json): Json {
  if (!Array.isArray(operations)) throw badRequest('a JSON patch must be an array of operations');
  try {
    return fastJsonPatch.applyPatch(
      target,
      operations as fastJsonPatch.Operation[],
      /* validateOperation */ true,
      /* mutateDocument */ false,
      /* banPrototypeModifications */ true,
    ).newDocument;
  } catch (err) {
    const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
    if (err instanceof fastJsonPatch.JsonPatchError && err.name === 'TEST_OPERATION_FAILED') {
      throw new JobctlError(Reason.Invalid, `the JSON patch's test operation failed: ${message}`);
    }
    if (err instanceof fastJsonPatch.JsonPatchError && err.name === 'OPERATION_PATH_UNRESOLVABLE') {
      throw new JobctlError(Reason.Invalid, `the JSON patch does not apply: ${message}`);
    }
    throw badRequest(`invalid JSON patch: ${message}`);
  }
}

/** Parses a patch body as JSON (both patch types are JSON). */
export function parsePatch(bytes: Buffer | undefined): Json {
  if (!bytes || bytes.length === 0) throw badRequest('the PATCH request needs a body');
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw badRequest(
      `the patch is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** `current` patched by `patch` of `type`; the result must still be an object. */
export function applyPatch(type: PatchType, current: Json, patch: Json): Record<string, Json> {
  if (type === MERGE_PATCH && !isObject(patch)) {
    throw badRequest('a merge patch must be a JSON object');
  }
  const result = type === MERGE_PATCH ? mergePatch(current, patch) : jsonPatch(current, patch);
  if (!isObject(result))
    throw new JobctlError(Reason.Invalid, 'the patched object is not an object');
  return result;
}
