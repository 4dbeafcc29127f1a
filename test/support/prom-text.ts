// A small checker of the Prometheus text exposition format (0.0.4), strict
// enough to catch what a scraper would reject or what breaks our naming
// conventions: every line is a comment, a HELP/TYPE line or a sample; every
// sample's family has HELP and TYPE before it; names and label syntax are
// valid; values are numbers; histogram samples are _bucket (with le), _sum
// or _count. parsePromText throws with the line number of the first problem.

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface PromFamily {
  readonly name: string;
  help?: string;
  type?: PromType;
  readonly samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, where: string): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    throw new Error(`${where}: bad value "${text}"`);
  }
  return Number(text);
}

/** Parses `{a="x",b="y\"z"}` starting at text[0] === '{'; returns labels and the rest. */
function parseLabels(
  text: string,
  where: string,
): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: unterminated labels`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name "${name}"`);
    if (text[eq + 1] !== '"') throw new Error(`${where}: label ${name} value not quoted`);
    let j = eq + 2;
    let value = '';
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`${where}: bad escape in label ${name}`);
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`${where}: unterminated value of label ${name}`);
    if (name in labels) throw new Error(`${where}: label ${name} repeated`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`${where}: expected , or } after label ${name}`);
  }
}

/** The family a sample belongs to (histogram/summary samples carry suffixes). */
function familyOf(name: string, families: Map<string, PromFamily>): PromFamily | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const f = families.get(name.slice(0, -suffix.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
  }
  return undefined;
}

export function parsePromText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const family = (name: string): PromFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, samples: [] }));
    return f;
  };
  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('exposition must end with a newline');
  lines.pop();
  lines.forEach((line, i) => {
    const where = `line ${i + 1} ("${line.slice(0, 80)}")`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, what, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      const f = family(name);
      if (what === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        if (rest.trim() === '') throw new Error(`${where}: empty HELP for ${name}`);
        f.help = rest;
      } else {
        if (f.type !== undefined) throw new Error(`${where}: second TYPE for ${name}`);
        if (!TYPES.has(rest)) throw new Error(`${where}: bad TYPE "${rest}"`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE after samples of ${name}`);
        f.type = rest as PromType;
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(.*)$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample`);
    const name = m[1] as string;
    let rest = m[2] as string;
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, where));
    const parts = rest.trim().split(/\s+/);
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) {
      throw new Error(`${where}: expected " VALUE [TIMESTAMP]"`);
    }
    const value = parseValue(parts[0] as string, where);
    const f = familyOf(name, families);
    if (!f || f.help === undefined || f.type === undefined) {
      throw new Error(`${where}: sample of ${name} without HELP and TYPE before it`);
    }
    if (f.type === 'histogram') {
      if (name === `${f.name}_bucket`) {
        if (labels.le === undefined) throw new Error(`${where}: bucket without le`);
      } else if (name !== `${f.name}_sum` && name !== `${f.name}_count`) {
        throw new Error(`${where}: histogram sample must be _bucket, _sum or _count`);
      }
    }
    f.samples.push({ name, labels, value });
  });
  return families;
}

/** The sum of the samples named `name` whose labels include `match`. */
export function sampleSum(
  families: Map<string, PromFamily>,
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
    }
  }
  return sum;
}

/**
 * Our conventions (docs/observability.md) for jobctl_ families: counters end
 * in _total, histograms of time in _seconds, sizes in _bytes; returns the
 * problems found (empty: all good).
 */
export function conventionProblems(families: Map<string, PromFamily>): string[] {
  const problems: string[] = [];
  for (const f of families.values()) {
    if (!f.name.startsWith('jobctl_')) continue;
    if (f.type === 'counter' && !f.name.endsWith('_total')) {
      problems.push(`${f.name}: counter without _total`);
    }
    if (f.type !== 'counter' && f.name.endsWith('_total')) {
      problems.push(`${f.name}: _total on a ${f.type}`);
    }
    if (f.type === 'histogram' && !/_(seconds|bytes)$/.test(f.name)) {
      problems.push(`${f.name}: histogram without a unit suffix`);
    }
    if (/_(ms|milliseconds|secs|kb|mb)(_|$)/.test(f.name)) {
      problems.push(`${f.name}: not a base unit`);
    }
  }
  return problems;
}
