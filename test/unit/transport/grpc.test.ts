import * as grpc from '@grpc/grpc-js';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '../../../pkg/raft/types.js';
import type { NodeId } from '../../../pkg/raft/types.js';
import { freePorts } from '../../../pkg/node/local-cluster.js';
import { GrpcTransport, type GrpcTransportOptions } from '../../../pkg/transport/grpc-raft.js';
import { RaftClient } from '../../../pkg/transport/gen/raft.js';
import type { Transport } from '../../../pkg/transport/transport.js';
import { runTransportContract } from './contract.js';

async function serve(
  id: NodeId,
  peers: Map<NodeId, string>,
  more: Partial<GrpcTransportOptions> = {},
): Promise<{ t: GrpcTransport; server: grpc.Server }> {
  const t = new GrpcTransport({ id, peers, backoff: { initialMs: 20, maxMs: 200 }, ...more });
  const server = new grpc.Server();
  t.register(server);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(peers.get(id) as string, grpc.ServerCredentials.createInsecure(), (err) =>
      err ? reject(err) : resolve(),
    ),
  );
  return { t, server };
}

runTransportContract('grpc', async (n) => {
  const ports = await freePorts(n);
  const peers = new Map<NodeId, string>(ports.map((p, i) => [i + 1, `127.0.0.1:${p}`]));
  const nodes = new Map<NodeId, { t: GrpcTransport; server: grpc.Server }>();
  for (const id of peers.keys()) nodes.set(id, await serve(id, peers));
  const transports = new Map<NodeId, Transport>([...nodes].map(([id, x]) => [id, x.t]));
  const stopNode = async (id: NodeId): Promise<void> => {
    const x = nodes.get(id);
    if (!x) return;
    await x.t.close();
    x.server.forceShutdown();
    nodes.delete(id);
  };
  return {
    transports,
    async crash(id) {
      await stopNode(id);
      return async () => {
        const x = await serve(id, peers);
        nodes.set(id, x);
        transports.set(id, x.t);
        return x.t;
      };
    },
    async close() {
      for (const id of [...nodes.keys()]) await stopNode(id);
    },
  };
});

describe('grpc transport: who may send', () => {
  const heartbeat = (from: NodeId, to: NodeId): Message => ({
    type: 'heartbeat',
    from,
    to,
    term: 1,
    commit: 0,
    context: '',
  });

  /** Node 1 sends to node 2 until `done` holds or a few seconds pass; returns what 2 received. */
  async function exchange(
    a: Partial<GrpcTransportOptions>,
    b: Partial<GrpcTransportOptions>,
    done: () => boolean,
  ): Promise<Message[]> {
    const ports = await freePorts(2);
    const peers = new Map<NodeId, string>(ports.map((p, i) => [i + 1, `127.0.0.1:${p}`]));
    const n1 = await serve(1, peers, a);
    const n2 = await serve(2, peers, b);
    const got: Message[] = [];
    n2.t.onMessage((m) => got.push(m));
    try {
      for (let i = 0; i < 100 && !done() && got.length === 0; i++) {
        n1.t.send([heartbeat(1, 2)]);
        await new Promise((r) => setTimeout(r, 30));
      }
      return got;
    } finally {
      for (const n of [n1, n2]) {
        await n.t.close();
        n.server.forceShutdown();
      }
    }
  }

  it('delivers within one cluster id', async () => {
    const got = await exchange({ clusterId: 'c1' }, { clusterId: 'c1' }, () => false);
    assert.equal(got.length > 0, true);
  });

  it('refuses a stream from another cluster id', async () => {
    // About 3 s of attempts (each stream refused, then retried): nothing gets through.
    const got = await exchange({ clusterId: 'old' }, { clusterId: 'new' }, () => false);
    assert.deepEqual(got, []);
  });

  it('refuses a removed member, which learns it was removed', async () => {
    const removedBy: NodeId[] = [];
    const got = await exchange(
      { onRemoved: (by) => removedBy.push(by) },
      { isRemoved: (id) => id === 1 },
      () => removedBy.length > 0,
    );
    assert.deepEqual(got, []);
    assert.deepEqual(removedBy.slice(0, 1), [2]);
  });
});

describe('grpc transport: the receiving side', () => {
  it('answers a stream with headers at once, so the sender keeps no retry buffer', async () => {
    const [port] = await freePorts(1);
    const address = `127.0.0.1:${port}`;
    const node = await serve(1, new Map<NodeId, string>([[1, address]]));
    const client = new RaftClient(address, grpc.credentials.createInsecure());
    const call = client.send(() => {});
    call.on('error', () => {});
    try {
      // grpc-js commits a client call (and frees its buffered messages) on the
      // server's first headers; a Raft stream must get them while it is open.
      const headers = await new Promise<grpc.Metadata>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no headers within 10 s')), 10_000);
        call.on('metadata', (md: grpc.Metadata) => {
          clearTimeout(timer);
          resolve(md);
        });
      });
      assert.ok(headers instanceof grpc.Metadata);
    } finally {
      call.cancel();
      client.close();
      await node.t.close();
      node.server.forceShutdown();
    }
  });
});
