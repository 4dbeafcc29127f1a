// `jobctl cluster snapshot save FILE`: a consistent backup of the whole
// cluster, streamed from the leader into FILE (written to FILE.part, checked
// end to end, then renamed, so FILE is never a partial backup).
// `jobctl cluster snapshot status FILE`: what a backup file holds (index,
// term, membership, checksum), read locally; a corrupt or truncated file is
// one line naming it, exit 1. Restore with `jobd restore` (docs/operations.md).
import type { SnapshotFileInfo } from '../../client/index.js';
import { defineVerb, type VerbGroup } from '../command.js';
import { parseOutputFormat } from '../printers/printer.js';
import { JobctlError } from '../../util/errors.js';
import { clientOf, type VerbDeps } from './deps.js';
import { needClusterAdmin } from './services.js';

export interface SnapshotSaveOptions {
  readonly servers: readonly string[];
  readonly file: string;
}

export interface SnapshotStatusOptions {
  readonly file: string;
  readonly output?: string;
}

/** A local file's problem: "error: FILE: ..." and exit 1, not "Error from server". */
function localError(err: unknown): unknown {
  return err instanceof JobctlError ? new Error(err.message) : err;
}

async function readBackup(file: string): Promise<SnapshotFileInfo> {
  const { readFile } = await import('node:fs/promises');
  const { decodeSnapshotFile } = await import('../../client/snapshot-file.js');
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new Error(`${file}: cannot read: ${(err as Error).message}`);
  }
  try {
    return decodeSnapshotFile(bytes, file).info;
  } catch (err) {
    throw localError(err);
  }
}

export async function runSnapshotSave(o: SnapshotSaveOptions, deps: VerbDeps): Promise<number> {
  const admin = needClusterAdmin(await clientOf(deps), 'cluster snapshot');
  const { open, rename, rm } = await import('node:fs/promises');
  const part = `${o.file}.part`;
  const fh = await open(part, 'w');
  try {
    for await (const chunk of admin.snapshot()) await fh.write(chunk);
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(part, { force: true });
    throw err;
  }
  await fh.close();
  let info: SnapshotFileInfo;
  try {
    info = await readBackup(part);
  } catch (err) {
    await rm(part, { force: true });
    throw err;
  }
  await rename(part, o.file);
  deps.stdout.write(
    `snapshot saved to ${o.file} (index ${info.index}, term ${info.term}, ${info.fileBytes} bytes, sha256 ${info.checksum})\n`,
  );
  return 0;
}

export function formatSnapshotInfo(file: string, i: SnapshotFileInfo): string {
  const list = (ids: readonly number[]): string =>
    ids.map((id) => `${id}=${i.members[id] ?? '?'}`).join(', ') || 'none';
  const rows: [string, string][] = [
    ['file', file],
    ['cluster', i.clusterId],
    ['index', String(i.index)],
    ['term', String(i.term)],
    ['voters', list(i.voters)],
    ['learners', list(i.learners)],
    ['taken', i.createdAt],
    ['size', `${i.fileBytes} bytes (state ${i.dataBytes} bytes)`],
    ['checksum', `sha256:${i.checksum}`],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(10)}${v}\n`).join('');
}

export async function runSnapshotStatus(o: SnapshotStatusOptions, deps: VerbDeps): Promise<number> {
  const format = parseOutputFormat(o.output, ['json', 'table']);
  const info = await readBackup(o.file);
  if (format === 'json')
    deps.stdout.write(`${JSON.stringify({ file: o.file, ...info }, null, 2)}\n`);
  else deps.stdout.write(formatSnapshotInfo(o.file, info));
  return 0;
}

export const snapshotCommand: VerbGroup = {
  name: 'snapshot',
  describe: 'back the cluster up (save) and inspect a backup (status)',
  subcommands: [
    defineVerb({
      name: 'save',
      describe: 'a consistent backup of the whole cluster, streamed from the leader into FILE',
      positionals: [{ name: 'file', required: true }],
      toOptions: (a, conn): SnapshotSaveOptions => ({ servers: conn.servers, file: a.file }),
      run: runSnapshotSave,
    }),
    defineVerb({
      name: 'status',
      describe: "a backup file's index, term, membership and checksum (checked)",
      connection: 'none',
      positionals: [{ name: 'file', required: true }],
      toOptions: (a): SnapshotStatusOptions => ({ file: a.file, output: a.output }),
      run: runSnapshotStatus,
    }),
  ],
};
