// A verb as data, kubectl's shape (STYLE.md §3): its command line and flags,
// the conversion of parsed flags into the verb's options (flags → options,
// with the connection for namespace defaults: "complete"), an optional
// validate step, and run. Each pkg/cli/verbs/<verb>.ts exports one of these;
// register.ts turns them into yargs commands and fast-get.ts reads `get`'s
// flags from the same definition, so a flag is declared exactly once.
//
// This module has no imports at run time: the fast `get` path loads it.
import type { Connection } from './contexts.js';
import type { VerbDeps } from './verbs/deps.js';

/** One flag. Values reach toOptions camel-cased (--dry-run → dryRun). */
export interface FlagSpec {
  readonly type: 'string' | 'boolean' | 'number';
  /** A one-letter short form (-o) or another long name. */
  readonly alias?: string;
  readonly describe?: string;
  readonly default?: string | number | boolean;
  /**
   * A string flag given once per value (-f a -f b); read as string[]. Not
   * yargs' `array`, which would not take "-" (stdin) as a value.
   */
  readonly repeatable?: boolean;
  /** A string flag taking several values after it (--env A=1 B=2); read as string[]. */
  readonly array?: boolean;
  readonly demandOption?: boolean;
}

/** One positional argument (always strings). Declaration order is command-line order. */
export interface PositionalSpec {
  readonly name: string;
  readonly required?: boolean;
  /** Takes every remaining word (`names..`); read as string[]. */
  readonly array?: boolean;
  readonly describe?: string;
}

export type Flags = Readonly<Record<string, FlagSpec>>;
export type Positionals = readonly PositionalSpec[];

