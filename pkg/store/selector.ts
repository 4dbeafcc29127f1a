// Label and field selectors with kubectl's syntax. Parsing happens once per
// list/watch call and yields a predicate; a bad selector is an Invalid error
// that says what was expected where, since users type these by hand.
import { JobctlError, Reason } from '../util/errors.js';

export type LabelOperator = 'exists' | 'doesNotExist' | 'equals' | 'notEquals' | 'in' | 'notIn';

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  /** One value for equals/notEquals, the set for in/notIn, none otherwise. */
  readonly values: readonly string[];
}

export interface LabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** True when every requirement holds (an empty selector matches everything). */
  matches(labels: Readonly<Record<string, string>>): boolean;
}

// ---------------------------------------------------------------------------
// Lexer

type Token =
  | { readonly t: 'id'; readonly v: string; readonly pos: number }
  | { readonly t: '!' | '=' | '==' | '!=' | '(' | ')' | ','; readonly pos: number };

const SPECIAL = new Set([' ', '\t', '\n', '\r', ',', '(', ')', '=', '!']);

function lex(input: string, fail: (msg: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '=' && input[i + 1] === '=') {
      tokens.push({ t: '==', pos: i });
      i += 2;
    } else if (c === '!' && input[i + 1] === '=') {
      tokens.push({ t: '!=', pos: i });
      i += 2;
    } else if (c === '!' || c === '=' || c === '(' || c === ')' || c === ',') {
      tokens.push({ t: c, pos: i });
      i++;
    } else {
      const start = i;
      while (i < input.length && !SPECIAL.has(input[i] as string)) i++;
      tokens.push({ t: 'id', v: input.slice(start, i), pos: start });
    }
  }
  if (tokens.length > 0 && tokens[tokens.length - 1]?.t === ',') fail('trailing comma');
  return tokens;
}

// ---------------------------------------------------------------------------
// Validation of keys and values (Kubernetes qualified names and label values)

const NAME_PART = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or undefined if it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `prefix part of ${JSON.stringify(key)} must be a lowercase DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    return `name part of ${JSON.stringify(key)} must be at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined if it is. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME_PART.test(value)) {
    return `value ${JSON.stringify(value)} must be at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Parser

function describe(tok: Token | undefined): string {
  if (!tok) return 'end of selector';
  return tok.t === 'id' ? `${JSON.stringify(tok.v)}` : `'${tok.t}'`;
}

/**
 * Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h` (also `a==b`). Comma means AND.
 * Throws JobctlError(Invalid) with the offending position on bad input.
 */
export function parseLabelSelector(input: string): LabelSelector {
  const fail = (msg: string): never => {
    throw new JobctlError(
      Reason.Invalid,
      `invalid label selector ${JSON.stringify(input)}: ${msg}`,
    );
  };
  const tokens = lex(input, fail);
  let p = 0;
  const peek = (): Token | undefined => tokens[p];
  const next = (): Token | undefined => tokens[p++];
  const expected = (what: string): never => {
    const tok = peek();
    return fail(
      `expected ${what} but found ${describe(tok)}${tok ? ` at position ${tok.pos}` : ''}`,
    );
  };
  const atEnd = (): boolean => peek() === undefined || peek()?.t === ',';

  const key = (): string => {
    const tok = peek();
    if (tok?.t !== 'id') return expected('a label key');
    p++;
    const problem = labelKeyProblem(tok.v);
    if (problem) fail(problem);
    return tok.v;
  };
  const value = (): string => {
    const tok = peek();
    // `a=` (empty value) is legal: it selects a="" (as kubectl).
    if (tok === undefined || tok.t === ',' || tok.t === ')') return '';
    if (tok.t !== 'id') return expected('a label value');
    p++;
    const problem = labelValueProblem(tok.v);
    if (problem) fail(problem);
    return tok.v;
  };
  const valueSet = (): string[] => {
    if (peek()?.t !== '(') return expected("'('");
    p++;
    if (peek()?.t === ')') fail("the value set of 'in' and 'notin' can't be empty");
    const values: string[] = [];
    for (;;) {
      values.push(value());
      const tok = next();
      if (tok?.t === ')') break;
      if (tok?.t !== ',') {
        p--;
        return expected("',' or ')'");
      }
    }
    return values;
  };

  const requirement = (): LabelRequirement => {
    if (peek()?.t === '!') {
      p++;
      return { key: key(), operator: 'doesNotExist', values: [] };
    }
    const k = key();
    if (atEnd()) return { key: k, operator: 'exists', values: [] };
    const op = peek();
    if (op?.t === '=' || op?.t === '==') {
      p++;
      return { key: k, operator: 'equals', values: [value()] };
    }
    if (op?.t === '!=') {
      p++;
      return { key: k, operator: 'notEquals', values: [value()] };
    }
    if (op?.t === 'id' && (op.v === 'in' || op.v === 'notin')) {
      p++;
      return { key: k, operator: op.v === 'in' ? 'in' : 'notIn', values: valueSet() };
    }
    return expected("one of '=', '==', '!=', 'in', 'notin', ',' or the end");
  };

  const requirements: LabelRequirement[] = [];
  if (tokens.length > 0) {
    for (;;) {
      requirements.push(requirement());
      const tok = next();
      if (tok === undefined) break;
      if (tok.t !== ',') {
        p--;
        expected("',' or the end");
      }
    }
  }
  return labelSelectorOf(requirements);
}

/** A selector from already-validated requirements. */
export function labelSelectorOf(requirements: readonly LabelRequirement[]): LabelSelector {
  return {
    requirements,
    matches(labels) {
      for (const r of requirements) if (!requirementMatches(r, labels)) return false;
      return true;
    },
  };
}

function requirementMatches(
  r: LabelRequirement,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const v = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case 'exists':
      return has;
    case 'doesNotExist':
      return !has;
    case 'equals':
      return has && v === r.values[0];
    // As Kubernetes: != and notin also select objects that lack the key.
    case 'notEquals':
      return !has || v !== r.values[0];
    case 'in':
      return has && r.values.includes(v as string);
    case 'notIn':
      return !has || !r.values.includes(v as string);
  }
}

