// The service stack (pkg/api/stack.ts): authenticate → observe → authorize →
// admit → store, the same chain for gRPC and REST, with the cluster and logs
// services riding through it beside the resources. Real layers throughout
// (AuthService, ObservedClient, ApiService, LocalClient); only the bottom
// cluster and logs services are stubs that record what reached them.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { buildServiceStack, type ServiceStack } from '../../../pkg/api/stack.js';
import type { ApiObserver } from '../../../pkg/api/observer.js';
import { AuthService, grpcCredentials, hashSecret } from '../../../pkg/auth/index.js';
import { GrpcClient } from '../../../pkg/transport/grpc-client.js';
import { newTestClient, partialClusterAdmin } from '../../../pkg/client/testing.js';
import type { ClusterAdminClient, LogsClient, LogsOptions } from '../../../pkg/client/types.js';
import { serveHttp, type HttpServer } from '../../../pkg/node/http.js';
import { silentNodeLogger } from '../../../pkg/node/logger.js';
import { API_VERSION, type ResourceStore } from '../../../pkg/store/index.js';
import { registerApi } from '../../../pkg/transport/api-grpc.js';
import { JobctlError } from '../../../pkg/util/errors.js';
import { job, rejectsWith } from '../client/contract.js';

const BOOT = 'boot.bootsecret';
const ALICE = 'alice.alicesecret';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

interface Rig {
  readonly stack: ServiceStack<AuthService>;
  readonly store: ResourceStore;
  /** Every observed request: "transport verb resource code". */
  readonly observed: string[];
  /** What reached the bottom cluster and logs services. */
  readonly bottom: string[];
  readonly logsSeen: LogsOptions[];
  close(): Promise<void>;
}

