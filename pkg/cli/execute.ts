// Runs one verb definition (pkg/cli/command.ts) the same way whichever parser
// read the command line (yargs in register.ts, or fast-get.ts): typed
// arguments → the connection (global flags, $JOBCTL_*, the context) →
// options → validate → run, with the client connected only when the verb
// first asks for it and closed afterwards. Any error becomes one stderr line
// and an exit code (runVerb → pkg/cli/errors.ts).
import type { ResourceClient } from '../client/index.js';
import { camelCase, globalFlags, readArgs, type AnyVerb, type FlagSpec } from './command.js';
import { resolveConnection, type Connection } from './contexts.js';
import { UsageError } from './errors.js';
import { runVerb, type CliDeps, type VerbDeps } from './verbs/deps.js';

/**
 * The arguments as a verb sees them, noting each one it reads: a global flag
 * that neither the verb's toOptions nor its connection reads would be ignored.
 */
function readTracked<T extends object>(args: T, read: Set<string>): T {
  return new Proxy(args, {
    get(target, key, receiver) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key, receiver) as unknown;
    },
  });
}

/** The global flags a connection is made from (resolveConnection reads each of them). */
export const CONNECTION_FLAGS = [
  'server',
  'namespace',
  'context',
  'ca',
  'cert',
  'key',
  'token',
] as const satisfies readonly (keyof typeof globalFlags)[];

/** A connection for toOptions to read defaults from when nothing is run (help). */
const probeConnection: Connection = { servers: [], namespace: 'default', namespaceExplicit: false };

/**
 * The global flags `verb` acts on, by name (--color always): what its
 * connection and its toOptions read, found by running toOptions over
 * arguments with no flag given. So `--help` lists what the command takes and
 * execute refuses the rest, from the one declaration (`raw`: parsed
 * arguments to probe with, for tests). Undefined when
 * toOptions cannot run without real arguments (then help lists them all).
 */
export function globalFlagsActedOn(
  verb: AnyVerb,
  raw: Readonly<Record<string, unknown>> = {},
): ReadonlySet<string> | undefined {
  const read = new Set<string>();
  const args = readTracked(readArgs(verb, raw) as Parameters<AnyVerb['toOptions']>[0], read);
  try {
    if (verb.connection === 'none') {
      verb.toOptions(args);
    } else {
      for (const name of CONNECTION_FLAGS) read.add(name);
      verb.toOptions(args, probeConnection);
    }
  } catch {
    return undefined;
  }
  const names = Object.keys(globalFlags).filter((n) => n === 'color' || read.has(camelCase(n)));
  return new Set(names);
}

/**
 * Refuses a global flag the command did not read: -o and -A mean something only
 * to the verbs that read them, and a verb without a connection (dev up, cluster
 * snapshot status) has no use for --server or --token (the config verbs read
 * them: they write contexts). A flag nothing acts on is an error, not a silent
 * no-op. --color is let through: a verb with nothing to colour has nothing to
 * ignore.
 */
function refuseUnread(
  raw: Readonly<Record<string, unknown>>,
  read: ReadonlySet<string>,
  command: string,
): void {
  for (const [name, spec] of Object.entries<FlagSpec>(globalFlags)) {
    const key = camelCase(name);
    if (name === 'color' || raw[key] === undefined || read.has(key)) continue;
    const short = spec.alias?.length === 1 ? `-${spec.alias}, ` : '';
    throw new UsageError(`jobctl ${command} does not take ${short}--${name}`);
  }
}

/**
 * Runs `verb` with parsed arguments `raw` (camelCase keys); resolves to its
 * exit code. `command` is its whole name for messages ("dev up").
 */
export async function execute(
  deps: CliDeps,
  verb: AnyVerb,
  raw: Readonly<Record<string, unknown>>,
  command: string = verb.name,
): Promise<number> {
  let conn: Connection | undefined;
  let client: ResourceClient | undefined;
  const vd: VerbDeps = {
    stdout: deps.stdout,
    stderr: deps.stderr,
    isTTY: deps.isTTY,
    stderrIsTTY: deps.stderrIsTTY,
    clock: deps.clock,
    env: deps.env,
    readStdin: deps.readStdin,
    signal: deps.signal,
    client: async () => {
      if (!conn) throw new Error(`${verb.name} needs no cluster connection`);
      return (client = await deps.connect(conn));
    },
  };
  return runVerb(vd, async () => {
    const read = new Set<string>();
    const args = readTracked(readArgs(verb, raw) as Parameters<AnyVerb['toOptions']>[0], read);
    let opts: unknown;
    if (verb.connection === 'none') {
      opts = verb.toOptions(args);
    } else {
      conn = await resolveConnection(args, deps.env);
      opts = verb.toOptions(args, conn);
    }
    refuseUnread(raw, read, command);
    verb.validate?.(opts);
    try {
      return await verb.run(opts, vd);
    } finally {
      client?.close();
    }
  });
}
