// ReadFirstClient (the client of a plain `jobctl get`): Get and List over
// HTTP/2 on a plain socket give what GrpcClient gives, without asking for
// GrpcClient; anything that is not a clean answer (an error status, an
// unreachable first server, unreadable TLS files) is asked again through
// GrpcClient, so the error is GrpcClient's own. The read messages of
// gen/api.reads.ts encode exactly as gen/api.ts's do.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type { ResourceClient } from '../../../pkg/client/index.js';
import { API_VERSION } from '../../../pkg/store/index.js';
import * as full from '../../../pkg/transport/gen/api.js';
import type * as reads from '../../../pkg/transport/gen/api.reads.js';
import { GrpcClient } from '../../../pkg/transport/grpc-client.js';
import { ReadFirstClient, readMethods } from '../../../pkg/transport/read-first-client.js';
import { startApiCluster, type ApiTestCluster } from '../api/harness.js';

/** Each call the server saw: "Method user-agent authorization". */
const seen: string[] = [];
const recorder: grpc.ServerInterceptor = (method, call) =>
  new grpc.ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(md, nextMd) {
          const agent = String(md.get('user-agent')[0] ?? '-').split('/')[0];
          const auth = String(md.get('authorization')[0] ?? '-');
          seen.push(`${method.path.split('/').pop()} ${agent} ${auth}`);
          nextMd(md);
        },
      });
    },
  });

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

