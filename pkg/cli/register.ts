// The whole command line through yargs: the global flags, then one yargs
// command per verb definition (pkg/cli/verbs/*.ts, in the order `jobctl
// --help` lists them), each run by execute.ts. Usage errors (unknown flags,
// missing arguments) are exit 2. The hottest command, a plain `jobctl get`,
// usually never gets here: fast-get.ts reads it from the same definitions.
import type { Argv, Options, PositionalOptions } from 'yargs';
import { globalFlags, isGroup, usageOf, type Command, type FlagSpec } from './command.js';
import { execute, globalFlagsActedOn } from './execute.js';
import { applyVerb } from './verbs/apply.js';
import { authCommand } from './verbs/auth.js';
import { clusterCommand } from './verbs/cluster.js';
import { registerCompletion } from './verbs/completion.js';
import { configCommand } from './verbs/config.js';
import { createCommand } from './verbs/create.js';
import { deleteVerb } from './verbs/delete.js';
import type { CliDeps } from './verbs/deps.js';
import { describeVerb } from './verbs/describe.js';
import { devCommand } from './verbs/dev-up.js';
import { diffVerb } from './verbs/diff.js';
import { explainVerb } from './verbs/explain.js';
import { getVerb } from './verbs/get.js';
import { logsVerb } from './verbs/logs.js';
import { nodeCommand } from './verbs/node.js';
import { runJobVerb } from './verbs/run.js';
import { tokenCommand } from './verbs/token.js';
import { topVerb } from './verbs/top.js';
import { waitVerb } from './verbs/wait.js';

/** Every command, in help order. */
export const commands: readonly Command[] = [
  clusterCommand,
  devCommand,
  applyVerb,
  getVerb,
  describeVerb,
  deleteVerb,
  waitVerb,
  logsVerb,
  runJobVerb,
  createCommand,
  diffVerb,
  topVerb,
  explainVerb,
  nodeCommand,
  tokenCommand,
  authCommand,
  configCommand,
];

function yargsOption(spec: FlagSpec): Options {
  return {
    // A repeatable flag stays a string flag: yargs collects repeats into an array.
    type: spec.type,
    ...(spec.alias !== undefined ? { alias: spec.alias } : {}),
    ...(spec.describe !== undefined ? { describe: spec.describe } : {}),
    ...(spec.default !== undefined ? { default: spec.default } : {}),
    ...(spec.array ? { array: true } : {}),
    ...(spec.demandOption ? { demandOption: true } : {}),
  };
}

/** "specify a node subcommand: cordon | uncordon | drain" */
function demandMessage(group: Command & { readonly subcommands: readonly Command[] }): string {
  const article = /^[aeiou]/.test(group.name) ? 'an' : 'a';
  const names = group.subcommands.map((c) => c.name).join(' | ');
  return `specify ${article} ${group.name} subcommand: ${names}`;
}

/** `prefix` is the groups' words before this command ("node" for `node drain`). */
function addCommand(y: Argv, c: Command, deps: CliDeps, prefix = ''): void {
  if (isGroup(c)) {
    y.command(c.name, c.describe, (g) => {
      for (const sub of c.subcommands) addCommand(g, sub, deps, `${prefix}${c.name} `);
      return g.demandCommand(1, demandMessage(c));
    });
    return;
  }
  y.command(
    usageOf(c),
    c.describe,
    (b) => {
      for (const p of c.positionals ?? []) {
        const opt: PositionalOptions = { type: 'string' };
        if (p.describe !== undefined) opt.describe = p.describe;
        if (p.array) opt.array = true;
        b.positional(p.name, opt);
      }
      for (const [name, spec] of Object.entries<FlagSpec>(c.flags ?? {})) {
        b.option(name, yargsOption(spec));
      }
      // Its help lists only the global flags it acts on (execute refuses the others).
      const actedOn = globalFlagsActedOn(c);
      for (const name of Object.keys(globalFlags)) {
        if (actedOn && !actedOn.has(name)) b.hide(name);
      }
      return c.passThrough ? b.parserConfiguration({ 'populate--': true }) : b;
    },
    async (a) => deps.exit(await execute(deps, c, a, `${prefix}${c.name}`)),
  );
}

/** Adds the global flags, every command, and `completion` to a yargs root. */
export function registerCommands<T>(y: Argv<T>, deps: CliDeps): Argv<T> {
  for (const [name, spec] of Object.entries<FlagSpec>(globalFlags)) {
    y.option(name, { ...yargsOption(spec), global: true });
  }
  for (const c of commands) addCommand(y as Argv, c, deps);
  // Eager (a few lines, no imports): yargs answers --get-yargs-completions before any handler runs.
  return registerCompletion(y);
}

/** Parses `argv` (without node and the script) and runs the command it names. */
export async function runCli(argv: readonly string[], deps: CliDeps): Promise<void> {
  const { default: yargs } = await import('yargs');
  const root = yargs([...argv])
    .scriptName('jobctl')
    .usage('$0 <command> [flags]')
    .exitProcess(false);
  await registerCommands(root, deps)
    .demandCommand(1, 'specify a command')
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      deps.stderr.write(`error: ${msg ?? err?.message ?? 'invalid usage'}\n`);
      deps.stderr.write("Run 'jobctl --help' for usage.\n");
      deps.exit(2);
    })
    .parseAsync();
}
