// <data-dir>/cluster.json: which cluster this data directory belongs to and
// the membership as of the last change this node applied (ids, voters or
// learners, addresses). Raft keeps the configuration itself (in its log and
// in every snapshot, addresses included); this file is what a restarting
// node starts from before it has replayed that log, so `--peers` matters only
// the first time a brand-new cluster boots, and a node that joined (`--join`)
// or was restored (`jobd restore`) needs neither flag again.
//
//   {"clusterId": "…", "voters": [1,2,3], "learners": [4],
//    "members": {"1": "10.0.0.1:50051", …}}
//
// Written to a temporary name, fsynced and renamed, so a crash leaves the old
// file or the new one.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeId } from '../raft/index.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';

export const CLUSTER_FILE = 'cluster.json';

export interface ClusterFile {
  readonly clusterId: string;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Each member's address, by id. */
  readonly members: Readonly<Record<string, string>>;
}

/** The file of `dataDir`, or undefined when there is none yet. */
export async function loadClusterFile(dataDir: string): Promise<ClusterFile | undefined> {
  const path = join(dataDir, CLUSTER_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const f = JSON.parse(await readFile(path, 'utf8')) as ClusterFile;
    if (typeof f.clusterId !== 'string' || !Array.isArray(f.voters)) throw new Error('fields');
    return { ...f, learners: f.learners ?? [], members: f.members ?? {} };
  } catch (err) {
    throw new JobctlError(Reason.Invalid, `${path} is damaged: ${errorMessage(err)}`);
  }
}

export async function saveClusterFile(dataDir: string, f: ClusterFile): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  const path = join(dataDir, CLUSTER_FILE);
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${JSON.stringify(f)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

/**
 * The id of a cluster bootstrapped from `--peers`: the same on every node
 * given the same member ids. Only the ids count, not the addresses: a node
 * may dial its peers through addresses of its own (a proxy, a NAT). `salt`
 * tells a cluster restored from a backup from the cluster it was taken from.
 */
export function clusterIdOf(members: ReadonlyMap<NodeId, string>, salt = ''): string {
  const ids = [...members.keys()].sort((a, b) => a - b).join(',');
  return createHash('sha256').update(`${salt}|${ids}`).digest('hex').slice(0, 16);
}
