// The shared Storage contract, run against DiskStorage.
import { DiskStorage } from '../../../../pkg/raft/storage/disk-storage.js';
import { runStorageContract } from './contract.js';
import { recordingLogger, tempDir } from './helpers.js';

runStorageContract('DiskStorage', async () => {
  const tmp = tempDir();
  const store = await DiskStorage.open({ dir: tmp.dir, logger: recordingLogger() });
  return {
    store,
    cleanup: async () => {
      await store.close();
      tmp.cleanup();
    },
  };
});
