// Authentication and authorization against a real 3-node jobd cluster with
// --auth (fake runtime: control plane only), over gRPC AND REST:
// - the role matrix: view / edit / admin / no credentials, each tried on every
//   verb, expected allow/deny per cell from one table (MATRIX), printed as a
//   markdown table;
// - Forbidden messages name the user, verb, resource and namespace;
// - `token create|list|revoke` and `auth can-i|whoami` through the real CLI;
// - a revoked token, and an expired one, are refused at once on every node;
// - the audit log on the node that served each mutating request, rotated by size.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import type { JobctlClient, ResourceClient } from '../../pkg/client/types.js';
import { API_VERSION, type Resource, type ResourceInput } from '../../pkg/store/index.js';
import { JobctlError, Reason, isReason } from '../../pkg/util/errors.js';
import { E2ECluster, eventually } from '../support/cluster.js';

const NS = 'team';
const OTHER_NS = 'other';
const ADMIN_TOKEN = `bootstrap-${randomBytes(16).toString('hex')}`;
const AUDIT_MAX_BYTES = 8192;

type Role = 'view' | 'edit' | 'admin' | 'none';
const ROLES: readonly Role[] = ['view', 'edit', 'admin', 'none'];

/** The outcome class of one attempt. */
type Outcome = 'allow' | 'deny';

interface Cell {
  readonly verb: string;
  /** Expected outcome per role (none: no credentials at all → always deny, as Unauthorized). */
  readonly view: Outcome;
  readonly edit: Outcome;
  readonly admin: Outcome;
  /** gRPC attempt; returns when allowed (any non-auth answer), throws the server's error. */
  readonly grpc?: (c: JobctlClient, ctx: Ctx) => Promise<unknown>;
  /** REST attempt: method, path (under the node's HTTP address), body. */
  readonly rest?: (ctx: Ctx) => { method: string; path: string; body?: unknown; type?: string };
}

interface Ctx {
  readonly tag: string;
  readonly leader: number;
  readonly node: Resource;
  readonly watchFrom: string;
}

const A = 'allow';
const D = 'deny';
const P = '/apis/jobctl.dev/v1';

const job = (name: string, ns = NS): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name, namespace: ns },
  spec: { image: 'busybox:latest', command: ['echo', name] },
});

const token = (name: string): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Token',
  metadata: { name },
  spec: { user: name, secretHash: `sha256:${'0'.repeat(64)}` },
});

const binding = (name: string): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'RoleBinding',
  metadata: { name, namespace: NS },
  spec: { role: 'view', subjects: [{ kind: 'User', name: 'nobody' }] },
});

const runStatus = (name: string): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Run',
  metadata: { name, namespace: NS },
  spec: { jobName: 'x', jobUid: 'u', attempt: 0 },
  status: { phase: 'Failed' },
});

async function firstEvent(c: ResourceClient, rv: string): Promise<void> {
  const ac = new AbortController();
  try {
    for await (const _ of c.watch('jobs', {
      namespace: NS,
      resourceVersion: rv,
      signal: ac.signal,
    }))
      return;
  } finally {
    ac.abort();
  }
}