// ---------------------------------------------------------------------------
// Field selectors: `metadata.name=x,spec.nodeName!=` over a fixed set of paths.

export interface FieldRequirement {
  readonly path: string;
  readonly operator: 'equals' | 'notEquals';
  readonly value: string;
}

export interface FieldSelector {
  readonly requirements: readonly FieldRequirement[];
  matches(object: unknown): boolean;
}

/** The value of a dotted path as a field selector sees it ('' when absent). */
export function fieldValue(object: unknown, path: string): string {
  let cur: unknown = object;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return '';
}

/**
 * Parses `path=value`, `path==value`, `path!=value`, comma-separated (AND).
 * `supported` lists the accepted paths; anything else is Invalid, as in
 * Kubernetes, so a typo does not silently select nothing.
 */
export function parseFieldSelector(input: string, supported: readonly string[]): FieldSelector {
  const fail = (msg: string): never => {
    throw new JobctlError(
      Reason.Invalid,
      `invalid field selector ${JSON.stringify(input)}: ${msg}`,
    );
  };
  const requirements: FieldRequirement[] = [];
  if (input.trim() !== '') {
    for (const raw of input.split(',')) {
      const part = raw.trim();
      const m = /^([^=!\s]+)\s*(==|=|!=)\s*([^=!\s]*)$/.exec(part);
      if (!m)
        fail(
          `${JSON.stringify(part)} is not of the form field=value, field==value or field!=value`,
        );
      const [, path, op, value] = m as RegExpExecArray;
      if (!supported.includes(path as string)) {
        fail(`field label not supported: ${path} (supported: ${supported.join(', ')})`);
      }
      requirements.push({
        path: path as string,
        operator: op === '!=' ? 'notEquals' : 'equals',
        value: value as string,
      });
    }
  }
  return {
    requirements,
    matches(object) {
      for (const r of requirements) {
        const v = fieldValue(object, r.path);
        if ((v === r.value) !== (r.operator === 'equals')) return false;
      }
      return true;
    },
  };
}
