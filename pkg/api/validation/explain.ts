// `jobctl explain job.spec.resources`: documentation of a kind or field, read from the
// same JSON Schemas that validate manifests, so the docs cannot drift from the rules.
// Reads the schema files only; it never loads ajv.

import { JobctlError, Reason } from '../../util/errors.js';
import {
  API_VERSION,
  KINDS,
  KNOWN_KINDS,
  kindFromName,
  loadSchemas,
  type SchemaNode,
} from './schemas.js';

export interface ExplainOptions {
  /** List nested fields as an indented tree instead of one level with descriptions. */
  readonly recursive?: boolean;
}

const WIDTH = 80;

/** A schema node with its $refs followed; local keywords (description, default) win. */
interface Resolved {
  readonly schema: SchemaNode;
  /** File the node came from, for resolving its own "#/..." references. */
  readonly file: string;
}

function resolve(schema: SchemaNode, file: string): Resolved {
  let current = schema;
  let currentFile = file;
  let merged: Record<string, unknown> = {};
  for (let i = 0; i < 10 && typeof current.$ref === 'string'; i++) {
    const [refFile = '', pointer = ''] = current.$ref.split('#');
    const { $ref: _, ...local } = current;
    merged = { ...local, ...merged };
    currentFile = refFile === '' ? currentFile : refFile;
    let target: unknown = loadSchemas().get(currentFile);
    for (const key of pointer.split('/').filter((k) => k !== '')) {
      target = (target as SchemaNode | undefined)?.[key];
    }
    if (target === undefined)
      throw new JobctlError(Reason.Internal, `broken schema reference ${current.$ref}`);
    current = target as SchemaNode;
  }
  return { schema: { ...current, ...merged }, file: currentFile };
}

function typeName(r: Resolved): string {
  const s = r.schema;
  const types = Array.isArray(s.type)
    ? (s.type as string[])
    : typeof s.type === 'string'
      ? [s.type]
      : [];
  const names = types.map((t) => {
    if (t === 'array') {
      const items = s.items as SchemaNode | undefined;
      return items === undefined ? '[]Object' : `[]${typeName(resolve(items, r.file))}`;
    }
    if (t === 'object') {
      if (s.properties !== undefined) return 'Object';
      const value = s.additionalProperties as SchemaNode | undefined;
      if (value && typeof value === 'object') {
        const vt = Array.isArray(value.type) ? 'string' : typeName(resolve(value, r.file));
        return `map[string]${vt}`;
      }
      return 'Object';
    }
    return t;
  });
  return names.join(' | ') || 'Object';
}

/** The named child fields of a node (through array items), or undefined for leaves and maps. */
function fieldsOf(r: Resolved): Resolved | undefined {
  if (r.schema.properties !== undefined) return r;
  const items = r.schema.items as SchemaNode | undefined;
  if (items !== undefined) {
    const ri = resolve(items, r.file);
    if (ri.schema.properties !== undefined) return ri;
  }
  return undefined;
}

function wrap(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > WIDTH) {
      lines.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

function details(r: Resolved): string[] {
  const out: string[] = [];
  const s = r.schema;
  if (Array.isArray(s.enum)) out.push(`Allowed values: ${s.enum.map(String).join(', ')}.`);
  if (s.default !== undefined && !(typeof s.default === 'object' && s.default !== null)) {
    out.push(`Default: ${String(s.default)}.`);
  }
  const min = s.minimum;
  const max = s.maximum;
  if (typeof min === 'number' && typeof max === 'number') out.push(`Range: ${min} to ${max}.`);
  else if (typeof min === 'number') out.push(`Minimum: ${min}.`);
  return out;
}

function describe(r: Resolved, indent: string): string[] {
  const text = [
    typeof r.schema.description === 'string' ? r.schema.description : '',
    ...details(r),
  ].join(' ');
  return text.trim() === '' ? [`${indent}<no description>`] : wrap(text, indent);
}

function requiredSet(r: Resolved): ReadonlySet<string> {
  return new Set(Array.isArray(r.schema.required) ? (r.schema.required as string[]) : []);
}

function fieldList(container: Resolved, out: string[], recursive: boolean, depth: number): void {
  const props = container.schema.properties as Record<string, SchemaNode>;
  const required = requiredSet(container);
  for (const name of Object.keys(props).sort()) {
    const child = resolve(props[name] as SchemaNode, container.file);
    const req = required.has(name) ? ' -required-' : '';
    const pad = '  '.repeat(depth + 1);
    if (recursive) {
      out.push(`${pad}${name}\t<${typeName(child)}>${req}`);
      const nested = fieldsOf(child);
      if (nested !== undefined && depth < 10) fieldList(nested, out, true, depth + 1);
    } else {
      out.push(`${pad}${name}\t<${typeName(child)}>${req}`);
      out.push(...describe(child, `${pad}  `), '');
    }
  }
}

/**
 * Documentation for "job", "job.spec", "cronjob.spec.jobTemplate.spec.resources" ...
 * Throws JobctlError(NotFound) for an unknown kind or field, naming what exists.
 */
export function explain(path: string, options: ExplainOptions = {}): string {
  const [kindName = '', ...fields] = path.trim().split('.');
  const kind = kindFromName(kindName);
  if (kind === undefined) {
    throw new JobctlError(
      Reason.NotFound,
      `unknown kind ${JSON.stringify(kindName)} (known kinds: ${KNOWN_KINDS.map((k) => k.toLowerCase()).join(', ')})`,
    );
  }
  const file = KINDS[kind].file;
  const root = loadSchemas().get(file);
  if (root === undefined) throw new JobctlError(Reason.Internal, `schema ${file} is missing`);
  let node = resolve(root, file);
  const walked: string[] = [kind.toLowerCase()];
  for (const field of fields) {
    const container = fieldsOf(node);
    const props = container?.schema.properties as Record<string, SchemaNode> | undefined;
    const child = props?.[field];
    if (container === undefined || child === undefined) {
      const known = props
        ? `; fields: ${Object.keys(props).sort().join(', ')}`
        : `; ${walked.join('.')} has no fields`;
      throw new JobctlError(
        Reason.NotFound,
        `field ${JSON.stringify(field)} does not exist in ${walked.join('.')}${known}`,
      );
    }
    node = resolve(child, container.file);
    walked.push(field);
  }

  const out = [`KIND:       ${kind}`, `VERSION:    ${API_VERSION}`, ''];
  if (fields.length > 0) {
    const required = false;
    out.push(`FIELD: ${fields.join('.')} <${typeName(node)}>${required ? ' -required-' : ''}`, '');
  }
  out.push('DESCRIPTION:', ...describe(node, '    '), '');
  const container = fieldsOf(node);
  if (container !== undefined) {
    out.push('FIELDS:');
    fieldList(container, out, options.recursive === true, 0);
  }
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}