/** Every verb, and who may do it: the one table the test asserts and prints. */
const MATRIX: readonly Cell[] = [
  {
    verb: 'get jobs',
    ...{ view: A, edit: A, admin: A },
    grpc: (c) => c.get('jobs', NS, 'seed'),
    rest: () => ({ method: 'GET', path: `${P}/namespaces/${NS}/jobs/seed` }),
  },
  {
    verb: 'list jobs',
    ...{ view: A, edit: A, admin: A },
    grpc: (c) => c.list('jobs', { namespace: NS }),
    rest: () => ({ method: 'GET', path: `${P}/namespaces/${NS}/jobs` }),
  },
  {
    verb: 'watch jobs',
    ...{ view: A, edit: A, admin: A },
    grpc: (c, x) => firstEvent(c, x.watchFrom),
    rest: (x) => ({
      method: 'GET',
      path: `${P}/namespaces/${NS}/jobs?watch=true&resourceVersion=${x.watchFrom}`,
    }),
  },
  {
    verb: 'create jobs',
    ...{ view: D, edit: A, admin: A },
    grpc: (c, x) => c.create(job(`c-${x.tag}`)),
    rest: (x) => ({ method: 'POST', path: `${P}/namespaces/${NS}/jobs`, body: job(`c-${x.tag}`) }),
  },
  {
    verb: 'apply jobs',
    ...{ view: D, edit: A, admin: A },
    grpc: (c, x) => c.apply(job(`a-${x.tag}`)),
    rest: (x) => ({
      method: 'PATCH',
      path: `${P}/namespaces/${NS}/jobs/a-${x.tag}`,
      body: job(`a-${x.tag}`),
      type: 'application/apply-patch+json',
    }),
  },
  {
    verb: 'update jobs',
    ...{ view: D, edit: A, admin: A },
    grpc: (c) => c.update(job('seed')),
    rest: () => ({ method: 'PUT', path: `${P}/namespaces/${NS}/jobs/seed`, body: job('seed') }),
  },
  {
    verb: 'delete jobs',
    ...{ view: D, edit: A, admin: A },
    grpc: (c, x) => c.delete('jobs', NS, `gone-${x.tag}`),
    rest: (x) => ({ method: 'DELETE', path: `${P}/namespaces/${NS}/jobs/gone-${x.tag}` }),
  },
  {
    verb: 'logs runs',
    ...{ view: A, edit: A, admin: A },
    grpc: async (c) => {
      for await (const _ of c.logs({ namespace: NS, job: 'seed' })) break;
    },
    rest: () => ({ method: 'GET', path: `${P}/namespaces/${NS}/jobs/seed/log` }),
  },
  {
    // The dashboard's YAML apply (POST /api/apply), the same authorizer.
    verb: 'apply jobs (manifest)',
    ...{ view: D, edit: A, admin: A },
    rest: (x) => ({
      method: 'POST',
      path: `/api/apply?namespace=${NS}`,
      body: job(`m-${x.tag}`),
      type: 'application/yaml',
    }),
  },
  {
    verb: 'update runs/status',
    ...{ view: D, edit: D, admin: A },
    grpc: (c) => c.updateStatus(runStatus('no-such-run')),
    rest: () => ({
      method: 'PUT',
      path: `${P}/namespaces/${NS}/runs/no-such-run/status`,
      body: runStatus('no-such-run'),
    }),
  },
  {
    verb: 'list jobs (all namespaces)',
    ...{ view: D, edit: D, admin: A },
    grpc: (c) => c.list('jobs'),
    rest: () => ({ method: 'GET', path: `${P}/jobs` }),
  },
  {
    verb: 'list nodes',
    ...{ view: D, edit: D, admin: A },
    grpc: (c) => c.list('nodes'),
    rest: () => ({ method: 'GET', path: `${P}/nodes` }),
  },
  {
    verb: 'update nodes (cordon)',
    ...{ view: D, edit: D, admin: A },
    grpc: (c, x) => c.update(x.node as unknown as ResourceInput),
    rest: (x) => ({ method: 'PUT', path: `${P}/nodes/${x.node.metadata.name}`, body: x.node }),
  },
  {
    verb: 'cluster status',
    ...{ view: D, edit: D, admin: A },
    grpc: (c) => c.clusterStatus(),
    rest: () => ({ method: 'GET', path: '/api/cluster/status' }),
  },
  {
    verb: 'cluster transfer-leader',
    ...{ view: D, edit: D, admin: A },
    // To the current leader: answered without disturbing anything.
    grpc: (c, x) => c.transferLeader(x.leader),
    rest: (x) => ({ method: 'POST', path: `/api/cluster/transfer-leader?to=${x.leader}` }),
  },
  {
    verb: 'create tokens',
    ...{ view: D, edit: D, admin: A },
    grpc: (c, x) => c.create(token(`t-${x.tag}`)),
    rest: (x) => ({ method: 'POST', path: `${P}/tokens`, body: token(`t-${x.tag}`) }),
  },
  {
    verb: 'list tokens',
    ...{ view: D, edit: D, admin: A },
    grpc: (c) => c.list('tokens'),
    rest: () => ({ method: 'GET', path: `${P}/tokens` }),
  },
  {
    verb: 'create rolebindings',
    ...{ view: D, edit: D, admin: A },
    grpc: (c, x) => c.create(binding(`rb-${x.tag}`)),
    rest: (x) => ({
      method: 'POST',
      path: `${P}/namespaces/${NS}/rolebindings`,
      body: binding(`rb-${x.tag}`),
    }),
  },
];

