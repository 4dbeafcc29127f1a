// Wires the resource verbs into a yargs root: flags → options, the
// connection from flags/env/contexts, then the verb module, imported only
// when its command runs (so `jobctl get jobs` never loads yaml, ajv or the
// other verbs). Each handler ends by calling deps.exit(code).
import type { Argv } from 'yargs';
import type { ResourceClient } from '../client/types.js';
import type { Clock } from '../util/clock.js';
import type { Connection, ConnectionFlags } from './contexts.js';
import { registerCompletion } from './verbs/completion.js';
import type { Out, VerbDeps } from './verbs/deps.js';

export interface RegisterDeps {
  /** A client for a resolved connection (the gRPC ResourceClient in production). */
  connect(conn: Connection): Promise<ResourceClient>;
  readonly stdout: Out;
  readonly stderr: Out;
  readonly isTTY: boolean;
  /** Whether stderr is a terminal (progress spinners). */
  readonly stderrIsTTY?: boolean;
  readonly clock: Clock;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readStdin?: () => Promise<string>;
  /** Ends long-running verbs (get -w, wait) early; e.g. tied to SIGINT. */
  readonly signal?: AbortSignal;
  /** Receives each verb's exit code (process.exit in production). */
  exit(code: number): void;
}

type Args = Record<string, unknown>;
type VerbFn = (
  deps: VerbDeps & { readonly signal?: AbortSignal },
  conn: Connection,
) => Promise<number>;

const str = (v: unknown): string | undefined =>
  v === undefined || v === null ? undefined : String(v);
const strs = (v: unknown): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String).filter((s) => s !== '');
const num = (v: unknown): number | undefined =>
  typeof v === 'number' && !Number.isNaN(v) ? v : undefined;

function connectionFlags(a: Args): ConnectionFlags {
  return {
    server: str(a.server),
    namespace: str(a.namespace),
    context: str(a.context),
    ca: str(a.ca),
    cert: str(a.cert),
    key: str(a.key),
    token: str(a.token),
  };
}

/** Resolves the connection, runs the verb with errors mapped to a line and a code, closes the client. */
async function execute(deps: RegisterDeps, a: Args, fn: VerbFn): Promise<number> {
  const { runVerb } = await import('./verbs/deps.js');
  let client: ResourceClient | undefined;
  const base = {
    stdout: deps.stdout,
    stderr: deps.stderr,
    isTTY: deps.isTTY,
    stderrIsTTY: deps.stderrIsTTY,
    clock: deps.clock,
    env: deps.env,
    readStdin: deps.readStdin,
    signal: deps.signal,
  };
  const vd = {
    ...base,
    client: async () => (client = await deps.connect(conn)),
  };
  let conn: Connection;
  return runVerb(vd, async () => {
    const { resolveConnection } = await import('./contexts.js');
    conn = await resolveConnection(connectionFlags(a), deps.env);
    try {
      return await fn(vd, conn);
    } finally {
      client?.close();
    }
  });
}

function common(a: Args, conn: Connection) {
  return {
    namespace: conn.namespace,
    namespaceExplicit: conn.namespaceExplicit,
    noColor: a.color === false,
  };
}

/** `get KIND [NAMES..]`: shared by the yargs command and the fast path. */
async function getVerb(
  a: Args,
  vd: VerbDeps & { readonly signal?: AbortSignal },
  conn: Connection,
) {
  const { runGet } = await import('./verbs/get.js');
  return runGet(
    {
      ...common(a, conn),
      kind: String(a.kind),
      names: strs(a.names),
      selector: str(a.selector),
      fieldSelector: str(a.fieldSelector),
      allNamespaces: a.allNamespaces === true,
      output: str(a.output),
      watch: a.watch === true,
      watchOnly: a.watchOnly === true,
      chunkSize: num(a.chunkSize),
      consistency: str(a.consistency),
      for: str(a.for),
    },
    vd,
  );
}

/**
 * Runs `get` with arguments parsed without yargs (pkg/cli/fast-get.ts; same
 * keys as yargs gives the handler), then calls deps.exit with its code.
 */
export async function runFastGet(deps: RegisterDeps, a: Args): Promise<void> {
  deps.exit(await execute(deps, a, (vd, conn) => getVerb(a, vd, conn)));
}

