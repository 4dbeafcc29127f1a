// -o for resource verbs: which printer, and the non-table printers (json,
// yaml, name). Verbs never format objects themselves; they pick a format here
// and hand objects over. yaml is imported only when -o yaml asks for it.
import type { KindInfo } from '../../store/kinds.js';
import type { Resource } from '../../store/types.js';
import { UsageError } from '../errors.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name';

/** What -o accepts on get (the default, a table, has no name). */
export const GET_FORMATS: readonly OutputFormat[] = ['json', 'name', 'wide', 'yaml'];
/** What -o accepts on verbs that print the objects they wrote (apply, run, ...). */
export const OBJECT_FORMATS: readonly OutputFormat[] = ['json', 'name', 'yaml'];

/** `-o jsonpath=TEMPLATE` or `-o custom-columns=SPEC` (get only): the format and its argument. */
export interface TemplateOutput {
  readonly format: 'jsonpath' | 'custom-columns';
  readonly template: string;
}

/** The template formats get takes besides GET_FORMATS (listed in its usage errors). */
export const TEMPLATE_FORMATS = ['custom-columns', 'jsonpath'] as const;

/** A template -o (jsonpath=..., custom-columns=...), or undefined for any other value. */
export function templateOutput(value: string | undefined): TemplateOutput | undefined {
  const m = /^(jsonpath|custom-columns)=(.*)$/s.exec(value ?? '');
  if (!m) return undefined;
  return { format: m[1] as TemplateOutput['format'], template: m[2] as string };
}

/** Parses -o; an unknown value is a usage error naming the allowed formats (exit 2). */
export function parseOutputFormat(
  value: string | undefined,
  allowed: readonly OutputFormat[] = GET_FORMATS,
): OutputFormat {
  if (value === undefined || value === '') return 'table';
  if (!allowed.includes(value as OutputFormat)) {
    const names = allowed === GET_FORMATS ? [...allowed, ...TEMPLATE_FORMATS].sort() : allowed;
    throw new UsageError(
      `unable to match a printer suitable for the output format "${value}", allowed formats are: ${names.join(',')}`,
    );
  }
  return value as OutputFormat;
}

/** kubectl's resource name form: job.jobctl.dev/hello. */
export function qualifiedName(info: KindInfo, name: string): string {
  return `${qualifiedKind(info)}/${name}`;
}

/** job.jobctl.dev */
export function qualifiedKind(info: KindInfo): string {
  const group = info.apiVersion.split('/')[0] ?? '';
  return group ? `${info.singular}.${group}` : info.singular;
}

/** The List wrapper -o json|yaml prints for several objects. */
export function listOf(items: readonly Resource[], resourceVersion = ''): object {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion } };
}

export async function toYaml(value: unknown): Promise<string> {
  const { stringify } = await import('yaml');
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * json, yaml or name output of some objects: one object alone when
 * `single`, a List otherwise (name prints one line per object either way).
 */
export async function formatObjects(
  format: 'json' | 'yaml' | 'name',
  info: (o: Resource) => KindInfo,
  objects: readonly Resource[],
  opts: { single: boolean; resourceVersion?: string },
): Promise<string> {
  if (format === 'name')
    return objects.map((o) => `${qualifiedName(info(o), o.metadata.name)}\n`).join('');
  const value =
    opts.single && objects.length === 1 ? objects[0] : listOf(objects, opts.resourceVersion);
  return format === 'json' ? `${JSON.stringify(value, null, 4)}\n` : await toYaml(value);
}
