// validateManifest: one untrusted object in, either the defaulted and normalized object
// or every problem with it (never just the first, never a throw).

import { JobctlError, Reason } from '../../util/errors.js';
import { validatorFor } from './compile.js';
import { MAX_OBJECT_BYTES, formatBytes, utf8Length } from './limits.js';
import { fromAjvErrors, describeValue, type FieldError } from './messages.js';
import {
  checkContainer,
  cloneJson,
  isObject,
  normalizeContainer,
  type JsonObject,
} from './normalize.js';
import { API_VERSION, KNOWN_KINDS, isKind, type Kind } from './schemas.js';
import type { PathSegment } from './paths.js';

export type { FieldError };

export interface ValidateOptions {
  /** Where the object came from (file name), carried into the result for messages. */
  readonly source?: string;
  /** Namespace to use when metadata.namespace is absent (the CLI's -n); default "default". */
  readonly namespace?: string;
}

interface ResultBase {
  readonly source: string | undefined;
  /** The object's kind and name as written (possibly empty), for formatValidationErrors. */
  readonly kind: string;
  readonly name: string;
}
export interface ValidManifest extends ResultBase {
  readonly ok: true;
  /** A deep copy with defaults filled in and shorthands in canonical form. */
  readonly object: JsonObject & { readonly kind: Kind };
  readonly errors: readonly [];
}
export interface InvalidManifest extends ResultBase {
  readonly ok: false;
  readonly errors: readonly FieldError[];
}
export type ValidationResult = ValidManifest | InvalidManifest;

/** Where each kind keeps a container spec (command, env, resources ...). */
const CONTAINER_PATHS: Readonly<Record<Kind, readonly (readonly string[])[]>> = {
  Job: [['spec']],
  Run: [['spec']],
  CronJob: [['spec', 'jobTemplate', 'spec']],
  Node: [],
  Event: [],
  SandboxPolicy: [],
  Queue: [],
  Token: [],
  RoleBinding: [],
  ClusterRoleBinding: [],
};

/**
 * Kinds that live outside namespaces (the store keeps them under namespace '').
 * Any namespace given for them is ignored, as the Kubernetes API server does.
 */
const CLUSTER_SCOPED: ReadonlySet<Kind> = new Set<Kind>([
  'Node',
  'Queue',
  'Token',
  'ClusterRoleBinding',
]);

function at(obj: unknown, path: readonly string[]): JsonObject | undefined {
  let node = obj;
  for (const key of path) node = isObject(node) ? node[key] : undefined;
  return isObject(node) ? node : undefined;
}

function suggestKind(kind: string): string {
  const match = KNOWN_KINDS.find((k) => k.toLowerCase() === kind.toLowerCase().replace(/s$/, ''));
  return match !== undefined ? `; did you mean ${match}?` : '';
}

const known = `known kinds: ${KNOWN_KINDS.join(', ')}`;

function checkKindAndVersion(obj: JsonObject, errors: FieldError[]): Kind | undefined {
  const { kind, apiVersion } = obj;
  let result: Kind | undefined;
  if (kind === undefined)
    errors.push({ path: 'kind', message: `required field is missing (${known})` });
  else if (typeof kind !== 'string') {
    errors.push({
      path: 'kind',
      message: `must be a string (got ${describeValue(kind)}; ${known})`,
    });
  } else if (!isKind(kind)) {
    errors.push({
      path: 'kind',
      message: `unknown kind ${JSON.stringify(kind)} (${known})${suggestKind(kind)}`,
    });
  } else result = kind;
  if (apiVersion === undefined) {
    errors.push({ path: 'apiVersion', message: `required field is missing (use ${API_VERSION})` });
  } else if (apiVersion !== API_VERSION) {
    const got =
      typeof apiVersion === 'string' ? JSON.stringify(apiVersion) : describeValue(apiVersion);
    errors.push({ path: 'apiVersion', message: `unknown apiVersion ${got} (use ${API_VERSION})` });
  }
  return result;
}

/**
 * Validates one manifest object against its kind's schema and jobctl's extra rules,
 * filling in defaults and normalizing shorthands. Never throws and never mutates `input`.
 */
