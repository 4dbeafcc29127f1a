// Copies untrusted input into plain JSON and rewrites accepted shorthands into the one
// canonical form stored and compared by the server:
//   command: "echo hi"        → ["sh", "-c", "echo hi"]
//   env:     {A: x, B: 1}     → [{name: A, value: "x"}, {name: B, value: "1"}]   (list form, in order)
//   resources: {cpu: 0.5, memory: 268435456} → {cpu: "500m", memory: "256Mi"}
// Canonical forms make `apply` of an unchanged file a no-op and immutability checks exact.

import { formatCpu, formatMemory, parseCpu, parseMemory } from '../../util/quantity.js';
import { MAX_COMMAND_BYTES, formatBytes, utf8Length } from './limits.js';
import type { FieldError } from './messages.js';
import { formatPath, type PathSegment } from './paths.js';

export type JsonObject = { [key: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

// Deeper than any real manifest; stops recursion on hostile input.
const MAX_DEPTH = 64;

/**
 * A deep copy of `value` containing only JSON values (objects, arrays, strings, finite
 * numbers, booleans, null). Anything else (functions, Sets, Buffers, NaN, cycles,
 * absurd nesting) is reported as an error at its path and left out.
 */
export function cloneJson(value: unknown, errors: FieldError[]): unknown {
  const ancestors = new Set<object>();
  const walk = (v: unknown, path: PathSegment[]): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) return v;
      errors.push({
        path: formatPath(path),
        message: `must be a finite number (got ${String(v)})`,
      });
      return undefined;
    }
    if (typeof v !== 'object') {
      errors.push({ path: formatPath(path), message: `unsupported value of type ${typeof v}` });
      return undefined;
    }
    if (path.length > MAX_DEPTH) {
      errors.push({ path: formatPath(path), message: `nested more than ${MAX_DEPTH} levels deep` });
      return undefined;
    }
    if (ancestors.has(v)) {
      errors.push({ path: formatPath(path), message: 'contains a cycle' });
      return undefined;
    }
    ancestors.add(v);
    try {
      if (Array.isArray(v)) return v.map((item, i) => walk(item, [...path, i]));
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const what = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        errors.push({ path: formatPath(path), message: `unsupported value (${what})` });
        return undefined;
      }
      const out: JsonObject = {};
      for (const key of Object.keys(v)) {
        const child = walk((v as JsonObject)[key], [...path, key]);
        // defineProperty, so a "__proto__" key stays an ordinary (unknown) field.
        Object.defineProperty(out, key, {
          value: child,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    } finally {
      ancestors.delete(v);
    }
  };
  return walk(value, []);
}

/** Rewrites shorthand forms in a container spec (Job spec, template spec, Run spec) in place. */
export function normalizeContainer(spec: JsonObject): void {
  if (typeof spec.command === 'string') spec.command = ['sh', '-c', spec.command];
  if (isObject(spec.env)) {
    spec.env = Object.entries(spec.env).map(([name, value]) => ({ name, value: String(value) }));
  } else if (Array.isArray(spec.env)) {
    spec.env = spec.env.map((e: unknown) =>
      isObject(e) && e.value === undefined ? { ...e, value: '' } : e,
    );
  }
  const r = spec.resources;
  if (isObject(r)) {
    if (typeof r.cpu === 'string' || typeof r.cpu === 'number') r.cpu = formatCpu(parseCpu(r.cpu));
    if (typeof r.memory === 'string' || typeof r.memory === 'number') {
      r.memory = formatMemory(parseMemory(r.memory));
    }
  }
}

/**
 * Checks the schema cannot express: unique env names and the total command size.
 * `at` is the path of the container spec (e.g. ["spec"]).
 */
export function checkContainer(spec: JsonObject, at: PathSegment[], errors: FieldError[]): void {
  const command = spec.command;
  if (typeof command === 'string' || Array.isArray(command)) {
    const parts = typeof command === 'string' ? [command] : command;
    const bytes = parts.reduce<number>(
      (n, a) => n + (typeof a === 'string' ? utf8Length(a) : 0),
      0,
    );
    if (bytes > MAX_COMMAND_BYTES) {
      errors.push({
        path: formatPath([...at, 'command']),
        message: `command is ${bytes} bytes, over the limit of ${MAX_COMMAND_BYTES} bytes (${formatBytes(MAX_COMMAND_BYTES)}); pass large inputs through a file or the image instead`,
      });
    }
  }
  if (Array.isArray(spec.env)) {
    const first = new Map<string, number>();
    spec.env.forEach((e: unknown, i) => {
      if (!isObject(e) || typeof e.name !== 'string') return;
      const prev = first.get(e.name);
      if (prev === undefined) first.set(e.name, i);
      else {
        errors.push({
          path: formatPath([...at, 'env', i, 'name']),
          message: `duplicate name ${JSON.stringify(e.name)} (also at ${formatPath([...at, 'env', prev])})`,
        });
      }
    });
  }
}
