// Shape checks on what a command proposes, done before anything is mutated.
// The API server validates manifests fully against the JSON Schemas; the store
// only refuses what would corrupt its own invariants (keys, selectors, owner
// links), so that even a buggy or hostile proposal cannot leave a replica
// half-written or make it throw.
import { Reason } from '../util/errors.js';
import type { ErrorResult } from './commands.js';
import type { KindInfo, KindRegistry } from './kinds.js';
import { failure, invalid } from './messages.js';
import { labelKeyProblem, labelValueProblem } from './selector.js';
import type { OwnerReference, ResourceInput } from './types.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const RFC1123_MESSAGE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc'), at most 63 characters";

export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Where an object lives, once its kind, namespace and name are settled. */
export interface Target {
  readonly info: KindInfo;
  readonly namespace: string;
  readonly name: string;
}

/** The kind of an input, or an error result. */
export function resolveKind(kinds: KindRegistry, input: unknown): KindInfo | ErrorResult {
  if (!isRecord(input) || !isRecord(input.metadata)) {
    return failure(Reason.Invalid, 'object is invalid: metadata: Required value');
  }
  const kind = typeof input.kind === 'string' ? input.kind : '';
  const apiVersion = typeof input.apiVersion === 'string' ? input.apiVersion : '';
  const info = kinds.get(kind);
  if (!info || info.apiVersion !== apiVersion) {
    return failure(
      Reason.Invalid,
      `no matches for kind ${JSON.stringify(kind)} in version ${JSON.stringify(apiVersion)}`,
    );
  }
  return info;
}

/** The namespace an object of `info` lives in: 'default' if unset, '' if cluster-scoped. */
export function effectiveNamespace(info: KindInfo, namespace: string | undefined): string {
  return info.namespaced ? namespace || 'default' : '';
}

/**
 * Checks an input's shape and returns where it lives. `nameSuffix` completes a
 * generateName (create only); without it a name is required.
 */
export function checkInput(
  kinds: KindRegistry,
  raw: unknown,
  opts: { nameSuffix?: string; allowGenerateName: boolean },
): { target: Target; input: ResourceInput } | ErrorResult {
  const info = resolveKind(kinds, raw);
  if ('ok' in info) return info;
  const input = raw as ResourceInput;
  const meta: Record<string, unknown> = input.metadata;
  const problems: string[] = [];

  let name = typeof meta.name === 'string' ? meta.name : '';
  const generateName = meta.generateName;
  if (meta.name !== undefined && typeof meta.name !== 'string') {
    problems.push('metadata.name: Invalid value: must be a string');
  }
  if (name === '' && opts.allowGenerateName && typeof generateName === 'string' && generateName) {
    if (typeof opts.nameSuffix !== 'string' || opts.nameSuffix === '') {
      problems.push('metadata.generateName: the proposer must supply a nameSuffix');
    }
    name = generateName + (opts.nameSuffix ?? '');
  }
  if (name === '') {
    problems.push(
      opts.allowGenerateName
        ? 'metadata.name: Required value: name or generateName is required'
        : 'metadata.name: Required value: name is required',
    );
  } else if (!isDns1123Label(name)) {
    problems.push(`metadata.name: Invalid value: ${JSON.stringify(name)}: ${RFC1123_MESSAGE}`);
  }

  if (meta.namespace !== undefined && typeof meta.namespace !== 'string') {
    problems.push('metadata.namespace: Invalid value: must be a string');
  }
  const namespace = effectiveNamespace(info, meta.namespace as string | undefined);
  if (info.namespaced && !isDns1123Label(namespace)) {
    problems.push(
      `metadata.namespace: Invalid value: ${JSON.stringify(namespace)}: ${RFC1123_MESSAGE}`,
    );
  }

  for (const field of ['labels', 'annotations'] as const) {
    if (meta[field] !== undefined && !isStringMap(meta[field])) {
      problems.push(`metadata.${field}: Invalid value: must be a map of strings`);
    }
  }
  if (isStringMap(meta.labels)) {
    for (const [k, v] of Object.entries(meta.labels)) {
      const p = labelKeyProblem(k) ?? labelValueProblem(v);
      if (p) problems.push(`metadata.labels: Invalid value: ${p}`);
    }
  }
  for (const field of ['uid', 'resourceVersion'] as const) {
    if (meta[field] !== undefined && typeof meta[field] !== 'string') {
      problems.push(`metadata.${field}: Invalid value: must be a string`);
    }
  }
  if (meta.ownerReferences !== undefined) {
    const refs = meta.ownerReferences;
    const good =
      Array.isArray(refs) &&
      refs.every(
        (r: unknown) =>
          isRecord(r) &&
          typeof r.apiVersion === 'string' &&
          typeof r.kind === 'string' &&
          typeof r.name === 'string' &&
          typeof r.uid === 'string' &&
          r.uid !== '' &&
          (r.controller === undefined || typeof r.controller === 'boolean'),
      );
    if (!good) {
      problems.push(
        'metadata.ownerReferences: Invalid value: each needs apiVersion, kind, name and a non-empty uid',
      );
    } else if ((refs as OwnerReference[]).filter((r) => r.controller).length > 1) {
      problems.push(
        'metadata.ownerReferences: Invalid value: only one reference can have controller set',
      );
    }
  }
  for (const field of ['spec', 'status'] as const) {
    if (input[field] !== undefined && !isRecord(input[field])) {
      problems.push(`${field}: Invalid value: must be an object`);
    }
  }
  if (problems.length > 0) return invalid(info.kind, name, problems);
  return { target: { info, namespace, name }, input };
}

/** Checks the proposer-chosen fields every writing command needs. */
export function checkProposerFields(fields: Record<string, unknown>): ErrorResult | undefined {
  for (const [key, value] of Object.entries(fields)) {
    if (typeof value !== 'string' || value === '') {
      return failure(Reason.Invalid, `command is invalid: ${key}: Required value`);
    }
  }
  return undefined;
}