async function rig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-stack-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${BOOT}\n`);
  const t = newTestClient();
  // A stored Token for user alice, who has no role anywhere.
  await t.client.create({
    apiVersion: API_VERSION,
    kind: 'Token',
    metadata: { name: 'alice' },
    spec: { user: 'alice', secretHash: hashSecret('alicesecret') },
  });
  const observed: string[] = [];
  const observer: ApiObserver = {
    begin: (transport, verb, resource) => (code) =>
      observed.push(`${transport} ${verb} ${resource} ${code}`),
    watchOpened: () => () => {},
  };
  const bottom: string[] = [];
  const logsSeen: LogsOptions[] = [];
  const cluster: ClusterAdminClient = partialClusterAdmin({
    clusterStatus: async () => {
      bottom.push('clusterStatus');
      return { nodes: [], leader: 1, responder: 1 };
    },
    transferLeader: async (to) => {
      bottom.push(`transferLeader ${to}`);
      return { from: 1, to: to ?? 2, term: 3 };
    },
  });
  const logs: LogsClient = {
    saveCopy: () => Promise.reject(new Error('not used')),
    async *logs(opts) {
      bottom.push('logs');
      logsSeen.push(opts);
      yield new TextEncoder().encode('hello\n');
    },
  };
  const stack = buildServiceStack({
    store: { resources: t.client, cluster, logs },
    admission: { defaultImage: 'img:default' },
    observer,
    auth: (admitted) =>
      new AuthService({
        enabled: true,
        api: admitted.resources,
        store: t.store,
        nodeName: 'node-1',
        bootstrapTokenFile: tokenFile,
        logger: silentNodeLogger,
      }),
  });
  return {
    stack,
    store: t.store,
    observed,
    bottom,
    logsSeen,
    async close() {
      await stack.auth?.close();
      t.client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const jobs = (store: ResourceStore): string[] =>
  store.list('Job', {}).items.map((o) => o.metadata.name);

describe('service stack: layer order', () => {
  let r: Rig;
  before(async () => (r = await rig()));
  after(() => r.close());

  it('counts refusals by authentication and authorization in the API metrics', async () => {
    r.observed.length = 0;
    const alice = await r.stack.forRequest('grpc', bearer(ALICE));
    await rejectsWith(alice.resources.list('jobs', { namespace: 'default' }), 'Forbidden');
    await rejectsWith(alice.cluster.clusterStatus(), 'Forbidden');
    // A watch is refused when asked for, before any event.
    assert.throws(
      () => alice.resources.watch('jobs', { namespace: 'default' }),
      (err: unknown) => err instanceof JobctlError && err.reason === 'Forbidden',
    );
    const nobody = await r.stack.forRequest('rest', {});
    await rejectsWith(nobody.resources.get('jobs', 'default', 'x'), 'Unauthorized');
    await rejectsWith(nobody.cluster.transferLeader(2), 'Unauthorized');
    assert.deepEqual(r.observed, [
      'grpc list jobs Forbidden',
      'grpc clusterStatus cluster Forbidden',
      'grpc watch jobs Forbidden',
      'rest get jobs Unauthorized',
      'rest transferLeader cluster Unauthorized',
    ]);
    assert.deepEqual(r.bottom, [], 'nothing refused reached the bottom services');
  });

  it('authorizes before admission, and admits before the store', async () => {
    r.observed.length = 0;
    const alice = await r.stack.forRequest('grpc', bearer(ALICE));
    const admin = await r.stack.forRequest('grpc', bearer(BOOT));
    // Alice's invalid Job is refused by authorization, not by validation.
    await rejectsWith(alice.resources.create(job('bad', { completions: -1 })), 'Forbidden');
    // The admin's invalid Job gets past authorization and stops at admission.
    await rejectsWith(admin.resources.create(job('bad', { completions: -1 })), 'Invalid');
    assert.deepEqual(jobs(r.store), []);
    const made = await admin.resources.create(job('good', { image: '' }));
    assert.equal((made.spec as { image?: string }).image, 'img:default', 'admission ran');
    assert.deepEqual(jobs(r.store), ['good']);
    assert.deepEqual(r.observed, [
      'grpc create job Forbidden',
      'grpc create job Invalid',
      'grpc create job OK',
    ]);
  });

  it('forwards logs and cluster administration through the same chain', async () => {
    r.bottom.length = 0;
    r.logsSeen.length = 0;
    const alice = await r.stack.forRequest('rest', bearer(ALICE));
    assert.throws(
      () => alice.logs.logs({ namespace: 'default', run: 'r-0' }),
      (err: unknown) => err instanceof JobctlError && err.reason === 'Forbidden',
    );
    const admin = await r.stack.forRequest('rest', bearer(BOOT));
    const chunks: string[] = [];
    for await (const c of admin.logs.logs({ namespace: 'ns1', run: 'r-0', tail: 3 })) {
      chunks.push(new TextDecoder().decode(c));
    }
    assert.deepEqual(chunks, ['hello\n']);
    assert.equal(r.logsSeen[0]?.namespace, 'ns1');
    assert.equal(r.logsSeen[0]?.tail, 3);
    assert.deepEqual((await admin.cluster.transferLeader(3)).to, 3);
    assert.deepEqual(r.bottom, ['logs', 'transferLeader 3']);
  });

  it('leaves the per-request layers out without auth, still observing', async () => {
    const t = newTestClient();
    const observed: string[] = [];
    const unused = (): never => {
      throw new Error('unused');
    };
    const stack = buildServiceStack({
      store: {
        resources: t.client,
        cluster: partialClusterAdmin(),
        logs: { logs: unused, saveCopy: unused },
      },
      admission: {},
      observer: {
        begin: (tr, verb, res) => (code) => observed.push(`${tr} ${verb} ${res} ${code}`),
        watchOpened: () => () => {},
      },
    });
    assert.equal(stack.auth, undefined);
    const s = await stack.forRequest('rest', {});
    await s.resources.create(job('a'));
    await rejectsWith(s.resources.create(job('b', { completions: -1 })), 'Invalid');
    assert.deepEqual(observed, ['rest create job OK', 'rest create job Invalid']);
    t.client.close();
  });
});

describe('service stack: every entry point gets the same chain', () => {
  let r: Rig;
  let server: grpc.Server;
  let http: HttpServer;
  let grpcAddress: string;
  const grpcClient = (token?: string): GrpcClient =>
    new GrpcClient({
      servers: grpcAddress,
      timeoutMs: 5000,
      ...(token ? { security: { token } } : {}),
    });
  const rest = (path: string, token?: string): Promise<Response> =>
    fetch(`http://${http.address}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  before(async () => {
    r = await rig();
    server = new grpc.Server();
    registerApi(server, { services: (call) => r.stack.forRequest('grpc', grpcCredentials(call)) });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    grpcAddress = `127.0.0.1:${port}`;
    http = await serveHttp({
      address: '127.0.0.1:0',
      stack: r.stack,
      isReady: () => true,
      metrics: () => '',
      nodeInfo: () => ({}),
      logger: silentNodeLogger,
    });
  });
  after(async () => {
    await http.close();
    server.forceShutdown();
    await r.close();
  });

  it('refuses, counts and serves alike over gRPC and REST', async () => {
    r.observed.length = 0;
    const alice = grpcClient(ALICE);
    try {
      await rejectsWith(alice.list('jobs', { namespace: 'default' }), 'Forbidden');
      await rejectsWith(alice.clusterStatus(), 'Forbidden');
    } finally {
      alice.close();
    }
    assert.equal((await rest('/apis/jobctl.dev/v1/namespaces/default/jobs', ALICE)).status, 403);
    assert.equal((await rest('/api/cluster/status', ALICE)).status, 403);
    assert.equal((await rest('/api/cluster/status')).status, 401);
    const watch = await rest('/apis/jobctl.dev/v1/namespaces/default/jobs?watch=true');
    assert.equal(watch.status, 401, 'a refused watch is a Status, not an empty stream');
    assert.deepEqual(r.observed, [
      'grpc list jobs Forbidden',
      'grpc clusterStatus cluster Forbidden',
      'rest list job Forbidden', // REST names the kind, gRPC clients the plural
      'rest clusterStatus cluster Forbidden',
      'rest clusterStatus cluster Unauthorized',
      'rest watch job Unauthorized',
    ]);
  });

  it('serves logs through the stack from both adapters', async () => {
    r.bottom.length = 0;
    r.logsSeen.length = 0;
    const admin = grpcClient(BOOT);
    const nobody = grpcClient();
    try {
      const chunks: string[] = [];
      for await (const c of admin.logs({ namespace: 'ns1', job: 'j' })) {
        chunks.push(new TextDecoder().decode(c));
      }
      assert.deepEqual(chunks, ['hello\n']);
      await rejectsWith(
        (async () => {
          for await (const _ of nobody.logs({ namespace: 'ns1', job: 'j' })) void _;
        })(),
        'Unauthorized',
      );
    } finally {
      admin.close();
      nobody.close();
    }
    const viaRest = await rest('/apis/jobctl.dev/v1/namespaces/ns1/runs/r-0/log?tailLines=2', BOOT);
    assert.equal(await viaRest.text(), 'hello\n');
    assert.equal(
      (await rest('/apis/jobctl.dev/v1/namespaces/ns1/runs/r-0/log', ALICE)).status,
      403,
    );
    assert.deepEqual(r.bottom, ['logs', 'logs']);
    assert.deepEqual(
      r.logsSeen.map((o) => [o.namespace, o.job ?? o.run, o.tail]),
      [
        ['ns1', 'j', undefined],
        ['ns1', 'r-0', 2],
      ],
    );
  });
});
