import type { NodeId } from '../../../pkg/raft/types.js';
import { MemoryNetwork } from '../../../pkg/transport/memory.js';
import type { Transport } from '../../../pkg/transport/transport.js';
import { runTransportContract } from './contract.js';

runTransportContract('memory', async (n) => {
  const net = new MemoryNetwork();
  const transports = new Map<NodeId, Transport>();
  for (let id = 1; id <= n; id++) transports.set(id, net.transport(id));
  return {
    transports,
    async crash(id) {
      await transports.get(id)?.close();
      return async () => {
        const t = net.transport(id);
        transports.set(id, t);
        return t;
      };
    },
    async close() {
      for (const t of transports.values()) await t.close();
    },
  };
});