/** "dry-run" → "dryRun" (how yargs names a flag's value in the parsed arguments). */
export type CamelCase<S extends string> = S extends `${infer H}-${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;

export const camelCase = (s: string): string =>
  s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

type FlagValue<F extends FlagSpec> = F extends { readonly repeatable: true }
  ? string[]
  : F extends { readonly array: true }
    ? string[]
    : F['type'] extends 'boolean'
      ? boolean | undefined
      : F['type'] extends 'number'
        ? number | undefined
        : string | undefined;

type PositionalValue<P extends PositionalSpec> = P extends { readonly array: true }
  ? string[]
  : P extends { readonly required: true }
    ? string
    : string | undefined;

export type FlagValues<F extends Flags> = {
  readonly [K in keyof F & string as CamelCase<K>]: FlagValue<F[K]>;
};

export type PositionalValues<P extends Positionals> = {
  readonly [E in P[number] as E['name']]: PositionalValue<E>;
};

/**
 * Flags every command has (one declaration, one help text each; DESIGN.md §4).
 * Which -o formats a command takes is its own business: an unknown one is a
 * usage error naming the allowed ones.
 */
export const globalFlags = {
  server: {
    type: 'string',
    describe:
      'HOST:PORT[,HOST:PORT...] of any nodes, tried in turn (default $JOBCTL_SERVER, the context, 127.0.0.1:50051)',
  },
  output: {
    type: 'string',
    alias: 'o',
    describe: 'output format: table (default), wide, json, yaml or name, as the command allows',
  },
  namespace: {
    type: 'string',
    alias: 'n',
    describe: 'namespace (default: from the context, else "default")',
  },
  'all-namespaces': { type: 'boolean', alias: 'A', describe: 'list across all namespaces' },
  color: { type: 'boolean', describe: 'colour output on a terminal (--no-color to disable)' },
  context: { type: 'string', describe: 'context from ~/.jobctl/config.yaml to use' },
  ca: { type: 'string', describe: 'CA certificate file (TLS)' },
  cert: { type: 'string', describe: 'client certificate file (TLS)' },
  key: { type: 'string', describe: 'client key file (TLS)' },
  token: { type: 'string', describe: 'bearer token' },
} as const satisfies Flags;

/** What toOptions receives: the global flags, the verb's flags and positionals, typed. */
export type Args<F extends Flags, P extends Positionals> = FlagValues<typeof globalFlags> &
  FlagValues<F> &
  PositionalValues<P> & {
    /** Words after `--` (only for verbs with passThrough). */
    readonly '--': string[];
  };

interface VerbBase<F extends Flags, P extends Positionals, O> {
  /** The word on the command line ("get", or "drain" under the "node" group). */
  readonly name: string;
  readonly describe: string;
  readonly positionals?: P;
  readonly flags?: F;
  /** Keeps words after `--` apart (run NAME -- CMD...). */
  readonly passThrough?: boolean;
  /** Rejects option conflicts (UsageError) before anything is read or sent. */
  validate?(opts: O): void;
  run(opts: O, deps: VerbDeps): Promise<number>;
}

/** A verb that talks to a cluster: the connection comes from the global flags, env and context. */
interface ClusterVerb<F extends Flags, P extends Positionals, O> extends VerbBase<F, P, O> {
  readonly connection?: 'cluster';
  /** Parsed flags → the verb's options; `conn` supplies defaults such as the namespace. */
  toOptions(args: Args<F, P>, conn: Connection): O;
}

/** A verb that needs no cluster (config, dev up): no connection, a client factory that refuses. */
interface LocalVerb<F extends Flags, P extends Positionals, O> extends VerbBase<F, P, O> {
  readonly connection: 'none';
  toOptions(args: Args<F, P>): O;
}

/** A runnable command (a leaf: `get`, `node drain`, `cluster status`). */
export type Verb<F extends Flags, P extends Positionals, O> =
  ClusterVerb<F, P, O> | LocalVerb<F, P, O>;

/** A command made of subcommands (`node cordon|uncordon|drain`). */
export interface VerbGroup {
  readonly name: string;
  readonly describe: string;
  readonly subcommands: readonly Command[];
}

// `any` here only erases the per-verb type parameters in lists of verbs; each
// definition is checked against its own types by defineVerb.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyVerb = Verb<any, any, any>;
export type Command = AnyVerb | VerbGroup;

export const isGroup = (c: Command): c is VerbGroup => 'subcommands' in c;

/** Types a verb definition (`const` keeps flag and positional names literal). */
export function defineVerb<const F extends Flags, const P extends Positionals, O>(
  verb: Verb<F, P, O>,
): Verb<F, P, O> {
  return verb;
}

/** The yargs command string: `get <kind> [names..]`. */
export function usageOf(verb: AnyVerb): string {
  const words = ((verb.positionals ?? []) as Positionals).map((p) => {
    const inner = p.array ? `${p.name}..` : p.name;
    return p.required ? `<${inner}>` : `[${inner}]`;
  });
  return [verb.name, ...words].join(' ');
}

const str = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : String(v);
const strs = (v: unknown): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String).filter((s) => s !== '');
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && !Number.isNaN(v) ? v : undefined;
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

function readFlag(spec: FlagSpec, v: unknown): unknown {
  if (spec.repeatable || spec.array) return strs(v);
  if (spec.type === 'boolean') return bool(v);
  if (spec.type === 'number') return num(v);
  return str(v);
}

/**
 * A verb's typed arguments from parsed ones (yargs' handler argument, or the
 * fast path's), keyed camelCase. A repeated plain flag arrives as an array and
 * is read as its values joined, as String() does.
 */
export function readArgs(verb: AnyVerb, raw: Readonly<Record<string, unknown>>): unknown {
  const args: Record<string, unknown> = { '--': strs(raw['--']) };
  const flags: Flags = { ...globalFlags, ...(verb.flags as Flags | undefined) };
  for (const [name, spec] of Object.entries(flags)) {
    const key = camelCase(name);
    args[key] = readFlag(spec, raw[key]);
  }
  for (const p of (verb.positionals ?? []) as Positionals) {
    args[p.name] = p.array ? strs(raw[p.name]) : str(raw[p.name]);
  }
  return args;
}
