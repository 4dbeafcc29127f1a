// The OpenAPI schema of each kind, made from its JSON Schema in manifests/crds
// (the one source of validation and `jobctl explain`), in the subset that
// OpenAPI v2 and v3.0 share and kubectl reads:
// - every $ref is inlined (kubectl explain walks one self-contained tree);
// - `const` becomes a one-value `enum`; `propertyNames` (no OpenAPI form) is dropped;
// - a list of types becomes what Kubernetes says for it: ["integer", "null"]
//   is a nullable integer, ["string", "integer"|"number"] is
//   x-kubernetes-int-or-string, any other mix has no `type` (any value);
// - the kind's schema carries x-kubernetes-group-version-kind, as built-in
//   kinds' definitions do, which is how kubectl finds it.
import { JobctlError, Reason } from '../../util/errors.js';
import { KINDS, loadSchemas, type Kind, type SchemaNode } from '../validation/schemas.js';
import { API_GROUP, GROUP_VERSION } from './discovery.js';

export type OpenApiSchema = Record<string, unknown>;

/** Keywords copied as they are. */
const KEPT = new Set([
  'description',
  'type',
  'format',
  'default',
  'enum',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'required',
  'title',
]);

/** Deeper than any schema of ours nests; a cycle of $refs would end here. */
const MAX_DEPTH = 32;

/** The node a "$ref" (file.json#/pointer or #/pointer, relative to `file`) points at. */
function deref(ref: string, file: string): { node: SchemaNode; file: string } {
  const [refFile = '', pointer = ''] = ref.split('#');
  const targetFile = refFile === '' ? file : refFile;
  let node: unknown = loadSchemas().get(targetFile);
  for (const key of pointer.split('/').filter((k) => k !== '')) {
    node = (node as SchemaNode | undefined)?.[key];
  }
  if (typeof node !== 'object' || node === null) {
    throw new JobctlError(Reason.Internal, `broken schema reference ${ref} in ${file}`);
  }
  return { node: node as SchemaNode, file: targetFile };
}

function typeOf(types: readonly string[]): OpenApiSchema {
  const real = types.filter((t) => t !== 'null');
  const nullable = real.length < types.length ? { nullable: true } : {};
  if (real.length === 1) return { type: real[0], ...nullable };
  const set = new Set(real);
  if (set.size === 2 && set.has('string') && (set.has('integer') || set.has('number'))) {
    return { 'x-kubernetes-int-or-string': true, ...nullable };
  }
  return nullable;
}

/** One JSON Schema node (of `file`) as an OpenAPI schema. */
export function toOpenApi(node: SchemaNode, file: string, depth = 0): OpenApiSchema {
  if (depth > MAX_DEPTH) throw new JobctlError(Reason.Internal, `schema nests too deep in ${file}`);
  let merged: SchemaNode = node;
  let from = file;
  // Local keywords (a description, a default) win over the referenced node's.
  while (typeof merged.$ref === 'string') {
    const { $ref, ...local } = merged;
    const target = deref($ref as string, from);
    merged = { ...target.node, ...local };
    from = target.file;
  }
  const out: OpenApiSchema = {};
  for (const [key, value] of Object.entries(merged)) {
    if (KEPT.has(key) && !(key === 'type' && Array.isArray(value))) out[key] = value;
  }
  if (Array.isArray(merged.type)) Object.assign(out, typeOf(merged.type as string[]));
  if (merged.const !== undefined) out.enum = [merged.const];
  const props = merged.properties as Record<string, SchemaNode> | undefined;
  if (props) {
    out.properties = Object.fromEntries(
      Object.entries(props).map(([k, v]) => [k, toOpenApi(v, from, depth + 1)]),
    );
  }
  if (typeof merged.items === 'object' && merged.items !== null) {
    out.items = toOpenApi(merged.items as SchemaNode, from, depth + 1);
  }
  const extra = merged.additionalProperties;
  if (typeof extra === 'object' && extra !== null) {
    out.additionalProperties = toOpenApi(extra as SchemaNode, from, depth + 1);
  } else if (typeof extra === 'boolean' && !props) {
    // additionalProperties: false beside properties is implied by a structural
    // schema; alone it says "no fields".
    out.additionalProperties = extra;
  }
  return out;
}

/** Kubernetes' group-version-kind of a jobctl kind, as the extension carries it. */
export function gvkOf(kind: string): { group: string; version: string; kind: string } {
  return { group: API_GROUP, version: GROUP_VERSION, kind };
}

/** The name of a kind's schema in components/definitions: dev.jobctl.v1.Job (reversed group, as Kubernetes). */
export function definitionName(kind: string): string {
  return [...API_GROUP.split('.').reverse(), GROUP_VERSION, kind].join('.');
}

/** Every kind's OpenAPI schema, by definition name. */
export function kindSchemas(): ReadonlyMap<string, { kind: Kind; schema: OpenApiSchema }> {
  const out = new Map<string, { kind: Kind; schema: OpenApiSchema }>();
  for (const kind of Object.keys(KINDS) as Kind[]) {
    const file = KINDS[kind].file;
    const root = loadSchemas().get(file);
    if (!root) throw new JobctlError(Reason.Internal, `no schema file ${file}`);
    const { title: _title, ...schema } = toOpenApi(root, file);
    out.set(definitionName(kind), {
      kind,
      schema: { ...schema, 'x-kubernetes-group-version-kind': [gvkOf(kind)] },
    });
  }
  return out;
}
