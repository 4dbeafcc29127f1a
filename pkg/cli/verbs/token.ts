// `jobctl token create|list|revoke` (admins only: the server refuses others).
//
// create: the secret is generated here and only its SHA-256 is sent, so the
// server never sees it; the token (NAME.SECRET) is printed once on stdout
// (TOKEN=$(jobctl token create ...) works) and a summary on stderr. --role
// binds it: in the namespace (-n, RoleBinding) or everywhere (-A,
// ClusterRoleBinding); the binding is owned by the Token, so revoking the
// token deletes it too. list: NAME USER GROUPS EXPIRES AGE (-o json|yaml).
// revoke: deletes the Token; every node refuses it from then on.
import { randomBytes } from 'node:crypto';
import { formatToken, hashSecret, newSecret } from '../../auth/tokens.js';
import { API_VERSION, type Resource } from '../../store/types.js';
import { UsageError } from '../errors.js';
import { age, parseDuration } from '../../util/duration.js';
import { formatTable } from '../printers/table.js';
import { defineVerb, type VerbGroup } from '../command.js';
import { clientOf, commonOptions, type CommonOptions, type VerbDeps } from './deps.js';

const ROLES = ['view', 'edit', 'admin'];

export interface TokenCreateOptions extends CommonOptions {
  readonly name?: string;
  readonly user?: string;
  readonly groups: readonly string[];
  readonly role?: string;
  readonly allNamespaces: boolean;
  readonly ttl?: string;
  readonly description?: string;
}

export const tokenCommand: VerbGroup = {
  name: 'token',
  describe: 'Create, list or revoke API bearer tokens (admins only)',
  subcommands: [
    defineVerb({
      name: 'create',
      describe:
        'create a token; prints NAME.SECRET once (--role binds it in -n NS, or cluster-wide with -A)',
      flags: {
        name: { type: 'string', describe: 'token name (default tok-<random>)' },
        user: { type: 'string', describe: 'user the bearer is (default the name)' },
        group: { type: 'string', array: true, describe: 'a group (repeatable)' },
        role: { type: 'string', describe: 'view | edit | admin: bind it' },
        ttl: { type: 'string', describe: 'expires after, e.g. 24h (default never)' },
        description: { type: 'string', describe: 'what the token is for' },
      },
      toOptions: (a, conn): TokenCreateOptions => ({
        ...commonOptions(a, conn),
        name: a.name,
        user: a.user,
        groups: a.group,
        role: a.role,
        allNamespaces: a.allNamespaces === true,
        ttl: a.ttl,
        description: a.description,
      }),
      run: runTokenCreate,
    }),
    defineVerb({
      name: 'list',
      describe: 'list tokens: NAME USER GROUPS EXPIRES AGE',
      toOptions: (a): TokenListOptions => ({ output: a.output }),
      run: runTokenList,
    }),
    defineVerb({
      name: 'revoke',
      describe: 'delete tokens (refused at once on every node) and their bindings',
      positionals: [{ name: 'names', required: true, array: true }],
      toOptions: (a) => ({ names: a.names }),
      run: runTokenRevoke,
    }),
  ],
};

interface TokenObject extends Resource {
  spec: {
    user: string;
    groups?: string[];
    expiresAt?: string;
    secretHash: string;
    description?: string;
  };
}

/** tok-xxxxxxxx: 8 random [a-z0-9]. */
function newTokenName(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `tok-${[...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export async function runTokenCreate(o: TokenCreateOptions, deps: VerbDeps): Promise<number> {
  if (o.role !== undefined && !ROLES.includes(o.role)) {
    throw new UsageError(`--role must be one of ${ROLES.join(', ')}, got "${o.role}"`);
  }
  if (o.allNamespaces && o.role === undefined) throw new UsageError('-A needs --role');
  let expiresAt: string | undefined;
  if (o.ttl !== undefined) {
    const ms = parseDuration(o.ttl);
    if (ms === undefined || ms <= 0) {
      throw new UsageError(`--ttl: expected a duration such as 24h, 30m or 90s, got "${o.ttl}"`);
    }
    expiresAt = new Date(deps.clock.now() + ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  const name = o.name ?? newTokenName();
  const user = o.user ?? name;
  const secret = newSecret();
  const client = await clientOf(deps);
  const token = (await client.create({
    apiVersion: API_VERSION,
    kind: 'Token',
    metadata: { name },
    spec: {
      user,
      groups: [...o.groups],
      secretHash: hashSecret(secret),
      ...(expiresAt ? { expiresAt } : {}),
      ...(o.description ? { description: o.description } : {}),
    },
  })) as TokenObject;
  let bound = '';
  if (o.role !== undefined) {
    const kind = o.allNamespaces ? 'ClusterRoleBinding' : 'RoleBinding';
    await client.create({
      apiVersion: API_VERSION,
      kind,
      metadata: {
        name: `token-${name}`,
        ...(o.allNamespaces ? {} : { namespace: o.namespace }),
        ownerReferences: [
          { apiVersion: API_VERSION, kind: 'Token', name, uid: token.metadata.uid },
        ],
      },
      spec: { role: o.role, subjects: [{ kind: 'Token', name }] },
    });
    bound = o.allNamespaces
      ? `, role ${o.role} cluster-wide`
      : `, role ${o.role} in namespace "${o.namespace}"`;
  }
  const expiry = expiresAt ? `, expires ${expiresAt}` : ', never expires';
  deps.stderr.write(`token/${name} created (user "${user}"${bound}${expiry}); shown once:\n`);
  deps.stdout.write(`${formatToken(name, secret)}\n`);
  return 0;
}

export interface TokenListOptions {
  readonly output?: string;
}

export async function runTokenList(o: TokenListOptions, deps: VerbDeps): Promise<number> {
  const client = await clientOf(deps);
  const items = (await client.list('Token')).items as readonly TokenObject[];
  if (o.output === 'json' || o.output === 'yaml') {
    const body = { apiVersion: API_VERSION, kind: 'TokenList', items };
    if (o.output === 'json') deps.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    else deps.stdout.write((await import('yaml')).stringify(body));
    return 0;
  }
  if (o.output !== undefined && o.output !== '') {
    throw new UsageError(`-o: token list prints a table, json or yaml, got "${o.output}"`);
  }
  if (items.length === 0) {
    deps.stderr.write('No tokens found.\n');
    return 0;
  }
  const now = deps.clock.now();
  const rows = items.map((t) => {
    const exp = t.spec.expiresAt;
    const expires = !exp ? '<never>' : Date.parse(exp) <= now ? `${exp} (expired)` : exp;
    const groups = (t.spec.groups ?? []).join(',') || '<none>';
    return [t.metadata.name, t.spec.user, groups, expires, age(t.metadata.creationTimestamp, now)];
  });
  deps.stdout.write(formatTable(['NAME', 'USER', 'GROUPS', 'EXPIRES', 'AGE'], rows));
  return 0;
}

export async function runTokenRevoke(
  o: { readonly names: readonly string[] },
  deps: VerbDeps,
): Promise<number> {
  if (o.names.length === 0) throw new UsageError('token revoke needs a token NAME');
  const client = await clientOf(deps);
  for (const name of o.names) {
    // Also accepts the whole NAME.SECRET someone pasted.
    const id = name.split('.')[0] ?? name;
    await client.delete('Token', '', id);
    deps.stdout.write(`token/${id} revoked\n`);
  }
  return 0;
}
