// GrpcClient against a real gRPC server (single-node Raft over MemoryStorage)
// runs the same ResourceClient contract suite as the in-process client.
import { GrpcClient } from '../../../pkg/transport/grpc-client.js';
import type { ResourceClient } from '../../../pkg/client/types.js';
import { runClientContract } from '../client/contract.js';
import { startApiCluster } from './harness.js';

runClientContract({
  newClient: async (): Promise<ResourceClient> => {
    const cluster = await startApiCluster({ nodes: 1 });
    const client = new GrpcClient({ servers: cluster.servers, timeoutMs: 5000 });
    // The suite closes the client after each test: take the server down with it.
    const close = client.close.bind(client);
    client.close = () => {
      close();
      void cluster.close();
    };
    return client;
  },
});
