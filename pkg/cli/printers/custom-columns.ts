// `-o custom-columns=NAME:.metadata.name,IMAGE:.spec.image`: a table whose
// columns are JSONPath expressions (with or without braces), as kubectl's.
// A cell with no value is <none>; several values are joined with commas.
import { UsageError } from '../errors.js';
import { ColumnTable } from './columns.js';
import { evaluate, parseTemplate, valueText } from './jsonpath.js';

export interface CustomColumn {
  readonly header: string;
  readonly expression: string;
}

/** Parses the spec after `custom-columns=`. */
export function parseCustomColumns(spec: string): CustomColumn[] {
  if (spec.trim() === '')
    throw new UsageError('custom-columns format specified but no custom columns given');
  return spec.split(',').map((part) => {
    const colon = part.indexOf(':');
    if (colon <= 0 || colon === part.length - 1) {
      throw new UsageError(
        `unexpected custom-columns spec: ${part}, expected <header>:<json-path-expr>`,
      );
    }
    const expression = part.slice(colon + 1).trim();
    const braced = expression.startsWith('{') ? expression : `{${expression}}`;
    parseTemplate(braced); // a bad expression is a usage error before anything is fetched
    return { header: part.slice(0, colon), expression: braced };
  });
}

function cell(object: unknown, expression: string): string {
  const [node] = parseTemplate(expression);
  if (!node || node.kind !== 'path') return '<none>';
  const values = evaluate(object, node.steps);
  return values.length === 0 ? '<none>' : values.map(valueText).join(',');
}

/** One row per object under the columns' headers. */
export function formatCustomColumns(
  columns: readonly CustomColumn[],
  objects: readonly unknown[],
): string {
  const table = new ColumnTable(columns.map((c) => c.header));
  return table.render(objects.map((o) => columns.map((c) => cell(o, c.expression))));
}
