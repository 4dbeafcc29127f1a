import * as grpc from '@grpc/grpc-js';
import type { NodeId } from '../../../pkg/raft/types.js';
import { freePorts } from '../../../pkg/node/local-cluster.js';
import { GrpcTransport } from '../../../pkg/transport/grpc-raft.js';
import type { Transport } from '../../../pkg/transport/transport.js';
import { runTransportContract } from './contract.js';

async function serve(
  id: NodeId,
  peers: Map<NodeId, string>,
): Promise<{ t: GrpcTransport; server: grpc.Server }> {
  const t = new GrpcTransport({ id, peers, backoff: { initialMs: 20, maxMs: 200 } });
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
