// Runs one verb definition (pkg/cli/command.ts) the same way whichever parser
// read the command line (yargs in register.ts, or fast-get.ts): typed
// arguments → the connection (global flags, $JOBCTL_*, the context) →
// options → validate → run, with the client connected only when the verb
// first asks for it and closed afterwards. Any error becomes one stderr line
// and an exit code (runVerb → pkg/cli/errors.ts).
import type { ResourceClient } from '../client/index.js';
import { readArgs, type AnyVerb } from './command.js';
import { resolveConnection, type Connection } from './contexts.js';
import { runVerb, type CliDeps, type VerbDeps } from './verbs/deps.js';

/** Runs `verb` with parsed arguments `raw` (camelCase keys); resolves to its exit code. */
export async function execute(
  deps: CliDeps,
  verb: AnyVerb,
  raw: Readonly<Record<string, unknown>>,
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
    const args = readArgs(verb, raw) as Parameters<AnyVerb['toOptions']>[0];
    let opts: unknown;
    if (verb.connection === 'none') {
      opts = verb.toOptions(args);
    } else {
      conn = await resolveConnection(args, deps.env);
      opts = verb.toOptions(args, conn);
    }
    verb.validate?.(opts);
    try {
      return await verb.run(opts, vd);
    } finally {
      client?.close();
    }
  });
}
