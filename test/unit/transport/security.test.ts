// Client connection security without TLS: a token set on GrpcClient or
// ApiClient travels as `authorization: Bearer <token>` on every call (unary,
// server streams), over plaintext; without a token no authorization is sent.
// Unreadable TLS files are one line naming the flag and the file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { GrpcClient } from '../../../pkg/transport/grpc-client.js';
import { API_VERSION } from '../../../pkg/store/index.js';
import { ApiClient } from '../../../pkg/transport/api-grpc.js';
import { channelCredentials } from '../../../pkg/transport/security.js';
import { startApiCluster, type ApiTestCluster } from '../api/harness.js';

/** What each call carried: "method authorization" ("-" when absent). */
const seen: string[] = [];
const recorder: grpc.ServerInterceptor = (method, call) =>
  new grpc.ServerInterceptingCall(call, {
    start(next) {
      next({
        onReceiveMetadata(md, nextMd) {
          const auth = md.get('authorization')[0];
          seen.push(`${method.path.split('/').pop()} ${typeof auth === 'string' ? auth : '-'}`);
          nextMd(md);
        },
      });
    },
  });

describe('client security: bearer token metadata', () => {
  let cluster: ApiTestCluster;
  before(async () => {
    cluster = await startApiCluster({ serverOptions: { interceptors: [recorder] } });
  });
  after(async () => {
    await cluster?.close();
  });

  it('GrpcClient sends the token on unary calls and on streams, over plaintext', async () => {
    seen.length = 0;
    const client = new GrpcClient({ servers: cluster.servers, security: { token: 's3cret' } });
    try {
      await client.apply({
        apiVersion: API_VERSION,
        kind: 'Job',
        metadata: { name: 'tok' },
        spec: { command: ['true'] },
      });
      await client.list('Job');
      const ac = new AbortController();
      for await (const e of client.watch('Job', { signal: ac.signal, resourceVersion: '0' })) {
        assert.equal(e.object.metadata.name, 'tok');
        ac.abort();
      }
      // Logs is a server stream too; this server has no log source (Unavailable), but the call was made.
      await assert.rejects(async () => {
        for await (const _ of client.logs({ namespace: 'default', run: 'nope' })) void _;
      });
    } finally {
      client.close();
    }
    assert.deepEqual([...new Set(seen)].sort(), [
      'Apply Bearer s3cret',
      'List Bearer s3cret',
      'Logs Bearer s3cret',
      'Watch Bearer s3cret',
    ]);
  });

  it('ApiClient sends the token; without one no authorization is sent', async () => {
    seen.length = 0;
    const withToken = new ApiClient(cluster.servers, { security: { token: 't1' } });
    const without = new ApiClient(cluster.servers);
    try {
      await withToken.nodeStatus();
      await without.clusterStatus();
    } finally {
      withToken.close();
      without.close();
    }
    assert.deepEqual(seen, ['NodeStatus Bearer t1', 'ClusterStatus -']);
  });
});

describe('client security: TLS files', () => {
  it('a missing file is one line naming the flag and the path', () => {
    assert.throws(
      () => channelCredentials({ ca: '/nonexistent/ca.pem' }),
      /--ca \/nonexistent\/ca\.pem: cannot read \(no such file\)$/,
    );
  });
  it('a file that is not PEM is refused by name', () => {
    assert.throws(
      () => channelCredentials({ ca: '/etc/hostname' }),
      /--ca \/etc\/hostname: not a PEM file/,
    );
  });
  it('--cert without --key is refused', () => {
    assert.throws(() => channelCredentials({ cert: '/x.pem' }), /--cert needs --key/);
  });
});
