// kubectl's JSONPath templates, for `get -o jsonpath=...` and the columns of
// `-o custom-columns=...`: text with {actions} in braces, where an action is a
// path (.metadata.name, .items[*].spec.image, .a['b.c'], .list[0], .list[1:3],
// ..name, .conditions[?(@.type=="Complete")].status), a string literal
// ({"\n"}), or {range PATH}...{end} repeating its body for each value. A path
// that finds nothing prints nothing (kubectl's --allow-missing-template-keys,
// on by default). Several values of one action are separated by spaces;
// objects and lists print as JSON.
import { UsageError } from '../errors.js';

export type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'path'; readonly steps: readonly Step[] }
  | { readonly kind: 'range'; readonly steps: readonly Step[]; readonly body: readonly Node[] };

export type Step =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'recursive'; readonly name: string }
  | { readonly kind: 'all' }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'slice'; readonly start?: number; readonly end?: number }
  | {
      readonly kind: 'filter';
      readonly steps: readonly Step[];
      readonly op?: '==' | '!=' | '<' | '>' | '<=' | '>=';
      readonly value?: unknown;
    };

function fail(template: string, why: string): never {
  throw new UsageError(`error parsing jsonpath ${template}: ${why}`);
}

/** Steps of a path such as .items[*].metadata.name (a leading @ or $ is the current value). */
function parsePath(src: string, template: string): Step[] {
  const steps: Step[] = [];
  let i = 0;
  if (src[0] === '@' || src[0] === '$') i = 1;
  const ident = (): string => {
    const m = /^[A-Za-z0-9_-]+/.exec(src.slice(i));
    if (!m) fail(template, `expected a field name at "${src.slice(i)}"`);
    i += m[0].length;
    return m[0];
  };
  while (i < src.length) {
    if (src.startsWith('..', i)) {
      i += 2;
      steps.push({ kind: 'recursive', name: ident() });
    } else if (src[i] === '.') {
      i += 1;
      if (i >= src.length) break; // "." alone: the current value
      if (src[i] === '*') {
        i += 1;
        steps.push({ kind: 'all' });
      } else steps.push({ kind: 'field', name: ident() });
    } else if (src[i] === '[') {
      const close = matchingBracket(src, i, template);
      const inner = src.slice(i + 1, close).trim();
      i = close + 1;
      steps.push(bracketStep(inner, template));
    } else {
      fail(template, `unexpected "${src.slice(i)}"`);
    }
  }
  return steps;
}

function matchingBracket(src: string, open: number, template: string): number {
  let depth = 0;
  let quote: string | undefined;
  for (let j = open; j < src.length; j++) {
    const c = src[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[') depth++;
    else if (c === ']' && --depth === 0) return j;
  }
  return fail(template, 'unclosed [');
}

function literal(text: string, template: string): unknown {
  const t = text.trim();
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'true' || t === 'false') return t === 'true';
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  return fail(template, `expected a literal, got "${t}"`);
}

function bracketStep(inner: string, template: string): Step {
  if (inner === '*') return { kind: 'all' };
  if (/^-?\d+$/.test(inner)) return { kind: 'index', index: Number(inner) };
  const slice = /^(-?\d*):(-?\d*)$/.exec(inner);
  if (slice) {
    return {
      kind: 'slice',
      ...(slice[1] ? { start: Number(slice[1]) } : {}),
      ...(slice[2] ? { end: Number(slice[2]) } : {}),
    };
  }
  if (/^(['"]).*\1$/.test(inner)) return { kind: 'field', name: inner.slice(1, -1) };
  const filter = /^\?\((.*)\)$/.exec(inner);
  if (filter) {
    const expr = filter[1] as string;
    const m = /^(@[^=!<>]*?)\s*(==|!=|<=|>=|<|>)\s*(.+)$/.exec(expr.trim());
    if (!m) return { kind: 'filter', steps: parsePath(expr.trim(), template) };
    return {
      kind: 'filter',
      steps: parsePath((m[1] as string).trim(), template),
      op: m[2] as '==',
      value: literal(m[3] as string, template),
    };
  }
  return fail(template, `unsupported [${inner}]`);
}

/** A template's nodes; `{range}` bodies nest until their `{end}`. */
export function parseTemplate(template: string): readonly Node[] {
  const root: Node[] = [];
  const stack: { steps: Step[]; body: Node[] }[] = [];
  const out = (): Node[] => stack[stack.length - 1]?.body ?? root;
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      out().push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) out().push({ kind: 'text', text: template.slice(i, open) });
    let close = open + 1;
    let quote: string | undefined;
    for (; close < template.length; close++) {
      const c = template[close];
      if (quote) {
        if (c === '\\') close++;
        else if (c === quote) quote = undefined;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '}') break;
    }
    if (close >= template.length) fail(template, 'unclosed {');
    const action = template.slice(open + 1, close).trim();
    i = close + 1;
    if (action === 'end') {
      const done = stack.pop();
      if (!done) fail(template, 'not in range, nothing to end');
      out().push({ kind: 'range', steps: done.steps, body: done.body });
    } else if (action.startsWith('range ')) {
      stack.push({ steps: parsePath(action.slice(6).trim(), template), body: [] });
    } else if (action.startsWith('"')) {
      out().push({ kind: 'text', text: JSON.parse(action) as string });
    } else {
      out().push({ kind: 'path', steps: parsePath(action, template) });
    }
  }
  if (stack.length > 0) fail(template, 'unclosed range');
  return root;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return [];
}

function compare(a: unknown, op: string, b: unknown): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return (a as number) < (b as number);
    case '>':
      return (a as number) > (b as number);
    case '<=':
      return (a as number) <= (b as number);
    default:
      return (a as number) >= (b as number);
  }
}

/** Every value `steps` reach from `value`. */
export function evaluate(value: unknown, steps: readonly Step[]): unknown[] {
  let current: unknown[] = [value];
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'field':
          if (isObject(v) && step.name in v) next.push(v[step.name]);
          break;
        case 'recursive': {
          const walk = (x: unknown): void => {
            if (isObject(x) && step.name in x) next.push(x[step.name]);
            for (const c of children(x)) walk(c);
          };
          walk(v);
          break;
        }
        case 'all':
          next.push(...children(v));
          break;
        case 'index':
          if (Array.isArray(v)) {
            const item = v[step.index < 0 ? v.length + step.index : step.index];
            if (item !== undefined) next.push(item);
          }
          break;
        case 'slice':
          if (Array.isArray(v)) next.push(...v.slice(step.start, step.end));
          break;
        case 'filter':
          for (const item of children(v)) {
            const found = evaluate(item, step.steps);
            if (
              step.op
                ? found.some((f) => compare(f, step.op as string, step.value))
                : found.length > 0
            ) {
              next.push(item);
            }
          }
          break;
      }
    }
    current = next;
  }
  return current;
}

/** A value as kubectl prints it: strings raw, everything else as JSON. */
export function valueText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function render(nodes: readonly Node[], value: unknown): string {
  return nodes
    .map((n) => {
      if (n.kind === 'text') return n.text;
      if (n.kind === 'path') return evaluate(value, n.steps).map(valueText).join(' ');
      return evaluate(value, n.steps)
        .map((item) => render(n.body, item))
        .join('');
    })
    .join('');
}

/** `template` applied to `value` (an object, or a List of them). */
export function executeJsonPath(template: string, value: unknown): string {
  return render(parseTemplate(template), value);
}
