// `jobctl auth can-i VERB RESOURCE [NAME] [-n NS | -A]` prints yes or no and
// exits 0 or 1, like kubectl; `jobctl auth whoami` prints the caller's user,
// groups and how it authenticated. Both ask the server (an AccessReview,
// answered by its authorizer and never stored), so the answer is the one a
// real request would get.
import type { ResourceClient } from '../../client/index.js';
import { API_VERSION, type Resource } from '../../store/types.js';
import { formatTable } from '../printers/table.js';
import { defineVerb, type VerbGroup } from '../command.js';
import { clientOf, commonOptions, type CommonOptions, type VerbDeps } from './deps.js';

/** An AccessReview as the server answers it (never stored, so not in KindMap). */
interface Review extends Resource<
  Record<string, unknown>,
  { allowed: boolean; reason: string; user: string; groups: string[]; via: string }
> {
  kind: 'AccessReview';
}

function review(client: ResourceClient, spec: Record<string, unknown>): Promise<Review> {
  return client.create({
    apiVersion: API_VERSION,
    kind: 'AccessReview',
    metadata: { name: 'review' },
    spec,
  }) as Promise<Review>;
}

export interface CanIOptions extends CommonOptions {
  readonly verb: string;
  readonly resource: string;
  readonly name?: string;
  readonly allNamespaces: boolean;
  /** Print why not, too. */
  readonly quiet?: boolean;
}

export const authCommand: VerbGroup = {
  name: 'auth',
  describe: 'Inspect authorization',
  subcommands: [
    defineVerb({
      name: 'can-i',
      describe: 'may I? prints yes (exit 0) or no (exit 1): e.g. can-i delete jobs -n prod',
      positionals: [
        {
          name: 'verb',
          required: true,
          describe: 'get|list|watch|create|update|apply|delete|logs',
        },
        {
          name: 'resource',
          required: true,
          describe: 'jobs, runs, runs/status, nodes, tokens, cluster, ...',
        },
        { name: 'name' },
      ],
      flags: {
        quiet: { type: 'boolean', alias: 'q', describe: 'print nothing; exit code only' },
      },
      toOptions: (a, conn): CanIOptions => ({
        ...commonOptions(a, conn),
        verb: a.verb,
        resource: a.resource,
        name: a.name,
        allNamespaces: a.allNamespaces === true,
        quiet: a.quiet === true,
      }),
      run: runCanI,
    }),
    defineVerb({
      name: 'whoami',
      describe: 'who the server thinks I am: user, groups, how I authenticated',
      toOptions: (a) => ({ output: a.output }),
      run: runWhoAmI,
    }),
  ],
};

export async function runCanI(o: CanIOptions, deps: VerbDeps): Promise<number> {
  const client = await clientOf(deps);
  const r = await review(client, {
    verb: o.verb,
    resource: o.resource,
    namespace: o.namespace,
    allNamespaces: o.allNamespaces,
    ...(o.name ? { name: o.name } : {}),
  });
  if (!o.quiet) deps.stdout.write(r.status.allowed ? 'yes\n' : 'no\n');
  if (!r.status.allowed && r.status.reason && !o.quiet) deps.stderr.write(`${r.status.reason}\n`);
  return r.status.allowed ? 0 : 1;
}

export async function runWhoAmI(o: { readonly output?: string }, deps: VerbDeps): Promise<number> {
  const client = await clientOf(deps);
  const { status } = await review(client, { verb: 'get', resource: 'jobs' });
  const who = { user: status.user, groups: status.groups, via: status.via };
  if (o.output === 'json') deps.stdout.write(`${JSON.stringify(who, null, 2)}\n`);
  else {
    deps.stdout.write(
      formatTable(
        ['USER', 'GROUPS', 'VIA'],
        [[who.user, who.groups.join(',') || '<none>', who.via]],
      ),
    );
  }
  return 0;
}
