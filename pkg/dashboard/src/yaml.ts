// JSON values as YAML, for showing a Job's spec the way it was written. Only
// what objects from the API hold (objects, arrays, strings, numbers, booleans,
// null); strings YAML would read as something else are quoted.

const PLAIN = /^[A-Za-z_/.][\w./-]*( [\w./-]+)*$/;
const RESERVED = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') {
    return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
  }
  return String(v);
}

function key(k: string): string {
  return /^[A-Za-z_][\w.\-/]*$/.test(k) ? k : JSON.stringify(k);
}

function isBlock(v: unknown): boolean {
  return typeof v === 'object' && v !== null && Object.keys(v).length > 0;
}

function lines(v: unknown, indent: string): string[] {
  if (Array.isArray(v)) {
    return v.flatMap((item) => {
      if (!isBlock(item)) return [`${indent}- ${inline(item)}`];
      const [first = '', ...rest] = lines(item, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  if (typeof v === 'object' && v !== null) {
    return Object.entries(v).flatMap(([k, val]) =>
      isBlock(val)
        ? [`${indent}${key(k)}:`, ...lines(val, Array.isArray(val) ? indent : `${indent}  `)]
        : [`${indent}${key(k)}: ${inline(val)}`],
    );
  }
  return [`${indent}${scalar(v)}`];
}

function inline(v: unknown): string {
  if (Array.isArray(v)) return '[]';
  if (typeof v === 'object' && v !== null) return '{}';
  return scalar(v);
}

export function toYaml(value: unknown): string {
  return `${lines(value, '').join('\n')}\n`;
}

/**
 * The 1-based line of the YAML text where a field path (spec.env[0].name, as
 * the server's validation names fields) is written, or undefined when it is
 * not found (missing fields are reported at their parent when it exists).
 */
export function lineOfPath(text: string, path: string): number | undefined {
  const segments = path.match(/[^.[\]"]+|\[\d+\]/g) ?? [];
  const src = text.split('\n');
  let from = 0;
  let indent = -1;
  let found: number | undefined;
  for (const seg of segments) {
    const index = /^\[(\d+)\]$/.exec(seg);
    let hit: number | undefined;
    let count = -1;
    for (let i = from; i < src.length; i++) {
      const line = src[i] ?? '';
      if (!line.trim() || line.trimStart().startsWith('#')) continue;
      const ind = line.length - line.trimStart().length;
      if (i > from && ind <= indent && !(index && line.trimStart().startsWith('-'))) break;
      if (index) {
        if (line.trimStart().startsWith('- ') || line.trim() === '-') {
          count++;
          if (count === Number(index[1])) {
            hit = i;
            break;
          }
        }
      } else if (
        new RegExp(`^(- )?"?${seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?\\s*:`).test(
          line.trimStart(),
        )
      ) {
        hit = i;
        break;
      }
    }
    if (hit === undefined) return found;
    found = hit + 1;
    from = hit;
    const l = src[hit] ?? '';
    indent = l.length - l.trimStart().length;
  }
  return found;
}
