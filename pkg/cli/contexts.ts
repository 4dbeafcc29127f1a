// Contexts (~/.jobctl/config.yaml, or $JOBCTL_CONFIG): named connection
// settings (servers, namespace, TLS files, token) and which one is current.
// Used by every verb to find its server and namespace, so reading is fast:
// the file is written as JSON (which is valid YAML) and parsed with
// JSON.parse; only a file someone hand-edited into other YAML loads the yaml
// library.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.js';

export interface Context {
  readonly name: string;
  /** HOST:PORT of any nodes, tried in turn. */
  readonly servers: readonly string[];
  /** REST URL of the cluster (jobd --http), for `config kubeconfig`. */
  readonly http?: string;
  readonly namespace?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

export interface ConfigFile {
  readonly apiVersion: string;
  readonly kind: 'Config';
  readonly 'current-context'?: string;
  readonly contexts: readonly Context[];
}

type Env = Readonly<Record<string, string | undefined>>;

export const EMPTY_CONFIG: ConfigFile = {
  apiVersion: 'jobctl.dev/v1',
  kind: 'Config',
  contexts: [],
};
export const DEFAULT_SERVER = '127.0.0.1:50051';

/** $JOBCTL_CONFIG, else ~/.jobctl/config.yaml. */
export function configPath(env: Env): string {
  if (env.JOBCTL_CONFIG) return env.JOBCTL_CONFIG;
  return join(env.HOME || homedir(), '.jobctl', 'config.yaml');
}

/** The config file; an empty one when it does not exist. Malformed files throw. */
export async function loadConfig(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_CONFIG;
    throw err;
  }
  if (text.trim() === '') return EMPTY_CONFIG;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const { parse } = await import('yaml');
    value = parse(text);
  }
  const v = (value ?? {}) as Partial<ConfigFile>;
  if (typeof v !== 'object' || (v.contexts !== undefined && !Array.isArray(v.contexts))) {
    throw new Error(`${path}: not a jobctl config file (expected contexts: [...])`);
  }
  const contexts = (v.contexts ?? []).map((c) => ({
    ...c,
    servers: Array.isArray(c.servers)
      ? c.servers.map(String)
      : typeof c.servers === 'string'
        ? [c.servers]
        : [],
  }));
  return { ...EMPTY_CONFIG, ...v, kind: 'Config', contexts };
}

/** Writes atomically (temp file + rename), creating the directory; mode 0600 (tokens). */
export async function saveConfig(path: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, path);
}

export function findContext(config: ConfigFile, name: string | undefined): Context | undefined {
  return name ? config.contexts.find((c) => c.name === name) : undefined;
}

/** Global flags that pick a connection (all optional). */
export interface ConnectionFlags {
  readonly server?: string;
  readonly namespace?: string;
  readonly context?: string;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
}

export interface Connection {
  readonly servers: readonly string[];
  readonly namespace: string;
  /** -n was given. */
  readonly namespaceExplicit: boolean;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly token?: string;
  /** The context used, if any. */
  readonly context?: string;
}

/**
 * Checks that a server list names at least one server and only HOST:PORT
 * forms (a UsageError otherwise: exit 2 before anything is dialled).
 */
export function checkServers(servers: readonly string[], source = '--server'): void {
  if (servers.length === 0) throw new UsageError(`${source} must name at least one HOST:PORT`);
  for (const s of servers) {
    if (!isHostPort(s)) throw new UsageError(`${source}: expected HOST:PORT, got "${s}"`);
  }
}

/** HOST:PORT, [IPv6]:PORT, with a port that can be dialled. */
export function isHostPort(s: string): boolean {
  const port = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(s)?.[2];
  return port !== undefined && Number(port) <= 65535;
}

const splitServers = (s: string): string[] =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/**
 * Where to connect and which namespace to use (DESIGN.md §4): --server, then
 * $JOBCTL_SERVER, then the current (or --context) context, then
 * 127.0.0.1:50051; -n, then the context's namespace, then "default";
 * --ca/--cert/--key, then the context's; --token, then $JOBCTL_TOKEN, then the context's.
 */
export async function resolveConnection(flags: ConnectionFlags, env: Env): Promise<Connection> {
  // Read even when --server is given: the context may still supply TLS files or a token.
  const config = await loadConfig(configPath(env));
  const name = flags.context ?? config['current-context'];
  const ctx = findContext(config, name);
  if (flags.context && !ctx) throw new Error(`context "${flags.context}" does not exist`);
  const [servers, source] = flags.server
    ? [splitServers(flags.server), '--server']
    : env.JOBCTL_SERVER
      ? [splitServers(env.JOBCTL_SERVER), '$JOBCTL_SERVER']
      : ctx && ctx.servers.length > 0
        ? [[...ctx.servers], `context "${ctx.name}"`]
        : [[DEFAULT_SERVER], 'the default server'];
  // A malformed address is a usage error here, before anything is dialled
  // (it failed later as a name lookup, or as Node's "Port should be >= 0").
  checkServers(servers, source);
  return {
    servers,
    namespace: flags.namespace || ctx?.namespace || 'default',
    namespaceExplicit: Boolean(flags.namespace),
    ca: flags.ca ?? ctx?.ca,
    cert: flags.cert ?? ctx?.cert,
    key: flags.key ?? ctx?.key,
    token: flags.token ?? env.JOBCTL_TOKEN ?? ctx?.token,
    context: ctx?.name,
  };
}