const TRANSIENT_HTTP = new Set([429, 503, 504]);
const TRANSIENT = new Set(['Timeout', 'Unavailable', 'TooManyRequests', '429', '503', '504']);

/** allow/deny from a call's result; anything but an auth refusal counts as allowed. */
function classify(err: unknown): { outcome: Outcome; reason: string } {
  if (err === undefined) return { outcome: 'allow', reason: 'ok' };
  const reason = err instanceof JobctlError ? err.reason : `thrown: ${String(err)}`;
  if (reason === 'Internal' || reason.startsWith('thrown'))
    throw new Error(`unexpected error: ${String(err)}`);
  return {
    outcome: reason === 'Forbidden' || reason === 'Unauthorized' ? 'deny' : 'allow',
    reason,
  };
}

describe('auth: a 3-node cluster with --auth', { timeout: 600_000 }, () => {
  let c: E2ECluster;
  let dir: string;
  const http: string[] = [];
  const tokens = new Map<Role, string>();
  const clients: GrpcClient[] = [];

  const grpcClient = (role: Role, nodeId: number): GrpcClient => {
    const t = tokens.get(role);
    const client = new GrpcClient({
      servers: [c.member(nodeId).address],
      timeoutMs: 20_000,
      ...(t ? { security: { token: t } } : {}),
    });
    clients.push(client);
    return client;
  };

  const rest = async (
    role: Role,
    nodeId: number,
    req: { method: string; path: string; body?: unknown; type?: string },
  ): Promise<{ status: number; body: string }> => {
    const t = tokens.get(role);
    const ac = new AbortController();
    const res = await fetch(`http://${http[nodeId - 1]}${req.path}`, {
      method: req.method,
      headers: {
        ...(t ? { authorization: `Bearer ${t}` } : {}),
        ...(req.body !== undefined ? { 'content-type': req.type ?? 'application/json' } : {}),
      },
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal: ac.signal,
    });
    // A watch streams forever: its status line is the answer.
    const body = req.path.includes('watch=true') ? '' : await res.text();
    ac.abort();
    return { status: res.status, body };
  };

  const cli = async (
    args: string[],
    t?: string,
  ): Promise<{ code: number; out: string; err: string }> => {
    const r = await c.cliRetry([...args, ...(t ? ['--token', t] : [])]);
    return { code: r.code, out: r.stdout, err: r.stderr };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-auth-'));
    const tokenFile = join(dir, 'admin.token');
    writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    c = await E2ECluster.start({
      runtime: 'fake',
      token: ADMIN_TOKEN,
      extraArgs: [
        '--auth',
        '--bootstrap-token-file',
        tokenFile,
        '--audit-max-bytes',
        String(AUDIT_MAX_BYTES),
        '--audit-max-files',
        '2',
      ],
      http: true,
    });
    for (const m of c.members) http.push(m.http as string);
    // Tokens for the matrix, through the real CLI (view/edit in NS, admin cluster-wide).
    for (const [role, flags] of [
      ['view', ['--role', 'view', '-n', NS]],
      ['edit', ['--role', 'edit', '-n', NS]],
      ['admin', ['--role', 'admin', '-A']],
    ] as const) {
      const r = await cli(['token', 'create', '--user', `ci-${role}`, ...flags], ADMIN_TOKEN);
      assert.equal(r.code, 0, r.err);
      const t = r.out.trim();
      assert.match(t, /^tok-[a-z0-9]{8}\.[A-Za-z0-9_-]{43}$/);
      tokens.set(role, t);
    }
    const admin = c.client();
    // A create is not retried by the client (not idempotent); on a loaded
    // machine its proposal can time out, and a retry may find it made.
    for (const ns of [undefined, OTHER_NS]) {
      await eventually(`seed Job in ${ns ?? 'the default namespace'}`, async () => {
        try {
          await admin.create(job('seed', ns));
          return true;
        } catch (err) {
          if (isReason(err, Reason.AlreadyExists)) return true;
          if (isReason(err, Reason.Timeout) || isReason(err, Reason.Unavailable)) return undefined;
          throw err;
        }
      });
    }
  });

  after(async () => {
    for (const cl of clients) cl.close();
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('role matrix: every verb × role over gRPC and REST matches the table', async () => {
    const admin = c.client();
    const seed = await admin.get('jobs', NS, 'seed');
    const node = (await admin.list('nodes')).items[0] as Resource;
    const ctxBase = {
      leader: await c.leader(),
      node,
      watchFrom: String(Number(seed.metadata.resourceVersion) - 1),
    };
    const results: string[] = [];
    const failures: string[] = [];
    let i = 0;
    for (const cell of MATRIX) {
      for (const role of ROLES) {
        const want: Outcome = role === 'none' ? 'deny' : cell[role];
        for (const protocol of ['grpc', 'rest'] as const) {
          const nodeId = (i++ % 3) + 1;
          const ctx: Ctx = { ...ctxBase, tag: `${role}-${protocol}-${i}` };
          const attempt = cell[protocol] ? protocol : undefined;
          if (!attempt) continue;
          let got: { outcome: Outcome; reason: string } = { outcome: 'deny', reason: '' };
          // An election on a loaded machine (Timeout, Unavailable) says nothing about auth: retry.
          for (let n = 0; n < 5; n++) {
            if (protocol === 'grpc') {
              let err: unknown;
              try {
                await cell.grpc?.(grpcClient(role, nodeId), ctx);
              } catch (e) {
                err = e;
              }
              got = classify(err);
            } else {
              const r = await rest(role, nodeId, cell.rest?.(ctx) as never);
              assert.ok(
                r.status < 500 || TRANSIENT_HTTP.has(r.status),
                `${cell.verb} ${role} REST: ${r.status} ${r.body}`,
              );
              got = {
                outcome: r.status === 401 || r.status === 403 ? 'deny' : 'allow',
                reason: String(r.status),
              };
            }
            if (!TRANSIENT.has(got.reason)) break;
            await new Promise((r) => setTimeout(r, 500 * (n + 1)));
          }
          assert.ok(
            !TRANSIENT.has(got.reason),
            `${cell.verb} ${role} ${protocol}: still ${got.reason}`,
          );
          // No credentials: 401 Unauthorized, never 403.
          if (role === 'none') {
            assert.ok(
              got.reason === 'Unauthorized' || got.reason === '401',
              `${cell.verb} without credentials over ${protocol}: ${got.reason}`,
            );
          }
          const line = `${cell.verb} | ${role} | ${protocol} | want ${want} | got ${got.outcome} (${got.reason}) | node ${nodeId}`;
          results.push(line);
          if (got.outcome !== want) failures.push(line);
        }
      }
    }
    assert.deepEqual(failures, [], `cells that differ from the table:\n${results.join('\n')}`);
    // The table, for the report.
    const mark = (o: Outcome): string => (o === 'allow' ? 'allow' : 'deny');
    const rows = MATRIX.map(
      (m) =>
        `| ${m.verb} | ${mark(m.view)} | ${mark(m.edit)} | ${mark(m.admin)} | deny (401) | ${m.grpc ? 'gRPC' : ''}${m.grpc && m.rest ? ' + ' : ''}${m.rest ? 'REST' : ''} |`,
    );
    process.stdout.write(
      `# role matrix (${results.length} cells asserted)\n| verb | view | edit | admin | no credentials | over |\n|---|---|---|---|---|---|\n${rows.join('\n')}\n`,
    );
  });

  it('Forbidden names the user, verb, resource and namespace; bindings stop at their namespace', async () => {
    const view = grpcClient('view', 2);
    await assert.rejects(view.delete('jobs', NS, 'seed'), (err: JobctlError) => {
      assert.equal(err.reason, 'Forbidden');
      assert.match(
        err.message,
        /^user "ci-view" cannot delete jobs in namespace "team" \(needs role edit/,
      );
      return true;
    });
    await assert.rejects(view.get('jobs', OTHER_NS, 'seed'), (err: JobctlError) => {
      assert.equal(err.reason, 'Forbidden');
      assert.match(err.message, /user "ci-view" cannot get jobs in namespace "other"/);
      return true;
    });
    const edit = grpcClient('edit', 3);
    await assert.rejects(edit.apply(job('x', OTHER_NS)), /cannot apply jobs in namespace "other"/);
    const r = await rest('edit', 1, { method: 'GET', path: `${P}/nodes` });
    assert.equal(r.status, 403);
    assert.match(
      JSON.parse(r.body).message,
      /user "ci-edit" cannot list nodes at the cluster scope \(needs role view cluster-wide/,
    );
  });

  it('auth can-i and whoami through the CLI', async () => {
    const view = tokens.get('view');
    const yes = await cli(['auth', 'can-i', 'list', 'jobs', '-n', NS], view);
    assert.deepEqual([yes.code, yes.out], [0, 'yes\n']);
    const no = await cli(['auth', 'can-i', 'delete', 'jobs', '-n', NS], view);
    assert.deepEqual([no.code, no.out], [1, 'no\n']);
    assert.match(no.err, /cannot delete jobs in namespace "team"/);
    const adminCan = await cli(['auth', 'can-i', 'update', 'cluster'], tokens.get('admin'));
    assert.deepEqual([adminCan.code, adminCan.out], [0, 'yes\n']);
    const who = await cli(['auth', 'whoami', '-o', 'json'], tokens.get('edit'));
    assert.equal(who.code, 0, who.err);
    assert.deepEqual(JSON.parse(who.out), { user: 'ci-edit', groups: [], via: 'token' });
    const anon = await cli(['auth', 'can-i', 'get', 'jobs']);
    assert.equal(anon.code, 1);
    assert.match(anon.err, /^Error from server \(Unauthorized\): authentication required/);
  });

  it('token list shows tokens; a revoked token is refused at once on every node', async () => {
    const r = await cli(
      ['token', 'create', '--user', 'short-lived', '--group', 'ops', '--role', 'view', '-n', NS],
      ADMIN_TOKEN,
    );
    assert.equal(r.code, 0, r.err);
    const t = r.out.trim();
    const name = t.split('.')[0] as string;
    const list = await cli(['token', 'list'], ADMIN_TOKEN);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, new RegExp(`^${name}\\s+short-lived\\s+ops\\s+<never>`, 'm'));
    // A viewer may not list tokens.
    const denied = await cli(['token', 'list'], tokens.get('view'));
    assert.equal(denied.code, 1);
    assert.match(denied.err, /Forbidden.*cannot list tokens at the cluster scope/);

    const perNode = [1, 2, 3].map((id) => {
      const cl = new GrpcClient({ servers: [c.member(id).address], security: { token: t } });
      clients.push(cl);
      return cl;
    });
    for (const cl of perNode) await cl.list('jobs', { namespace: NS });
    const revoke = await cli(['token', 'revoke', name], ADMIN_TOKEN);
    assert.deepEqual([revoke.code, revoke.out], [0, `token/${name} revoked\n`], revoke.err);
    // At once: no waiting, every node.
    for (const [i, cl] of perNode.entries()) {
      await assert.rejects(cl.list('jobs', { namespace: NS }), (err: JobctlError) => {
        assert.equal(err.reason, 'Unauthorized', `node ${i + 1}: ${err.message}`);
        assert.match(err.message, new RegExp(`invalid bearer token "${name}"`));
        return true;
      });
      const rr = await fetch(`http://${http[i]}${P}/namespaces/${NS}/jobs`, {
        headers: { authorization: `Bearer ${t}` },
      });
      assert.equal(rr.status, 401, `REST node ${i + 1}`);
    }
    // Its RoleBinding went with it (owned by the Token).
    await assert.rejects(c.client().get('rolebindings', NS, `token-${name}`), /not found/);
  });

  it('an expired token is refused at once on every node', async () => {
    const r = await cli(
      ['token', 'create', '--ttl', '6s', '--role', 'view', '-n', NS],
      ADMIN_TOKEN,
    );
    assert.equal(r.code, 0, r.err);
    const t = r.out.trim();
    const expiresAt = Date.parse(/expires (\S+)\)/.exec(r.err)?.[1] ?? '');
    assert.ok(Number.isFinite(expiresAt), r.err);
    const perNode = [1, 2, 3].map((id) => {
      const cl = new GrpcClient({ servers: [c.member(id).address], security: { token: t } });
      clients.push(cl);
      return cl;
    });
    if (Date.now() < expiresAt - 1000) await perNode[1]!.list('jobs', { namespace: NS });
    // Node 1 refuses it once the time has come...
    await eventually(
      'node 1 refusing the expired token',
      async () => {
        try {
          await perNode[0]!.list('jobs', { namespace: NS });
          return undefined;
        } catch (err) {
          return (err as JobctlError).reason === 'Unauthorized' ? true : undefined;
        }
      },
      30_000,
      200,
    );
    assert.ok(Date.now() >= expiresAt, 'refused only after expiresAt');
    // ...and so does every other node, at once.
    for (const [i, cl] of perNode.entries()) {
      await assert.rejects(cl.list('jobs', { namespace: NS }), (err: JobctlError) => {
        assert.equal(err.reason, 'Unauthorized', `node ${i + 1}`);
        assert.match(err.message, /expired at/);
        return true;
      });
    }
  });

  it('audit: every mutating request on the node that served it, rotated by size', async () => {
    const tag = randomBytes(3).toString('hex');
    // Denied on node 2 over REST, allowed on node 3 over gRPC.
    const denied = await rest('view', 2, {
      method: 'DELETE',
      path: `${P}/namespaces/${NS}/jobs/seed`,
    });
    assert.equal(denied.status, 403);
    await grpcClient('edit', 3).create(job(`audited-${tag}`));
    const lines = (id: number): Record<string, unknown>[] => {
      const d = c.member(id).dataDir;
      return readdirSync(d)
        .filter((f) => f.startsWith('audit.log'))
        .flatMap((f) => readFileSync(join(d, f), 'utf8').split('\n'))
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    await eventually(
      'the audit lines',
      () => {
        const two = lines(2).find(
          (l) => l.verb === 'delete' && l.user === 'ci-view' && l.protocol === 'rest',
        );
        const three = lines(3).find((l) => l.name === `audited-${tag}`);
        return two && three ? { two, three } : undefined;
      },
      10_000,
    ).then(({ two, three }) => {
      assert.equal(two.result, 'failure');
      assert.equal(two.reason, 'Forbidden');
      assert.equal(two.namespace, NS);
      assert.equal(two.via, 'token');
      assert.match(String(two.time), /^\d{4}-\d\d-\d\dT/);
      assert.deepEqual(
        [three.result, three.verb, three.resource, three.user, three.protocol],
        ['success', 'create', 'jobs', 'ci-edit', 'grpc'],
      );
    });
    // The request was audited only where it was served.
    assert.equal(lines(1).filter((l) => l.name === `audited-${tag}`).length, 0);
    // Unauthenticated writes are audited too (user '', reason Unauthorized).
    await rest('none', 1, { method: 'DELETE', path: `${P}/namespaces/${NS}/jobs/anon-${tag}` });
    await eventually('the anonymous line', () =>
      lines(1).find((l) => l.name === `anon-${tag}` && l.reason === 'Unauthorized'),
    );
    // Rotation: push node 1 past --audit-max-bytes; at most 2 old files, none over the limit.
    const edit = grpcClient('edit', 1);
    for (let k = 0; k < 60; k++) await edit.delete('jobs', NS, `rot-${tag}-${k}`).catch(() => {});
    const d = c.member(1).dataDir;
    const files = readdirSync(d)
      .filter((f) => f.startsWith('audit.log'))
      .sort();
    assert.deepEqual(files, ['audit.log', 'audit.log.1', 'audit.log.2']);
    for (const f of files) assert.ok(statSync(join(d, f)).size <= AUDIT_MAX_BYTES, f);
  });
});
