// `jobctl config kubeconfig [--context NAME] [--http URL]`: a kubeconfig for a
// context, so that kubectl and the Kubernetes client libraries talk to the
// cluster's REST API (jobd --http) with the context's credentials:
//
//   KUBECONFIG=<(jobctl config kubeconfig) kubectl get jobs.jobctl.dev
//
// The server is the context's REST URL (`config set-context NAME --http URL`)
// or --http; the CA, client certificate and key are embedded (*-data, so the
// file works from anywhere), the token as it is. A kubeconfig holds secrets:
// print it where only you can read it.
import { readFile } from 'node:fs/promises';
import { ExitCode, UsageError } from '../errors.js';
import { configPath, findContext, loadConfig, type Connection } from '../contexts.js';
import { defineVerb } from '../command.js';
import type { VerbDeps } from './deps.js';

export interface KubeconfigOptions {
  /** Credentials and namespace, resolved as for any verb (flags, env, the context). */
  readonly connection: Connection;
  /** --http: the REST URL, over the context's. */
  readonly http?: string;
}

type KubeconfigDeps = Pick<VerbDeps, 'stdout' | 'stderr' | 'env'>;

export const kubeconfigVerb = defineVerb({
  name: 'kubeconfig',
  describe: 'print a kubeconfig for the current context (or --context), for kubectl',
  flags: {
    http: {
      type: 'string',
      describe:
        "the cluster's REST URL (jobd --http), e.g. https://127.0.0.1:8081 (default: the context's)",
    },
  },
  toOptions: (a, conn): KubeconfigOptions => ({
    connection: conn,
    ...(a.http ? { http: a.http } : {}),
  }),
  run: runKubeconfig,
});

/** http(s)://HOST:PORT, from a URL or a bare HOST:PORT (https when a CA is given). */
export function restUrl(value: string, tls: boolean): string {
  const url = /^[a-z]+:\/\//i.test(value) ? value : `${tls ? 'https' : 'http'}://${value}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--http: not a URL or HOST:PORT: "${value}"`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`--http: the REST URL must be http or https, not ${parsed.protocol}`);
  }
  return url.replace(/\/+$/, '');
}

const base64File = async (path: string): Promise<string> =>
  (await readFile(path)).toString('base64');

/** JSON is YAML: the kubeconfig is written as JSON, which every kubeconfig reader takes. */
export async function runKubeconfig(
  opts: KubeconfigOptions,
  deps: KubeconfigDeps,
): Promise<number> {
  const conn = opts.connection;
  const config = await loadConfig(configPath(deps.env));
  const ctx = findContext(config, conn.context);
  const http = opts.http ?? ctx?.http;
  if (!http) {
    deps.stderr.write(
      `error: no REST URL for ${ctx ? `context "${ctx.name}"` : 'this connection'}: pass --http URL or set one with \`jobctl config set-context ${ctx?.name ?? 'NAME'} --http URL\`\n`,
    );
    return ExitCode.Failed;
  }
  const name = ctx?.name ?? 'jobctl';
  const server = restUrl(http, conn.ca !== undefined);
  const cluster: Record<string, string> = { server };
  if (conn.ca) cluster['certificate-authority-data'] = await base64File(conn.ca);
  const user: Record<string, string> = {};
  if (conn.cert && conn.key) {
    user['client-certificate-data'] = await base64File(conn.cert);
    user['client-key-data'] = await base64File(conn.key);
  }
  if (conn.token) user.token = conn.token;
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster }],
    users: [{ name, user }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: conn.namespace } }],
    'current-context': name,
  };
  deps.stdout.write(`${JSON.stringify(kubeconfig, null, 2)}\n`);
  return ExitCode.Ok;
}
