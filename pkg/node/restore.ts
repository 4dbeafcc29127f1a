// `jobd restore --from FILE --data-dir DIR --id N --peers ID=HOST:PORT,...`:
// the data directory of one member of a NEW cluster, made from a backup file
// (`jobctl cluster snapshot save`). Every member of the new cluster is
// restored from the same file with the same --peers; then each starts as
// usual (`jobd --id N --data-dir DIR --listen ...`, no --peers needed).
//
// The new cluster's Raft log starts at the snapshot's index and term, with
// --peers as its voters; its cluster id differs from the old cluster's, so a
// member of the old cluster can never join it by mistake. A file that is
// corrupt or truncated, or a data directory that is not empty, is refused
// with one line before anything is written.
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import yargs from 'yargs';
import { decodeSnapshotFile, type SnapshotFileInfo } from '../client/index.js';
import type { NodeId } from '../raft/index.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
import { silentLogger } from '../util/logger.js';
import { clusterIdOf, saveClusterFile } from './cluster-file.js';
import { parsePeers } from './config.js';
import { openDiskStorage } from './deps.js';

export interface RestoreOptions {
  readonly from: string;
  readonly dataDir: string;
  readonly id: NodeId;
  readonly peers: ReadonlyMap<NodeId, string>;
}

export interface RestoreResult {
  readonly info: SnapshotFileInfo;
  readonly clusterId: string;
}

export async function restoreDataDir(o: RestoreOptions): Promise<RestoreResult> {
  if (!o.peers.has(o.id)) {
    throw new JobctlError(Reason.Invalid, `--peers must include this node (id ${o.id})`);
  }
  if (existsSync(o.dataDir) && readdirSync(o.dataDir).length > 0) {
    throw new JobctlError(
      Reason.Invalid,
      `--data-dir ${o.dataDir} is not empty; restore makes a new data directory (move it away or pick another)`,
    );
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(o.from);
  } catch (err) {
    throw new JobctlError(Reason.Invalid, `${o.from}: cannot read: ${errorMessage(err)}`);
  }
  const { info, data } = decodeSnapshotFile(bytes, o.from);
  const voters = [...o.peers.keys()].sort((a, b) => a - b);
  const contexts = Object.fromEntries(o.peers);
  // A new cluster: its id depends on the backup and the new members, never
  // equal to the old cluster's.
  const clusterId = clusterIdOf(o.peers, `restore:${info.clusterId}:${info.checksum}`);
  const storage = await openDiskStorage({ dir: o.dataDir, logger: silentLogger });
  try {
    await storage.save({
      snapshot: {
        metadata: {
          index: info.index,
          term: info.term,
          confState: { voters, learners: [], contexts },
        },
        data,
      },
      hardState: { term: info.term, vote: 0, commit: info.index },
      entries: [],
    });
  } finally {
    await storage.close();
  }
  await saveClusterFile(o.dataDir, { clusterId, voters, learners: [], members: contexts });
  return { info, clusterId };
}

/** Runs `jobd restore` with `argv` (after "restore"); returns the exit code. */
export async function runRestoreCommand(argv: readonly string[]): Promise<number> {
  let failed = false;
  const a = await yargs([...argv])
    .scriptName('jobd restore')
    .usage('$0 --from FILE --data-dir DIR --id N --peers ID=HOST:PORT,...')
    .option('from', {
      type: 'string',
      demandOption: true,
      describe: 'backup file (cluster snapshot save)',
    })
    .option('data-dir', {
      type: 'string',
      demandOption: true,
      describe: 'new, empty data directory',
    })
    .option('id', {
      type: 'number',
      demandOption: true,
      describe: 'this node id in the new cluster',
    })
    .option('peers', {
      type: 'string',
      demandOption: true,
      describe: 'every member of the new cluster: ID=HOST:PORT,... (this node included)',
    })
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      process.stderr.write(`jobd restore: ${msg ?? err?.message}\n`);
      failed = true;
    })
    .parseAsync();
  if (failed) return 2;
  try {
    if (!Number.isInteger(a.id) || a.id <= 0) {
      throw new JobctlError(Reason.Invalid, '--id must be a positive integer');
    }
    const dataDir = resolve(a.dataDir);
    const res = await restoreDataDir({
      from: resolve(a.from),
      dataDir,
      id: a.id,
      peers: parsePeers(a.peers),
    });
    process.stdout.write(
      `restored ${a.from} (index ${res.info.index}, term ${res.info.term}, taken ${res.info.createdAt}) into ${dataDir}: ` +
        `new cluster ${res.clusterId}; start it with jobd --id ${a.id} --data-dir ${dataDir} --listen HOST:PORT\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`jobd restore: ${errorMessage(err)}\n`);
    return 1;
  }
}
