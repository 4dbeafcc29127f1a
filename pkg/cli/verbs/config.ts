// `jobctl config set-context NAME [--server A,B] [--http URL] [--namespace NS]
// [--ca F --cert F --key F --token T] | use-context NAME | get-contexts [NAME] |
// current-context | delete-context NAME`, on the contexts file (contexts.ts);
// `config kubeconfig` (./kubeconfig.ts) turns a context into a kubeconfig.
import { resolve } from 'node:path';
import { ColumnTable } from '../printers/columns.js';
import { ExitCode, UsageError } from '../errors.js';
import {
  configPath,
  findContext,
  loadConfig,
  saveConfig,
  type ConfigFile,
  type Context,
} from '../contexts.js';
import { defineVerb, type Positionals, type VerbGroup } from '../command.js';
import type { VerbDeps } from './deps.js';
import { kubeconfigVerb } from './kubeconfig.js';

export interface ConfigOptions {
  readonly action: string;
  readonly name?: string;
  readonly server?: string;
  /** The REST URL (jobd --http) that `config kubeconfig` points kubectl at. */
  readonly http?: string;
  readonly namespace?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

type ConfigDeps = Pick<VerbDeps, 'stdout' | 'stderr' | 'env'>;

const contextName = { name: 'name', required: true } as const;

/**
 * One `config ACTION` subcommand. It works on the contexts file only, so it
 * connects to nothing; --server, --namespace and the TLS flags are the
 * global ones, here meaning what to store.
 */
const configAction = (action: string, describe: string, positionals: Positionals = []) =>
  defineVerb({
    name: action,
    describe,
    connection: 'none',
    positionals,
    flags:
      action === 'set-context'
        ? { http: { type: 'string', describe: 'REST URL of the cluster (for config kubeconfig)' } }
        : {},
    toOptions: (a): ConfigOptions => ({
      action,
      name: a.name,
      server: a.server,
      http: 'http' in a && typeof a.http === 'string' ? a.http : undefined,
      namespace: a.namespace,
      ca: a.ca,
      cert: a.cert,
      key: a.key,
      token: a.token,
    }),
    run: runConfig,
  });

export const configCommand: VerbGroup = {
  name: 'config',
  describe: 'Manage contexts in ~/.jobctl/config.yaml ($JOBCTL_CONFIG)',
  subcommands: [
    configAction(
      'set-context',
      'create or modify a context (--server, --http, --namespace, --ca, --cert, --key, --token)',
      [contextName],
    ),
    configAction('use-context', 'make a context current', [contextName]),
    configAction('get-contexts', 'list contexts', [{ name: 'name' }]),
    configAction('current-context', 'print the current context'),
    configAction('delete-context', 'remove a context', [contextName]),
    kubeconfigVerb,
  ],
};

/** TLS file paths are stored absolute: the context is used from any directory. */
const absolute = (path: string): string => (path === '' ? path : resolve(path));

function fail(deps: ConfigDeps, message: string): number {
  deps.stderr.write(`error: ${message}\n`);
  return ExitCode.Failed;
}

export async function runConfig(opts: ConfigOptions, deps: ConfigDeps): Promise<number> {
  const path = configPath(deps.env);
  const config = await loadConfig(path);
  const current = config['current-context'];
  switch (opts.action) {
    case 'set-context': {
      if (!opts.name) throw new UsageError('set-context needs a context NAME');
      const old = findContext(config, opts.name);
      const servers = opts.server
        ? opts.server
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
        : (old?.servers ?? []);
      const ctx: Context = {
        ...old,
        name: opts.name,
        servers,
        ...(opts.http !== undefined ? { http: opts.http } : {}),
        ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}),
        ...(opts.ca !== undefined ? { ca: absolute(opts.ca) } : {}),
        ...(opts.cert !== undefined ? { cert: absolute(opts.cert) } : {}),
        ...(opts.key !== undefined ? { key: absolute(opts.key) } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
      };
      const contexts = old
        ? config.contexts.map((c) => (c.name === opts.name ? ctx : c))
        : [...config.contexts, ctx];
      await saveConfig(path, { ...config, contexts });
      deps.stdout.write(`Context "${opts.name}" ${old ? 'modified' : 'created'}.\n`);
      return ExitCode.Ok;
    }
    case 'use-context': {
      if (!opts.name) throw new UsageError('use-context needs a context NAME');
      if (!findContext(config, opts.name))
        return fail(deps, `no context exists with the name: "${opts.name}"`);
      await saveConfig(path, { ...config, 'current-context': opts.name });
      deps.stdout.write(`Switched to context "${opts.name}".\n`);
      return ExitCode.Ok;
    }
    case 'get-contexts': {
      const shown = opts.name
        ? config.contexts.filter((c) => c.name === opts.name)
        : config.contexts;
      if (opts.name && shown.length === 0) return fail(deps, `context ${opts.name} not found`);
      const rows = shown.map((c) => [
        c.name === current ? '*' : '',
        c.name,
        c.servers.join(','),
        c.namespace ?? '',
      ]);
      deps.stdout.write(new ColumnTable(['CURRENT', 'NAME', 'SERVER', 'NAMESPACE']).render(rows));
      return ExitCode.Ok;
    }
    case 'current-context': {
      if (!current) return fail(deps, 'current-context is not set');
      deps.stdout.write(`${current}\n`);
      return ExitCode.Ok;
    }
    case 'delete-context': {
      if (!opts.name) throw new UsageError('delete-context needs a context NAME');
      if (!findContext(config, opts.name))
        return fail(deps, `cannot delete context ${opts.name}, not in ${path}`);
      const next: ConfigFile = {
        ...config,
        contexts: config.contexts.filter((c) => c.name !== opts.name),
        ...(current === opts.name ? { 'current-context': undefined } : {}),
      };
      await saveConfig(path, next);
      deps.stdout.write(`deleted context ${opts.name} from ${path}\n`);
      return ExitCode.Ok;
    }
    default:
      throw new UsageError(
        `unknown config subcommand "${opts.action}" (use set-context, use-context, get-contexts, current-context, delete-context)`,
      );
  }
}
