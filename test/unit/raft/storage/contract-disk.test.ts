// The shared Storage contract, run against DiskStorage: as configured by
// default, and with no entry data held in memory (every written entry is
// read back from the WAL).
import { DiskStorage } from '../../../../pkg/raft/storage/disk-storage.js';
import { runStorageContract } from './contract.js';
import { recordingLogger, tempDir } from './helpers.js';

for (const [name, logMemoryBytes] of [
  ['DiskStorage', undefined],
  ['DiskStorage, log read back from the WAL', 0],
] as const) {
  runStorageContract(name, async () => {
    const tmp = tempDir();
    const store = await DiskStorage.open({
      dir: tmp.dir,
      logger: recordingLogger(),
      ...(logMemoryBytes === undefined ? {} : { logMemoryBytes }),
    });
    return {
      store,
      cleanup: async () => {
        await store.close();
        tmp.cleanup();
      },
    };
  });
}