export function validateManifest(input: unknown, options: ValidateOptions = {}): ValidationResult {
  const source = options.source;
  const errors: FieldError[] = [];
  const meta = isObject(input) && isObject(input.metadata) ? input.metadata : undefined;
  const base = {
    source,
    kind: isObject(input) && typeof input.kind === 'string' ? input.kind : '',
    name: typeof meta?.name === 'string' ? meta.name : '',
  };
  const fail = (): InvalidManifest => ({ ...base, ok: false, errors });

  if (!isObject(input)) {
    errors.push({
      path: '',
      message: `a manifest must be an object with apiVersion, kind and metadata (got ${describeValue(input)})`,
    });
    return fail();
  }
  const bound = { atMost: 0 };
  const obj = cloneJson(input, errors, bound) as JsonObject;
  if (errors.length > 0) return fail();
  // The exact size (a JSON.stringify of the whole object) only when the bound
  // the copy gave says it could be over the limit.
  const size = bound.atMost > MAX_OBJECT_BYTES ? utf8Length(JSON.stringify(obj)) : 0;
  if (size > MAX_OBJECT_BYTES) {
    errors.push({
      path: '',
      message: `object is ${size} bytes (as JSON), over the limit of ${MAX_OBJECT_BYTES} bytes (${formatBytes(MAX_OBJECT_BYTES)})`,
    });
    return fail();
  }
  const kind = checkKindAndVersion(obj, errors);
  if (kind === undefined) return fail();

  if (isObject(obj.metadata)) {
    const m = obj.metadata;
    if (m.name === undefined && m.generateName === undefined) {
      errors.push({
        path: 'metadata.name',
        message: 'required field is missing (or set metadata.generateName)',
      });
    }
    if (CLUSTER_SCOPED.has(kind)) delete m.namespace;
    else if (m.namespace === undefined && options.namespace !== undefined)
      m.namespace = options.namespace;
  }

  const validate = validatorFor(kind);
  if (!validate(obj)) {
    // kind and apiVersion were reported above, in words that list the alternatives.
    const schemaErrors = fromAjvErrors(validate.errors ?? [], obj).filter(
      (e) => e.path !== 'kind' && e.path !== 'apiVersion',
    );
    errors.push(...schemaErrors);
  }
  for (const path of CONTAINER_PATHS[kind]) {
    const spec = at(obj, path);
    if (spec !== undefined) checkContainer(spec, path as PathSegment[], errors);
  }
  if (errors.length > 0) return fail();
  for (const path of CONTAINER_PATHS[kind]) {
    const spec = at(obj, path);
    if (spec !== undefined) normalizeContainer(spec);
  }
  // The schema's namespace default ("default") does not apply to cluster-scoped kinds.
  if (CLUSTER_SCOPED.has(kind) && isObject(obj.metadata)) delete obj.metadata.namespace;
  // Spelled out rather than spread from `base`: this runs on every write a node admits.
  return {
    source,
    kind: base.kind,
    name: base.name,
    ok: true,
    object: obj as JsonObject & { kind: Kind },
    errors: [],
  };
}

/**
 * One line per error, as the CLI prints them:
 *   job.yaml: Job "hello": spec.completions: must be >= 1
 * Parts that are unknown (no source, no kind or name, empty path) are left out.
 */
export function formatValidationErrors(
  source: string | undefined,
  kind: string | undefined,
  name: string | undefined,
  errors: readonly FieldError[],
): string[] {
  let prefix = source ? `${source}: ` : '';
  if (kind) prefix += name ? `${kind} ${JSON.stringify(name)}: ` : `${kind}: `;
  return errors.map((e) => `${prefix}${e.path ? `${e.path}: ` : ''}${e.message}`);
}

/** A manifest refused by validation (reason Invalid). The message has one line per error. */
export class ManifestInvalidError extends JobctlError {
  readonly errors: readonly FieldError[];
  readonly source: string | undefined;
  readonly kind: string;
  readonly objectName: string;

  constructor(result: InvalidManifest) {
    super(
      Reason.Invalid,
      formatValidationErrors(result.source, result.kind, result.name, result.errors).join('\n'),
    );
    this.name = 'ManifestInvalidError';
    this.errors = result.errors;
    this.source = result.source;
    this.kind = result.kind;
    this.objectName = result.name;
  }
}

/** validateManifest, throwing ManifestInvalidError instead of returning errors. */
export function mustValidateManifest(input: unknown, options: ValidateOptions = {}): ValidManifest {
  const result = validateManifest(input, options);
  if (!result.ok) throw new ManifestInvalidError(result);
  return result;
}