/** Adds apply, get, describe, delete, wait, logs, run, diff, explain, node, config and completion. */
export function registerResourceVerbs<T>(y: Argv<T>, deps: RegisterDeps): Argv<T> {
  const handle =
    (
      fn: (
        a: Args,
        vd: VerbDeps & { readonly signal?: AbortSignal },
        conn: Connection,
      ) => Promise<number>,
    ) =>
    async (a: Args): Promise<void> => {
      deps.exit(await execute(deps, a, (vd, conn) => fn(a, vd, conn)));
    };
  const fileOpts = (c: Argv<T>) =>
    c
      .option('filename', {
        alias: 'f',
        // Not `array`: yargs would not take "-" as an array value. Repeat -f for several.
        type: 'string',
        describe: 'FILE, DIR or - (stdin); repeatable',
      })
      .option('recursive', {
        alias: 'R',
        type: 'boolean',
        describe: 'descend into directories given with -f',
      });
  const outputOpt = (c: Argv<T>, formats: string) =>
    c.option('output', { alias: 'o', type: 'string', describe: `output format: ${formats}` });

  // --server and -o are also on the root (cmd/jobctl.ts); declaring them here
  // keeps this function complete on its own (a later declaration merges).
  y.option('server', {
    type: 'string',
    global: true,
    describe: 'HOST:PORT[,HOST:PORT...] (default $JOBCTL_SERVER, the context, 127.0.0.1:50051)',
  });
  y.option('namespace', {
    alias: 'n',
    type: 'string',
    global: true,
    describe: 'namespace (default: from the context, else "default")',
  })
    .option('all-namespaces', {
      alias: 'A',
      type: 'boolean',
      global: true,
      describe: 'list across all namespaces',
    })
    .option('color', {
      type: 'boolean',
      global: true,
      describe: 'colour output on a terminal (--no-color to disable)',
    })
    .option('context', {
      type: 'string',
      global: true,
      describe: 'context from ~/.jobctl/config.yaml to use',
    })
    .option('ca', { type: 'string', global: true, describe: 'CA certificate file (TLS)' })
    .option('cert', { type: 'string', global: true, describe: 'client certificate file (TLS)' })
    .option('key', { type: 'string', global: true, describe: 'client key file (TLS)' })
    .option('token', { type: 'string', global: true, describe: 'bearer token' });

  y.command(
    'apply',
    'Create or update resources from files (-f FILE|DIR|-)',
    (c) =>
      outputOpt(fileOpts(c), 'json|yaml|name')
        .option('dry-run', {
          type: 'string',
          describe: 'client|server: only show what would happen',
        })
        .option('force', {
          type: 'boolean',
          describe: 'delete and recreate objects whose immutable fields changed',
        })
        .option('prune', {
          type: 'boolean',
          describe: 'delete Jobs matching -l that the files no longer name',
        })
        .option('selector', {
          alias: 'l',
          type: 'string',
          describe: 'label selector (for --prune)',
        })
        .option('wait', {
          type: 'string',
          describe: 'wait for the applied Jobs to finish (--wait[=TIMEOUT])',
        }),
    handle(async (a, vd, conn) => {
      const { runApply } = await import('./verbs/apply.js');
      return runApply(
        {
          ...common(a, conn),
          filenames: strs(a.filename),
          recursive: a.recursive === true,
          dryRun: str(a.dryRun),
          force: a.force === true,
          prune: a.prune === true,
          selector: str(a.selector),
          wait: a.wait !== undefined,
          waitTimeout: str(a.wait),
          output: str(a.output),
        },
        vd,
      );
    }),
  );

  y.command(
    'get <kind> [names..]',
    'Display resources: jobs, runs, nodes, cronjobs, events',
    (c) =>
      outputOpt(c, 'json|yaml|wide|name')
        .positional('kind', { type: 'string', describe: 'jobs | runs | nodes | cronjobs | events' })
        .positional('names', { type: 'string', array: true })
        .option('selector', {
          alias: 'l',
          type: 'string',
          describe: 'label selector (a=b, a!=b, a in (x,y), !a)',
        })
        .option('field-selector', {
          type: 'string',
          describe: 'field selector (e.g. status.phase=Running)',
        })
        .option('watch', {
          alias: 'w',
          type: 'boolean',
          describe: 'after listing, print changes as they happen',
        })
        .option('watch-only', {
          type: 'boolean',
          describe: 'print changes only, without the initial list',
        })
        .option('consistency', {
          type: 'string',
          describe: "linearizable (default) | stale: read the answering node's copy",
        })
        .option('chunk-size', { type: 'number', describe: 'list page size (default 500)' })
        .option('for', {
          type: 'string',
          describe: 'events only: those about KIND/NAME (job/hello, run/hello-0, node/node-1)',
        }),
    handle(getVerb),
  );

  y.command(
    'describe <kind> [names..]',
    'Show details of a job, run or node: fields, conditions, runs, events',
    (c) =>
      c.positional('kind', { type: 'string' }).positional('names', { type: 'string', array: true }),
    handle(async (a, vd, conn) => {
      const { runDescribe } = await import('./verbs/describe.js');
      return runDescribe({ ...common(a, conn), kind: String(a.kind), names: strs(a.names) }, vd);
    }),
  );

  y.command(
    'delete [kind] [names..]',
    'Delete resources by name, label selector or file (stops running containers)',
    (c) =>
      fileOpts(c)
        .positional('kind', { type: 'string' })
        .positional('names', { type: 'string', array: true })
        .option('selector', { alias: 'l', type: 'string', describe: 'delete everything matching' })
        .option('wait', { type: 'boolean', describe: 'wait until the objects are gone' })
        .option('timeout', {
          type: 'string',
          describe: 'with --wait: how long (default 60s; 0 = no limit)',
        })
        .option('dry-run', { type: 'string', describe: 'client|server' }),
    handle(async (a, vd, conn) => {
      const { runDelete } = await import('./verbs/delete.js');
      return runDelete(
        {
          ...common(a, conn),
          kind: str(a.kind),
          names: strs(a.names),
          filenames: strs(a.filename),
          recursive: a.recursive === true,
          selector: str(a.selector),
          wait: a.wait === true,
          timeout: str(a.timeout),
          dryRun: str(a.dryRun),
        },
        vd,
      );
    }),
  );

  y.command(
    'wait <refs..>',
    'Wait for job/NAME to meet a condition (exit 4 if it failed, 5 on timeout)',
    (c) =>
      c
        .positional('refs', { type: 'string', array: true, describe: 'job/NAME ...' })
        .option('for', {
          type: 'string',
          demandOption: true,
          describe: 'condition=Complete | condition=Failed | finished | delete',
        })
        .option('timeout', {
          type: 'string',
          default: '60s',
          describe: 'give up after (0 = no limit)',
        }),
    handle(async (a, vd, conn) => {
      const { runWait } = await import('./verbs/wait.js');
      return runWait(
        { ...common(a, conn), refs: strs(a.refs), for: String(a.for), timeout: str(a.timeout) },
        vd,
      );
    }),
  );

  y.command(
    'logs <ref>',
    "Print a Run's output: job/NAME (its latest Run) or run/NAME",
    (c) =>
      c
        .positional('ref', { type: 'string', describe: 'job/NAME | run/NAME' })
        .option('follow', {
          alias: 'f',
          type: 'boolean',
          describe: 'stream the output until the Run ends',
        })
        .option('tail', {
          type: 'number',
          describe: 'only the last N lines (then, with -f, everything new)',
        }),
    handle(async (a, vd, conn) => {
      const { runLogs } = await import('./verbs/logs.js');
      return runLogs(
        {
          ...common(a, conn),
          ref: String(a.ref),
          follow: a.follow === true,
          tail: num(a.tail),
        },
        vd,
      );
    }),
  );

  y.command(
    'run <name> [command..]',
    'Create a Job running IMAGE: jobctl run NAME --image IMG [--] CMD...',
    (c) =>
      outputOpt(c, 'json|yaml|name')
        .parserConfiguration({ 'populate--': true })
        .positional('name', { type: 'string' })
        .positional('command', { type: 'string', array: true })
        .option('image', { type: 'string', describe: 'container image' })
        .option('env', { type: 'string', array: true, describe: 'NAME=VALUE (repeatable)' })
        .option('completions', { type: 'number' })
        .option('parallelism', { type: 'number' })
        .option('backoff-limit', { type: 'number' })
        .option('labels', { alias: 'l', type: 'string', describe: 'labels: a=b,c=d' })
        .option('dry-run', { type: 'string', describe: 'client|server' }),
    handle(async (a, vd, conn) => {
      const { runRun } = await import('./verbs/run.js');
      return runRun(
        {
          ...common(a, conn),
          name: String(a.name),
          image: str(a.image),
          command: [...strs(a.command), ...strs(a['--'])],
          env: strs(a.env),
          labels: str(a.labels),
          completions: num(a.completions),
          parallelism: num(a.parallelism),
          backoffLimit: num(a.backoffLimit),
          dryRun: str(a.dryRun),
          output: str(a.output),
        },
        vd,
      );
    }),
  );

  y.command(
    'diff',
    'Show what apply would change (exit 0: none, 1: differences)',
    (c) => fileOpts(c),
    handle(async (a, vd, conn) => {
      const { runDiff } = await import('./verbs/diff.js');
      return runDiff(
        { ...common(a, conn), filenames: strs(a.filename), recursive: a.recursive === true },
        vd,
      );
    }),
  );

  y.command(
    'top <kind> [names..]',
    'Allocated vs capacity of nodes: CPU, memory and Runs booked on each',
    (c) =>
      outputOpt(c, 'json')
        .positional('kind', { type: 'string', describe: 'nodes' })
        .positional('names', { type: 'string', array: true }),
    handle(async (a, vd, conn) => {
      const { runTop } = await import('./verbs/top.js');
      return runTop(
        { ...common(a, conn), kind: String(a.kind), names: strs(a.names), output: str(a.output) },
        vd,
      );
    }),
  );

  y.command(
    'explain <path>',
    'Documentation of a kind or field, e.g. job.spec.resources',
    (c) =>
      c
        .positional('path', { type: 'string' })
        .option('recursive', { type: 'boolean', describe: 'show all nested fields' }),
    handle(async (a, vd) => {
      const { runExplain } = await import('./verbs/explain.js');
      return runExplain({ path: String(a.path), recursive: a.recursive === true }, vd);
    }),
  );

  y.command('node', 'Cordon, uncordon or drain a node', (c) => {
    for (const [action, describe] of [
      ['cordon', 'mark the node unschedulable'],
      ['uncordon', 'mark the node schedulable'],
      ['drain', 'cordon, wait for its Runs to finish, hand off leadership'],
    ] as const) {
      c.command(
        `${action} <name>`,
        describe,
        (cc) =>
          cc.positional('name', { type: 'string' }).option('timeout', {
            type: 'string',
            describe: 'drain: give up after (default 0 = no limit)',
          }),
        handle(async (a, vd) => {
          const { runNode } = await import('./verbs/node.js');
          return runNode({ action, name: String(a.name), timeout: str(a.timeout) }, vd);
        }),
      );
    }
    return c.demandCommand(1, 'specify a node subcommand: cordon | uncordon | drain');
  });

  registerAuthVerbs(y, handle);

  y.command('config', 'Manage contexts in ~/.jobctl/config.yaml ($JOBCTL_CONFIG)', (c) => {
    const configHandler =
      (action: string) =>
      async (a: Args): Promise<void> => {
        const { runVerb } = await import('./verbs/deps.js');
        const { runConfig } = await import('./verbs/config.js');
        const vd = { ...deps, client: () => Promise.reject(new Error('config needs no client')) };
        deps.exit(
          await runVerb(vd, () =>
            runConfig(
              {
                action,
                name: str(a.name),
                server: str(a.server),
                namespace: str(a.namespace),
                ca: str(a.ca),
                cert: str(a.cert),
                key: str(a.key),
                token: str(a.token),
              },
              deps,
            ),
          ),
        );
      };
    return c
      .command(
        'set-context <name>',
        'create or modify a context (--server, --namespace, --ca, --cert, --key, --token)',
        (cc) => cc.positional('name', { type: 'string' }),
        configHandler('set-context'),
      )
      .command(
        'use-context <name>',
        'make a context current',
        (cc) => cc.positional('name', { type: 'string' }),
        configHandler('use-context'),
      )
      .command(
        'get-contexts [name]',
        'list contexts',
        (cc) => cc.positional('name', { type: 'string' }),
        configHandler('get-contexts'),
      )
      .command(
        'current-context',
        'print the current context',
        () => {},
        configHandler('current-context'),
      )
      .command(
        'delete-context <name>',
        'remove a context',
        (cc) => cc.positional('name', { type: 'string' }),
        configHandler('delete-context'),
      )
      .demandCommand(
        1,
        'specify a config subcommand: set-context | use-context | get-contexts | current-context',
      );
  });

  // Eager (a few lines, no imports): yargs answers --get-yargs-completions before any handler runs.
  return registerCompletion(y);
}

