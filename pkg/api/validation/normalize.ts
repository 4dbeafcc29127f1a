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

/** Bytes of a number as JSON at most: "-0.0000012345678901234567" is 25. */
const MAX_NUMBER_JSON_BYTES = 32;

/**
 * An upper bound of the UTF-8 bytes of a string as JSON: quotes, and at most 6
 * bytes per UTF-16 code unit (a `\uXXXX` escape; a character needs at most 3).
 */
const stringJsonBytesAtMost = (s: string): number => 6 * s.length + 2;

/**
 * A deep copy of `value` containing only JSON values (objects, arrays, strings, finite
 * numbers, booleans, null). Anything else (functions, Sets, Buffers, NaN, cycles,
 * absurd nesting) is reported as an error at its path and left out.
 * `size.atMost`, when given, is set to an upper bound of the copy's bytes as JSON,
 * so that a caller checking a size limit needs JSON.stringify only near the limit.
 */
export function cloneJson(
  value: unknown,
  errors: FieldError[],
  size?: { atMost: number },
): unknown {
  const ancestors = new Set<object>();
  // One path, pushed and popped as the walk goes: it is only read (formatted)
  // when an error is reported, so no copy per node is needed.
  const path: PathSegment[] = [];
  let bytes = 0;
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v === 'boolean') {
      bytes += 5;
      return v;
    }
    if (typeof v === 'string') {
      bytes += stringJsonBytesAtMost(v);
      return v;
    }
    if (typeof v === 'number') {
      if (Number.isFinite(v)) {
        bytes += MAX_NUMBER_JSON_BYTES;
        return v;
      }
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
      // Brackets or braces; each item or member adds its comma (and colon).
      bytes += 2;
      if (Array.isArray(v)) {
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          path.push(i);
          out[i] = walk(v[i]);
          path.pop();
          bytes += 1;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const what = (v as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        errors.push({ path: formatPath(path), message: `unsupported value (${what})` });
        return undefined;
      }
      const out: JsonObject = {};
      for (const key of Object.keys(v)) {
        path.push(key);
        const child = walk((v as JsonObject)[key]);
        path.pop();
        bytes += stringJsonBytesAtMost(key) + 2;
        if (key === '__proto__') {
          // defineProperty, so a "__proto__" key stays an ordinary (unknown) field.
          Object.defineProperty(out, key, {
            value: child,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        } else out[key] = child;
      }
      return out;
    } finally {
      ancestors.delete(v);
    }
  };
  const copy = walk(value);
  if (size) size.atMost = bytes;
  return copy;
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
    if (typeof r.cpu === 'string' || typeof r.cpu === 'number') r.cpu = canonicalCpu(r.cpu);
    if (typeof r.memory === 'string' || typeof r.memory === 'number') {
      r.memory = canonicalMemory(r.memory);
    }
  }
}

/** Distinct quantities remembered per resource; beyond that the memory starts afresh. */
const QUANTITY_MEMO_SIZE = 1024;

/**
 * `canonical` remembered by input: nearly every object names the same few
 * quantities ("500m", "256Mi"), and the exact (BigInt) parse is the costly
 * part of admitting one. A number and its string ("0.5", 0.5) parse alike, so
 * String(value) is the key. Throws as `canonical` does (nothing is remembered).
 */
function memoQuantity(
  canonical: (value: string | number) => string,
): (value: string | number) => string {
  const memo = new Map<string, string>();
  return (value) => {
    const key = String(value);
    let out = memo.get(key);
    if (out === undefined) {
      out = canonical(value);
      if (memo.size >= QUANTITY_MEMO_SIZE) memo.clear();
      memo.set(key, out);
    }
    return out;
  };
}

const canonicalCpu = memoQuantity((v) => formatCpu(parseCpu(v)));
const canonicalMemory = memoQuantity((v) => formatMemory(parseMemory(v)));

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
