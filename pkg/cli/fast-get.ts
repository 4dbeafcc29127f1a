// A yargs-free parse of the CLI's hottest command, `jobctl get KIND [NAMES...]
// [flags]`, with node:util's parseArgs (built in: nothing to load). yargs and
// its helpers (cliui, string-width, y18n, ...) cost more to load and run than
// the whole rest of a `get`, so cmd/jobctl.ts tries this first and runs the
// verb directly when it succeeds.
//
// It is deliberately conservative: anything it is not sure to read exactly as
// yargs would (an unknown flag, --help, a repeated flag, short flags grouped
// or with an attached value, `--`, a value that looks like a flag, a
// non-integer --chunk-size, ...) returns undefined, and the caller falls back
// to the full yargs parser, which gives the usual behaviour and messages.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Arguments as yargs hands them to a handler (camelCase keys). */
export type FastArgs = Record<string, unknown>;

type Options = NonNullable<ParseArgsConfig['options']>;

/** `get`'s flags and the global ones (see pkg/cli/register.ts and cmd/jobctl.ts). */
const stringFlags: Record<string, string | undefined> = {
  server: undefined,
  output: 'o',
  namespace: 'n',
  context: undefined,
  ca: undefined,
  cert: undefined,
  key: undefined,
  token: undefined,
  selector: 'l',
  'field-selector': undefined,
  consistency: undefined,
  'chunk-size': undefined,
  for: undefined,
};
const booleanFlags: Record<string, string | undefined> = {
  'all-namespaces': 'A',
  watch: 'w',
  'watch-only': undefined,
  color: undefined,
  'no-color': undefined,
};

const options: Options = {};
for (const [name, short] of Object.entries(stringFlags))
  options[name] = { type: 'string', multiple: true, ...(short ? { short } : {}) };
for (const [name, short] of Object.entries(booleanFlags))
  options[name] = { type: 'boolean', multiple: true, ...(short ? { short } : {}) };

const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The handler arguments of `get` for `argv` (process.argv without node and
 * the script), or undefined when argv is not a plain `get` the fast path can
 * read exactly like yargs.
 */
export function parseFastGet(argv: readonly string[]): FastArgs | undefined {
  if (!argv.includes('get')) return undefined;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
      tokens: true,
    });
  } catch {
    return undefined; // unknown flag, missing or ambiguous value: yargs explains
  }
  for (const t of parsed.tokens ?? []) {
    if (t.kind === 'option-terminator') return undefined;
    if (t.kind === 'option') {
      const long = t.rawName.startsWith('--');
      // "-ojson", "-Aw", "-n=x": yargs and parseArgs may disagree; leave them to yargs.
      if (!long && (t.rawName.length !== 2 || t.inlineValue)) return undefined;
    }
  }
  const [verb, kind, ...names] = parsed.positionals;
  if (verb !== 'get' || kind === undefined) return undefined;
  // `-w false` means watch=false to yargs, a name "false" to parseArgs.
  if ([kind, ...names].some((p) => p === 'true' || p === 'false')) return undefined;

  const args: FastArgs = { kind, names };
  for (const [name, value] of Object.entries(parsed.values)) {
    const values = value as (string | boolean)[];
    if (values.length !== 1) return undefined; // repeated: yargs makes an array
    args[camel(name)] = values[0];
  }
  if ('color' in args || 'noColor' in args) {
    if ('color' in args && 'noColor' in args) return undefined;
    if ('noColor' in args) args.color = !args.noColor;
    delete args.noColor;
  }
  if (args.chunkSize !== undefined) {
    if (!/^\d+$/.test(String(args.chunkSize))) return undefined;
    args.chunkSize = Number(args.chunkSize);
  }
  return args;
}