type Handle = (
  fn: (
    a: Args,
    vd: VerbDeps & { readonly signal?: AbortSignal },
    conn: Connection,
  ) => Promise<number>,
) => (a: Args) => Promise<void>;

/** `token create|list|revoke` and `auth can-i|whoami` (pkg/cli/verbs/token.ts, auth.ts). */
function registerAuthVerbs<T>(y: Argv<T>, handle: Handle): void {
  y.command('token', 'Create, list or revoke API bearer tokens (admins only)', (c) =>
    c
      .command(
        'create',
        'create a token; prints NAME.SECRET once (--role binds it in -n NS, or cluster-wide with -A)',
        (cc) =>
          cc
            .option('name', { type: 'string', describe: 'token name (default tok-<random>)' })
            .option('user', { type: 'string', describe: 'user the bearer is (default the name)' })
            .option('group', { type: 'string', array: true, describe: 'a group (repeatable)' })
            .option('role', { type: 'string', describe: 'view | edit | admin: bind it' })
            .option('ttl', { type: 'string', describe: 'expires after, e.g. 24h (default never)' })
            .option('description', { type: 'string', describe: 'what the token is for' }),
        handle(async (a, vd, conn) => {
          const { runTokenCreate } = await import('./verbs/token.js');
          return runTokenCreate(
            {
              namespace: conn.namespace,
              name: str(a.name),
              user: str(a.user),
              groups: strs(a.group),
              role: str(a.role),
              allNamespaces: a.allNamespaces === true,
              ttl: str(a.ttl),
              description: str(a.description),
            },
            vd,
          );
        }),
      )
      .command(
        'list',
        'list tokens: NAME USER GROUPS EXPIRES AGE',
        (cc) => cc.option('output', { alias: 'o', type: 'string', describe: 'json|yaml' }),
        handle(async (a, vd) => {
          const { runTokenList } = await import('./verbs/token.js');
          return runTokenList({ output: str(a.output) }, vd);
        }),
      )
      .command(
        'revoke <names..>',
        'delete tokens (refused at once on every node) and their bindings',
        (cc) => cc.positional('names', { type: 'string', array: true }),
        handle(async (a, vd) => {
          const { runTokenRevoke } = await import('./verbs/token.js');
          return runTokenRevoke({ names: strs(a.names) }, vd);
        }),
      )
      .demandCommand(1, 'specify a token subcommand: create | list | revoke'),
  );

  y.command('auth', 'Inspect authorization', (c) =>
    c
      .command(
        'can-i <verb> <resource> [name]',
        'may I? prints yes (exit 0) or no (exit 1): e.g. can-i delete jobs -n prod',
        (cc) =>
          cc
            .positional('verb', {
              type: 'string',
              describe: 'get|list|watch|create|update|apply|delete|logs',
            })
            .positional('resource', {
              type: 'string',
              describe: 'jobs, runs, runs/status, nodes, tokens, cluster, ...',
            })
            .positional('name', { type: 'string' })
            .option('quiet', {
              alias: 'q',
              type: 'boolean',
              describe: 'print nothing; exit code only',
            }),
        handle(async (a, vd, conn) => {
          const { runCanI } = await import('./verbs/auth.js');
          return runCanI(
            {
              ...common(a, conn),
              verb: String(a.verb),
              resource: String(a.resource),
              name: str(a.name),
              allNamespaces: a.allNamespaces === true,
              quiet: a.quiet === true,
            },
            vd,
          );
        }),
      )
      .command(
        'whoami',
        'who the server thinks I am: user, groups, how I authenticated',
        (cc) => cc.option('output', { alias: 'o', type: 'string', describe: 'json' }),
        handle(async (a, vd) => {
          const { runWhoAmI } = await import('./verbs/auth.js');
          return runWhoAmI({ output: str(a.output) }, vd);
        }),
      )
      .demandCommand(1, 'specify an auth subcommand: can-i | whoami'),
  );
}
