// The gRPC API in process: real gRPC servers on 127.0.0.1:0 over an in-memory
// Raft cluster. Pagination, writes through a follower, watch resume across a
// server that goes away (nothing missed or repeated), Gone as OUT_OF_RANGE,
// unreachable servers, and junk on the port never taking the server down.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { GrpcClient, UnreachableError } from '../../../pkg/transport/grpc-client.js';
import {
  API_VERSION,
  encodeCommand,
  type ResourceInput,
  type WatchEvent,
} from '../../../pkg/store/index.js';
import { reasonMetadataKey } from '../../../pkg/transport/errors.js';
import { isReason, Reason } from '../../../pkg/util/errors.js';
import { iter, rejectsWith, take } from '../client/contract.js';
import { startApiCluster, type ApiTestCluster } from './harness.js';

const job = (name: string, labels: Record<string, string> = {}): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name, labels },
  spec: { command: ['true'] },
});

const brief = (events: readonly WatchEvent[]): string[] =>
  events.map((e) => `${e.type} ${e.object.metadata.name}`);

/** A raw unary call with a hand-made request payload (bytes in, status out). */
function rawCall(
  address: string,
  method: string,
  payload: Buffer,
): Promise<{ code: number; reason?: string; details: string }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/jobctl.api.v1.Jobctl/${method}`,
      (b: Buffer) => b,
      (b: Buffer) => b,
      payload,
      { deadline: Date.now() + 5000 },
      (err) => {
        client.close();
        const reason = err?.metadata?.get(reasonMetadataKey)[0];
        resolve({
          code: err?.code ?? grpc.status.OK,
          reason: typeof reason === 'string' ? reason : undefined,
          details: err?.details ?? '',
        });
      },
    );
  });
}

/** Protobuf for a message whose field 1 is `bytes` (ObjectRequest, ApplyRequest). */
function bytesField1(data: Buffer): Buffer {
  const len: number[] = [];
  let n = data.length;
  do {
    len.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
    n >>>= 7;
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x0a, ...len]), data]);
}

describe('gRPC API: one node', () => {
  let cluster: ApiTestCluster;
  let client: GrpcClient;
  before(async () => {
    cluster = await startApiCluster({ nodes: 1, storeOptions: { historySize: 20 } });
    client = new GrpcClient({ servers: cluster.servers, timeoutMs: 5000 });
  });
  after(async () => {
    client?.close();
    await cluster?.close();
  });

  it('lists in pages with continue tokens, filtered by labels', async () => {
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        client.create(job(`p-${String(i).padStart(2, '0')}`, { half: String(i % 2) })),
      ),
    );
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    let rv: string | undefined;
    do {
      const page = await client.list('jobs', { namespace: 'default', limit: 10, continue: cont });
      rv ??= page.resourceVersion;
      names.push(...page.items.map((o) => o.metadata.name));
      cont = page.continue;
      pages++;
    } while (cont);
    assert.equal(pages, 3);
    assert.deepEqual(
      names,
      Array.from({ length: 25 }, (_, i) => `p-${String(i).padStart(2, '0')}`),
    );
    const odd = await client.list('job', { labelSelector: 'half=1', consistency: 'stale' });
    assert.equal(odd.items.length, 12);
    await rejectsWith(client.list('job', { labelSelector: 'a in ()' }), 'Invalid');
  });

  it('carries validation errors, every line, with reason Invalid', async () => {
    await assert.rejects(
      client.create({
        apiVersion: API_VERSION,
        kind: 'Job',
        metadata: { name: 'x' },
        spec: { command: ['true'], completions: 0, parallelism: -1 },
      }),
      (err: unknown) => {
        assert.ok(isReason(err, Reason.Invalid));
        assert.equal((err as Error).message.split('\n').length, 2, (err as Error).message);
        return true;
      },
    );
  });

  it('ends a watch from a compacted revision with Gone (OUT_OF_RANGE on the wire)', async () => {
    for (let i = 0; i < 30; i++) await client.apply(job(`g-${i}`));
    const it = iter(client.watch('jobs', { resourceVersion: '1' }));
    await rejectsWith(it.next(), 'Gone', /too old|relist/);
    // The raw status code.
    const stub = new grpc.Client(cluster.servers, grpc.credentials.createInsecure());
    const code = await new Promise<number>((resolve) => {
      const call = stub.makeServerStreamRequest(
        '/jobctl.api.v1.Jobctl/Watch',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.concat([Buffer.from([0x0a, 3]), Buffer.from('job'), Buffer.from([0x2a, 1, 0x31])]),
      );
      call.on('data', () => {});
      call.on('error', (err: grpc.ServiceError) => resolve(err.code));
      call.on('end', () => resolve(grpc.status.OK));
    });
    stub.close();
    assert.equal(code, grpc.status.OUT_OF_RANGE);
  });

  it('answers malformed protobuf and non-JSON objects with an error status and keeps serving', async () => {
    const address = cluster.servers;
    // Not protobuf at all (a truncated varint length).
    const junk = await rawCall(address, 'Apply', Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff]));
    assert.notEqual(junk.code, grpc.status.OK);
    // Valid protobuf, but the object bytes are not JSON / not an object.
    const notJson = await rawCall(address, 'Create', bytesField1(Buffer.from('{"kind": ')));
    assert.equal(notJson.code, grpc.status.INVALID_ARGUMENT);
    assert.equal(notJson.reason, 'Invalid');
    const array = await rawCall(address, 'Update', bytesField1(Buffer.from('[1,2]')));
    assert.equal(array.reason, 'Invalid');
    const badUtf8 = await rawCall(address, 'Apply', bytesField1(Buffer.from([0xc3, 0x28])));
    assert.equal(badUtf8.reason, 'Invalid');
    // Random payloads to every method.
    const methods = ['Apply', 'Create', 'Update', 'UpdateStatus', 'Get', 'List', 'Delete'];
    for (let i = 0; i < 140; i++) {
      const method = methods[i % methods.length] as string;
      const res = await rawCall(address, method, randomBytes(1 + (i % 64)));
      assert.ok(res.code !== undefined);
    }
    // Still serving.
    assert.equal((await client.apply(job('after-junk'))).outcome, 'created');
  });

  it('survives garbage bytes on the raw TCP port', async () => {
    const [host, port] = cluster.servers.split(':') as [string, string];
    const send = (data: Buffer): Promise<void> =>
      new Promise((resolve) => {
        const sock = connect(Number(port), host, () => {
          sock.write(data);
          setImmediate(() => sock.end());
        });
        sock.on('error', () => resolve());
        sock.on('close', () => resolve());
        sock.resume();
      });
    await send(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await send(randomBytes(4096));
    // A valid HTTP/2 preface followed by junk frames.
    await send(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), randomBytes(2048)]));
    await Promise.all(Array.from({ length: 20 }, () => send(randomBytes(512))));
    const got = await client.get('job', 'default', 'after-junk');
    assert.equal(got.metadata.name, 'after-junk');
  });
});

describe('gRPC API: three nodes', () => {
  let cluster: ApiTestCluster;
  before(async () => {
    cluster = await startApiCluster({ nodes: 3 });
  });
  after(async () => {
    await cluster?.close();
  });

  it('accepts writes on a follower and reads them linearizably on any node', async () => {
    const follower = new GrpcClient({ servers: cluster.member(3).address });
    const leader = new GrpcClient({ servers: cluster.member(1).address });
    try {
      const created = await follower.create(job('via-follower'));
      const got = await leader.get('job', 'default', 'via-follower');
      assert.equal(got.metadata.uid, created.metadata.uid);
      const applied = await follower.apply(job('via-follower', { a: 'b' }));
      assert.equal(applied.outcome, 'configured');
      const again = await follower.get('job', 'default', 'via-follower');
      assert.deepEqual(again.metadata.labels, { a: 'b' });
    } finally {
      follower.close();
      leader.close();
    }
  });

  it('fails over unary calls to the next server and names every server when none answers', async () => {
    const c = new GrpcClient({ servers: `127.0.0.1:1,${cluster.member(2).address}` });
    try {
      assert.equal((await c.get('job', 'default', 'via-follower')).metadata.name, 'via-follower');
    } finally {
      c.close();
    }
    const dead = new GrpcClient({ servers: ['127.0.0.1:1', '127.0.0.1:2'] });
    try {
      await assert.rejects(dead.list('jobs'), (err: unknown) => {
        assert.ok(err instanceof UnreachableError);
        assert.equal(err.reason, Reason.Unavailable);
        assert.match(
          err.message,
          /^Unable to connect to the server at 127\.0\.0\.1:1,127\.0\.0\.1:2: connect ECONNREFUSED 127\.0\.0\.1:2$/,
        );
        return true;
      });
    } finally {
      dead.close();
    }
  });

  it('resumes a watch on the next server when its server goes away, without missing or repeating events', async () => {
    const writer = cluster.member(1).service;
    const start = await writer.list('jobs');
    // Watch through node 2 first; nodes 3 and 1 are the fallbacks.
    const c = new GrpcClient({
      servers: [cluster.member(2).address, cluster.member(3).address, cluster.member(1).address],
    });
    const it = iter(c.watch('jobs', { resourceVersion: start.resourceVersion }));
    const expected: string[] = [];
    try {
      for (let i = 0; i < 10; i++) {
        await writer.create(job(`w-${i}`));
        expected.push(`ADDED w-${i}`);
      }
      const seen = brief(await take(it, 10));
      // Three objects in one Raft entry: three events sharing one revision.
      const raft = cluster.raft.get(1).node;
      await raft.propose(
        encodeCommand({
          op: 'batch',
          commands: ['b-1', 'b-2', 'b-3'].map((name, i) => ({
            op: 'create' as const,
            now: new Date(0).toISOString(),
            uid: `batch-uid-${i}`,
            object: job(name),
          })),
        }),
      );
      expected.push('ADDED b-1', 'ADDED b-2', 'ADDED b-3');
      // Take one event of that revision, then take the server away.
      seen.push(...brief(await take(it, 1)));
      cluster.kill(2);
      for (let i = 10; i < 20; i++) {
        await writer.create(job(`w-${i}`));
        expected.push(`ADDED w-${i}`);
      }
      await writer.delete('job', 'default', 'w-0');
      expected.push('DELETED w-0');
      seen.push(...brief(await take(it, expected.length - seen.length)));
      assert.deepEqual(seen, expected);
      // And nothing extra is pending: the next event is the next write.
      await writer.create(job('last'));
      assert.deepEqual(brief(await take(it, 1)), ['ADDED last']);
    } finally {
      await it.return?.();
      c.close();
    }
  });
});