describe('ReadFirstClient', () => {
  let cluster: ApiTestCluster;
  let grpcClient: GrpcClient;
  const fulls: number[] = [];
  const readFirst = (servers: string, token?: string): ReadFirstClient =>
    new ReadFirstClient(
      { servers: [servers], security: token ? { token } : undefined },
      async (): Promise<ResourceClient> => {
        fulls.push(1);
        return new GrpcClient({ servers, security: token ? { token } : undefined });
      },
    );

  before(async () => {
    cluster = await startApiCluster({ serverOptions: { interceptors: [recorder] } });
    grpcClient = new GrpcClient({ servers: cluster.servers });
    for (const name of ['a', 'b']) {
      await grpcClient.apply({
        apiVersion: API_VERSION,
        kind: 'Job',
        metadata: { name, labels: { app: name } },
        spec: { command: ['true'] },
      });
    }
  });
  after(async () => {
    grpcClient?.close();
    await cluster?.close();
  });

  it('names the same methods and encodes the same bytes as the generated grpc-js service', () => {
    assert.equal(readMethods.get.path, full.JobctlService.get.path);
    assert.equal(readMethods.list.path, full.JobctlService.list.path);
    const list: reads.ListRequest = {
      kind: 'Job',
      namespace: 'ns',
      labelSelector: 'a=b',
      fieldSelector: 'status.phase=Running',
      limit: 7,
      continue: 'c',
      consistency: 'stale',
    };
    assert.deepEqual(
      Buffer.from(readMethods.list.encode(list)),
      full.JobctlService.list.requestSerialize(list),
    );
    const get: reads.GetRequest = { kind: 'Job', namespace: 'ns', name: 'x', consistency: 'stale' };
    assert.deepEqual(
      Buffer.from(readMethods.get.encode(get)),
      full.JobctlService.get.requestSerialize(get),
    );
    const res: full.ListResponse = {
      items: [Buffer.from('{"a":1}')],
      resourceVersion: '9',
      continue: 'n',
    };
    const bytes = full.ListResponse.encode(res).finish();
    assert.deepEqual(readMethods.list.decode(bytes), full.ListResponse.decode(bytes));
  });

  it('lists and gets what GrpcClient does, without grpc-js, sending the token', async () => {
    seen.length = 0;
    fulls.length = 0;
    const c = readFirst(cluster.servers, 't0k');
    try {
      const mine = await c.list('Job', { labelSelector: 'app=b' });
      const theirs = await grpcClient.list('Job', { labelSelector: 'app=b' });
      assert.deepEqual(mine, theirs);
      assert.deepEqual(
        mine.items.map((j) => j.metadata.name),
        ['b'],
      );
      assert.deepEqual(
        await c.get('jobs', 'default', 'a'),
        await grpcClient.get('jobs', 'default', 'a'),
      );
    } finally {
      c.close();
    }
    assert.deepEqual(fulls, [], 'GrpcClient was never needed');
    // The fast reads send no user-agent; grpc-js says grpc-node-js.
    assert.deepEqual(seen, [
      'List - Bearer t0k',
      'List grpc-node-js -',
      'Get - Bearer t0k',
      'Get grpc-node-js -',
    ]);
  });

  it('reads answers larger than the HTTP/2 windows and frames, several calls on one connection', async () => {
    // 40 Jobs of ~4 KB each: one List answer of ~170 KB, past the default
    // 64 KB windows and many 16 KB frames.
    const names = Array.from({ length: 40 }, (_, i) => `big-${i}`);
    for (const name of names) {
      await grpcClient.apply({
        apiVersion: API_VERSION,
        kind: 'Job',
        metadata: { name, labels: { size: 'big' }, annotations: { note: name.repeat(700) } },
        spec: { command: ['true'] },
      });
    }
    fulls.length = 0;
    const c = readFirst(cluster.servers);
    try {
      const [mine, one, again] = await Promise.all([
        c.list('Job', { labelSelector: 'size=big' }),
        c.get('Job', 'default', 'big-7'),
        c.list('Job', { labelSelector: 'size=big', limit: 5 }),
      ]);
      assert.deepEqual(mine, await grpcClient.list('Job', { labelSelector: 'size=big' }));
      assert.ok(JSON.stringify(mine).length > 150_000);
      assert.deepEqual(one, await grpcClient.get('Job', 'default', 'big-7'));
      assert.equal(again.items.length, 5);
      assert.ok(again.continue);
      // And after those, on the same connection, one more.
      assert.deepEqual((await c.get('Job', 'default', 'a')).metadata.name, 'a');
    } finally {
      c.close();
      for (const name of names) await grpcClient.delete('Job', 'default', name);
    }
    assert.deepEqual(fulls, [], 'GrpcClient was never needed');
  });

  it("asks again through GrpcClient when the server answers with an error: GrpcClient's error", async () => {
    fulls.length = 0;
    const c = readFirst(cluster.servers);
    try {
      const theirs = await grpcClient.get('Job', 'default', 'nope').catch((e: unknown) => e);
      const mine = await c.get('Job', 'default', 'nope').catch((e: unknown) => e);
      assert.ok(mine instanceof Error);
      assert.deepEqual(
        { name: mine.name, message: mine.message, reason: (mine as { reason?: string }).reason },
        {
          name: (theirs as Error).name,
          message: (theirs as Error).message,
          reason: (theirs as { reason?: string }).reason,
        },
      );
      assert.equal((mine as { reason?: string }).reason, 'NotFound');
    } finally {
      c.close();
    }
    assert.deepEqual(fulls, [1]);
  });

  it('goes to GrpcClient (which tries the next server) when the first server is unreachable', async () => {
    fulls.length = 0;
    const c = readFirst(`127.0.0.1:${await closedPort()},${cluster.servers}`);
    try {
      const got = await c.list('Job');
      assert.deepEqual(got.items.map((j) => j.metadata.name).sort(), ['a', 'b']);
    } finally {
      c.close();
    }
    assert.deepEqual(fulls, [1]);
  });

  it('hands a read to GrpcClient when the first server accepts but never answers', async () => {
    const silent = createServer((socket) => socket.resume()); // reads, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    const asked: string[] = [];
    const c = new ReadFirstClient(
      { servers: [`127.0.0.1:${port}`], timeoutMs: 300 },
      async () =>
        ({
          list: async (kind: string) => (asked.push(kind), { items: [], resourceVersion: '7' }),
          close: () => asked.push('closed'),
        }) as unknown as ResourceClient,
    );
    try {
      assert.deepEqual(await c.list('Job'), { items: [], resourceVersion: '7' });
      assert.deepEqual(asked, ['Job']);
    } finally {
      c.close();
      await new Promise((r) => silent.close(r)); // resolves only once the client let go
    }
    assert.deepEqual(asked, ['Job', 'closed']);
  });

  it('leaves unreadable TLS files to GrpcClient, which names them', async () => {
    const c = new ReadFirstClient(
      { servers: [cluster.servers], security: { ca: '/nonexistent/ca.pem' } },
      async () =>
        new GrpcClient({ servers: cluster.servers, security: { ca: '/nonexistent/ca.pem' } }),
    );
    try {
      await assert.rejects(
        c.list('Job'),
        /--ca \/nonexistent\/ca\.pem: cannot read \(no such file\)$/,
      );
    } finally {
      c.close();
    }
  });
});
