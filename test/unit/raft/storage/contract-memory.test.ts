// The shared Storage contract, run against MemoryStorage (the reference implementation).
import { MemoryStorage } from '../../../../pkg/raft/storage/memory.js';
import { runStorageContract } from './contract.js';

runStorageContract('MemoryStorage', async () => ({
  store: new MemoryStorage(),
  cleanup: async () => {},
}));
