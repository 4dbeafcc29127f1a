// --auth together with TLS on a real 3-node cluster (fake runtime): a client
// certificate's CN is the user and its O entries the groups, over gRPC and
// HTTPS alike; RoleBindings on a group apply to certificate users; the admin
// certificate (O=system:masters) is a cluster admin; node-to-node calls work
// with the node certificates (O=system:nodes) as their identity.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { API_VERSION, type ResourceInput } from '../../pkg/store/index.js';
import type { JobctlError } from '../../pkg/util/errors.js';
import { E2ECluster, eventually } from '../support/cluster.js';

const NS = 'team';

const job = (name: string, ns = NS): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name, namespace: ns },
  spec: { image: 'busybox:latest', command: ['echo', name] },
});

describe('auth with TLS: certificate identities', { timeout: 300_000 }, () => {
  let c: E2ECluster;
  const clients: GrpcClient[] = [];

  /** A gRPC client presenting `user`'s certificate. */
  const as = (user: string, nodeId = 1): GrpcClient => {
    const cl = new GrpcClient({
      servers: [c.member(nodeId).address],
      security: c.security(user),
      timeoutMs: 20_000,
    });
    clients.push(cl);
    return cl;
  };

  /** `jobctl auth whoami -o json` presenting `user`'s certificate (no other credentials). */
  const whoamiAs = (user: string) => {
    const sec = c.security(user);
    return c.cliRetry(
      ['auth', 'whoami', '-o', 'json'].concat([
        '--ca',
        sec?.ca ?? '',
        '--cert',
        sec?.cert ?? '',
        '--key',
        sec?.key ?? '',
      ]),
      { noTlsFlags: true },
    );
  };

  /** An HTTPS request presenting `user`'s certificate. */
  const https = (
    user: string,
    nodeId: number,
    method: string,
    path: string,
  ): Promise<{ status: number; body: string }> => {
    const sec = c.security(user);
    if (!sec?.ca || !sec.cert || !sec.key) throw new Error('no TLS material');
    const [host, port] = (c.member(nodeId).http as string).split(':');
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host,
          port: Number(port),
          method,
          path,
          ca: readFileSync(sec.ca as string),
          cert: readFileSync(sec.cert as string),
          key: readFileSync(sec.key as string),
          servername: 'localhost',
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  };

  before(async () => {
    c = await E2ECluster.start({
      runtime: 'fake',
      tls: { users: [{ name: 'alice', groups: ['devs', 'qa'] }] },
      http: true,
      extraArgs: ['--auth'],
    });
  });

  after(async () => {
    for (const cl of clients) cl.close();
    await c?.stop();
  });

  it('CN is the user and O the groups; admins by O=system:masters', async () => {
    // No certificate and no token: 401.
    const anon = await c.cliRetry(['auth', 'whoami', '--ca', c.security()?.ca ?? ''], {
      noTlsFlags: true,
    });
    assert.equal(anon.code, 1);
    assert.match(anon.stderr, /^Error from server \(Unauthorized\)/);
    const who = await whoamiAs('alice');
    assert.equal(who.code, 0, who.stderr);
    assert.deepEqual(JSON.parse(who.stdout), {
      user: 'alice',
      groups: ['devs', 'qa'],
      via: 'certificate',
    });
    const admin = await c.cliOk(['auth', 'whoami', '-o', 'json']);
    assert.deepEqual(JSON.parse(admin), {
      user: 'admin',
      groups: ['system:masters'],
      via: 'certificate',
    });
  });

  it('a RoleBinding on a certificate group applies, over gRPC and HTTPS', async () => {
    const alice = as('alice', 2);
    await assert.rejects(alice.create(job('a1')), (err: JobctlError) => {
      assert.equal(err.reason, 'Forbidden');
      assert.match(err.message, /^user "alice" cannot create jobs in namespace "team"/);
      return true;
    });
    const denied = await https('alice', 3, 'GET', `/apis/jobctl.dev/v1/namespaces/${NS}/jobs`);
    assert.equal(denied.status, 403, denied.body);

    await c.client().create({
      apiVersion: API_VERSION,
      kind: 'RoleBinding',
      metadata: { name: 'devs-edit', namespace: NS },
      spec: { role: 'edit', subjects: [{ kind: 'Group', name: 'devs' }] },
    });
    // Bindings are read from each node's store: wait until node 2 has applied it.
    await eventually(
      'alice allowed on node 2',
      async () => (await alice.create(job('a1')).then(() => true)) || undefined,
      30_000,
      200,
    );
    const ok = await https('alice', 3, 'GET', `/apis/jobctl.dev/v1/namespaces/${NS}/jobs/a1`);
    assert.equal(ok.status, 200, ok.body);
    await assert.rejects(
      alice.delete('jobs', 'default', 'a1'),
      /user "alice" cannot delete jobs in namespace "default"/,
    );
    const nodes = await https('alice', 1, 'GET', '/apis/jobctl.dev/v1/nodes');
    assert.equal(nodes.status, 403);
  });

  it('node-to-node calls work with auth on: every node healthy in cluster status', async () => {
    const status = await c.client().clusterStatus();
    assert.deepEqual(
      status.nodes.map((n) => n.health),
      ['healthy', 'healthy', 'healthy'],
      JSON.stringify(status.nodes),
    );
    // A node certificate (O=system:nodes) is a node identity.
    const who = await whoamiAs('node-2');
    assert.equal(who.code, 0, who.stderr);
    assert.deepEqual(JSON.parse(who.stdout), {
      user: 'node-2',
      groups: ['system:nodes'],
      via: 'node',
    });
  });
});
