// Turns ajv's errors into one human message per problem, each with its field path.
// ajv says "must be integer" or "must NOT have additional properties"; people need
// "spec.parallelism: must be an integer (got string "3")" and "spec.foo: unknown field "foo"".

import type { ErrorObject } from './compile.js';
import { FORMATS, quantityError } from './formats.js';
import { formatPath, pointerToSegments, type PathSegment } from './paths.js';

/** One problem with a manifest. path is empty for the object as a whole. */
export interface FieldError {
  readonly path: string;
  readonly message: string;
}

type Schema = { readonly [key: string]: unknown };

/** "string "3"", "number 1.5", "null", "an array", ... for "(got ...)". */
export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return `string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
    case 'number':
    case 'boolean':
      return `${typeof v} ${String(v)}`;
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

function typeNoun(type: string, schema: Schema): string {
  switch (type) {
    case 'integer':
      return 'an integer';
    case 'array': {
      const items = schema.items as Schema | undefined;
      return items?.type === 'string' ? 'an array of strings' : 'an array';
    }
    case 'object':
      // A schema with no fixed fields but a value schema is a map (labels, env).
      return schema.properties === undefined && schema.additionalProperties !== undefined
        ? 'a map'
        : 'an object';
    case 'null':
      return 'null';
    default:
      return `a ${type}`;
  }
}

/** "must be an integer", "must be a string or an array of strings". */
export function describeExpectedType(schema: Schema): string {
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [String(schema.type)];
  const nouns = types.map((t) => typeNoun(t, schema));
  return nouns.length <= 2
    ? nouns.join(' or ')
    : `${nouns.slice(0, -1).join(', ')} or ${nouns.at(-1)}`;
}

const quote = (v: unknown): string => {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

function messageFor(e: ErrorObject, segments: readonly PathSegment[]): string | undefined {
  const parent = (e.parentSchema ?? {}) as Schema;
  const p = e.params as Record<string, unknown>;
  const leaf = String(segments.at(-1) ?? '');
  switch (e.keyword) {
    case 'type':
      return `must be ${describeExpectedType(parent)} (got ${describeValue(e.data)})`;
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String).join(', ');
      return `must be one of ${allowed} (got ${quote(e.data)})`;
    }
    case 'const':
      return `must be ${quote(p.allowedValue)} (got ${quote(e.data)})`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`;
    case 'maxLength':
      return `must be at most ${String(p.limit)} characters (got ${typeof e.data === 'string' ? e.data.length : '?'})`;
    case 'minItems':
      return p.limit === 1 ? 'must not be empty' : `must have at least ${String(p.limit)} items`;
    case 'maxItems':
      return `must have at most ${String(p.limit)} items`;
    case 'format': {
      const f = FORMATS[String(p.format)];
      const value = e.propertyName ?? e.data;
      return f !== undefined && typeof value === 'string'
        ? f.message(value, leaf)
        : `${quote(value)} is not a valid ${String(p.format)}`;
    }
    case 'quantity':
      return quantityError(String(e.schema), e.data) ?? 'is not a valid quantity';
    default:
      return e.message ?? `failed ${e.keyword}`;
  }
}

/** Maps ajv errors (validated against `root`) to FieldErrors, in order and without duplicates. */
export function fromAjvErrors(errors: readonly ErrorObject[], root: unknown): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // propertyNames wraps the real (format) error that we report instead.
    if (e.keyword === 'propertyNames') continue;
    const segments = pointerToSegments(e.instancePath, root);
    let message: string | undefined;
    if (e.keyword === 'additionalProperties') {
      const field = String((e.params as { additionalProperty: string }).additionalProperty);
      segments.push(field);
      message = `unknown field ${JSON.stringify(field)}`;
    } else if (e.keyword === 'required') {
      segments.push(String((e.params as { missingProperty: string }).missingProperty));
      message = 'required field is missing';
    } else {
      if (e.propertyName !== undefined) segments.push(e.propertyName);
      message = messageFor(e, segments);
    }
    if (message === undefined) continue;
    const err = { path: formatPath(segments), message };
    const key = `${err.path}\u0000${err.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(err);
    }
  }
  return out;
}
