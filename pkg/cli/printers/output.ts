// -o handling shared by verbs: json prints the object, table (default) uses the verb's formatter.
import { UsageError } from '../errors.js';

export type OutputFormat = 'table' | 'json';

export function parseOutput(
  value: string | undefined,
  allowed: readonly OutputFormat[],
): OutputFormat {
  const v = (value ?? 'table') as OutputFormat;
  if (!allowed.includes(v)) {
    throw new UsageError(
      `unable to match a printer for -o ${value}; allowed formats: ${allowed.join(', ')}`,
    );
  }
  return v;
}

export function printJson(out: NodeJS.WritableStream, obj: unknown): void {
  out.write(JSON.stringify(obj, null, 2) + '\n');
}
