// A yargs-free reading of the CLI's hottest command, `jobctl get KIND
// [NAMES...] [flags]`, with node:util's parseArgs (built in: nothing to
// load). yargs and its helpers (cliui, string-width, y18n, ...) cost more to
// load and run than the whole rest of a `get`, so cmd/jobctl.ts tries this
// first and runs the verb directly when it succeeds.
//
// It parses nothing of its own: the options table is made from the global
// flags and `get`'s definition (pkg/cli/command.ts, verbs/get.ts), and the
// result goes through the same execute() as a yargs-parsed command. It is
// deliberately conservative: anything it is not sure to read exactly as
// yargs would (an unknown flag, --help, a repeated flag, short flags with an
// attached value, `--`, a value that looks like a flag, a non-integer
// number, ...) returns undefined, and the caller falls back to the full
// yargs parser, which gives the usual behaviour and messages.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  camelCase,
  globalFlags,
  type AnyVerb,
  type FlagSpec,
  type Flags,
  type Positionals,
} from './command.js';
import { execute } from './execute.js';
import type { CliDeps } from './verbs/deps.js';
import { getVerb } from './verbs/get.js';

/** Arguments as yargs hands them to a handler (camelCase keys). */
export type FastArgs = Record<string, unknown>;

type Options = NonNullable<ParseArgsConfig['options']>;

/** What the fast path can read for one verb, made from its definition. */
interface Table {
  readonly verb: AnyVerb;
  readonly options: Options;
  /** parseArgs option name → the flag's name and spec. */
  readonly flags: ReadonlyMap<string, { readonly name: string; readonly spec: FlagSpec }>;
}

function tableOf(verb: AnyVerb): Table {
  const options: Options = {};
  const flags = new Map<string, { name: string; spec: FlagSpec }>();
  const all: Flags = { ...globalFlags, ...(verb.flags as Flags | undefined) };
  for (const [name, spec] of Object.entries(all)) {
    const short = spec.alias?.length === 1 ? { short: spec.alias } : {};
    const type = spec.type === 'boolean' ? 'boolean' : 'string';
    // Every flag may repeat in parseArgs, so that a repeat is seen and left to yargs.
    options[name] = { type, multiple: true, ...short };
    flags.set(name, { name, spec });
    if (spec.alias && spec.alias.length > 1) {
      options[spec.alias] = { type, multiple: true };
      flags.set(spec.alias, { name, spec });
    }
    if (spec.type === 'boolean') {
      // yargs reads --no-X as X=false for every boolean.
      options[`no-${name}`] = { type: 'boolean', multiple: true };
    }
  }
  return { verb, options, flags };
}

const getTable = tableOf(getVerb);

/** One flag's value as yargs would hand it over, or undefined when unsure. */
function flagValue(spec: FlagSpec, values: readonly (string | boolean)[]): unknown {
  if (spec.array) return undefined; // takes several words after it: yargs decides where it ends
  if (spec.repeatable) return values.map(String);
  if (values.length !== 1) return undefined; // repeated: yargs makes an array
  const v = values[0];
  if (spec.type !== 'number') return v;
  return /^\d+$/.test(String(v)) ? Number(v) : undefined;
}

/**
 * The handler arguments of `get` for `argv` (process.argv without node and
 * the script), or undefined when argv is not a plain `get` the fast path can
 * read exactly like yargs.
 */
export function parseFastGet(argv: readonly string[]): FastArgs | undefined {
  return parseFast(argv, getTable);
}

function parseFast(argv: readonly string[], table: Table): FastArgs | undefined {
  const { verb } = table;
  if (!argv.includes(verb.name)) return undefined;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: table.options,
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
      // "-ojson", "-n=x": yargs and parseArgs may disagree; leave them to yargs.
      if (!long && (t.rawName.length !== 2 || t.inlineValue)) return undefined;
    }
  }
  const [word, ...words] = parsed.positionals;
  if (word !== verb.name) return undefined;
  // `-w false` means watch=false to yargs, a word "false" to parseArgs.
  if (words.some((p) => p === 'true' || p === 'false')) return undefined;

  const args: FastArgs = {};
  let rest = words;
  for (const p of (verb.positionals ?? []) as Positionals) {
    if (p.array) {
      if (p.required && rest.length === 0) return undefined;
      args[p.name] = rest;
      rest = [];
    } else if (rest.length > 0) {
      args[p.name] = rest[0];
      rest = rest.slice(1);
    } else if (p.required) {
      return undefined; // yargs: "Not enough non-option arguments"
    }
  }
  if (rest.length > 0) return undefined; // yargs (strict): "Unknown argument"

  const values = parsed.values as Record<string, (string | boolean)[] | undefined>;
  for (const [option, { name, spec }] of table.flags) {
    const given = values[option];
    const negated = spec.type === 'boolean' ? values[`no-${option}`] : undefined;
    if (given && negated) return undefined;
    if (!given && !negated) continue;
    const key = camelCase(name);
    if (key in args) return undefined; // given under two names
    const value = negated
      ? negated.length === 1
        ? !negated[0]
        : undefined
      : flagValue(spec, given ?? []);
    if (value === undefined) return undefined;
    args[key] = value;
  }
  for (const [name, spec] of Object.entries<FlagSpec>({ ...globalFlags, ...verb.flags })) {
    const key = camelCase(name);
    if (key in args) continue;
    if (spec.demandOption) return undefined; // yargs: "Missing required argument"
    if (spec.default !== undefined) args[key] = spec.default;
  }
  return args;
}

/** Runs `get` with arguments from parseFastGet, then calls deps.exit with its code. */
export async function runFastGet(deps: CliDeps, args: FastArgs): Promise<void> {
  deps.exit(await execute(deps, getVerb, args));
}
