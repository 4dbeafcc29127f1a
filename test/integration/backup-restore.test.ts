// Backup and restore through the real binaries (docs/operations.md, "Back up"
// and "Restore"): a 3-node cluster (fake runtime: the count is what matters
// here) holds 10,000 Jobs (JOBCTL_BACKUP_JOBS overrides) and a Job that is
// part-way through its completions; `jobctl cluster snapshot save` streams a
// backup from the leader; `snapshot status` prints it and refuses a
// truncated copy in one line; every data directory is destroyed; `jobd
// restore` refuses a non-empty data directory, then makes three new ones; the
// restored cluster (a new cluster id) has every Job, and the controllers
// carry the part-way Job on to Complete.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LocalCluster, jobdPath } from '../../pkg/node/local-cluster.js';
import type { Job } from '../../pkg/store/types.js';
import type { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { CliRunner } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

const JOBS = Number(process.env.JOBCTL_BACKUP_JOBS ?? 10_000);
const NODE_ARGS = [
  '--rate-limit',
  '0',
  '--runtime',
  'fake',
  '--backoff-base-ms',
  '100',
  '--node-grace-ms',
  '3000',
];

/** `jobd ARGS` as a child process: exit code and output. */
function jobd(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [jobdPath(), ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function suspendedJob(name: string) {
  return {
    apiVersion: 'jobctl.dev/v1',
    kind: 'Job',
    metadata: { name, labels: { suite: 'backup' } },
    spec: { image: 'busybox:latest', command: ['true'], suspend: true },
  } as const;
}

/** Every Job's name, a page at a time. */
async function jobNames(client: GrpcClient): Promise<Set<string>> {
  const names = new Set<string>();
  let cont: string | undefined;
  do {
    const page = await client.list('Job', { namespace: 'default', limit: 2000, continue: cont });
    for (const j of page.items) names.add(j.metadata.name);
    cont = page.continue || undefined;
  } while (cont);
  return names;
}

describe('backup and restore', { timeout: 1_200_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;
  let restored: LocalCluster | undefined;
  let cli: CliRunner;
  const backup = (): string => join(dir, 'backup.snap');

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-backup-'));
    cluster = await LocalCluster.start({
      nodes: 3,
      baseDir: join(dir, 'old'),
      extraArgs: NODE_ARGS,
    });
    cli = new CliRunner({ server: cluster.servers(), dir });
  });

  after(async () => {
    cli?.killAll();
    await cluster?.stop();
    await restored?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`saves a backup of ${JOBS} Jobs and a Job part-way through its completions`, async () => {
    await cluster.waitForLeader({ timeoutMs: 60_000 });
    const client = cluster.resourceClient(undefined, { timeoutMs: 30_000 });
    try {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < JOBS) {
          const i = next++;
          await client.create(suspendedJob(`backup-${i}`));
        }
      };
      await Promise.all(Array.from({ length: 32 }, worker));
      // Three completions, one at a time, each Run a second long: the backup
      // is taken with some of them done.
      await client.create({
        apiVersion: 'jobctl.dev/v1',
        kind: 'Job',
        metadata: { name: 'resume' },
        spec: { image: 'busybox:latest', command: ['sleep 1'], completions: 3 },
      });
      await eventually('a first completion', async () => {
        const j = (await client.get('Job', 'default', 'resume')) as Job;
        return (j.status?.succeeded ?? 0) >= 1 ? j : undefined;
      });
    } finally {
      client.close();
    }
    const save = await cli.run(['cluster', 'snapshot', 'save', backup()], 120_000);
    assert.equal(save.code, 0, save.stderr);
    assert.match(
      save.stdout,
      /^snapshot saved to .* \(index \d+, term \d+, \d+ bytes, sha256 [0-9a-f]{64}\)\n$/,
    );

    const status = await cli.run(['cluster', 'snapshot', 'status', backup(), '-o', 'json']);
    assert.equal(status.code, 0, status.stderr);
    const info = JSON.parse(status.stdout) as { index: number; voters: number[]; checksum: string };
    // Writes are group-committed (several per Raft entry): the index is only known to be past 0.
    assert.ok(info.index > 0, `index ${info.index}`);
    assert.deepEqual(info.voters, [1, 2, 3]);

    // A truncated copy: one line naming it, exit 1.
    const cut = join(dir, 'cut.snap');
    writeFileSync(cut, readFileSync(backup()).subarray(0, 4096));
    const bad = await cli.run(['cluster', 'snapshot', 'status', cut]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error: .*cut\.snap: truncated \(4096 of \d+ bytes\)[^\n]*\n$/);
  });

  it('restores three new nodes from it after every data directory is gone', async () => {
    const oldClusterId = (
      JSON.parse(readFileSync(join(cluster.member(1).dataDir, 'cluster.json'), 'utf8')) as {
        clusterId: string;
      }
    ).clusterId;
    await cluster.stop();
    rmSync(join(dir, 'old'), { recursive: true, force: true });

    // Over a non-empty data directory: refused in one line, nothing written.
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep'), 'x');
    const refused = await jobd([
      'restore',
      '--from',
      backup(),
      '--data-dir',
      busy,
      '--id',
      '1',
      '--peers',
      '1=127.0.0.1:1',
    ]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^jobd restore: --data-dir .*busy is not empty[^\n]*\n$/);
    // A damaged file: refused in one line.
    const damaged = join(dir, 'damaged.snap');
    const bytes = readFileSync(backup());
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    writeFileSync(damaged, bytes);
    const corrupt = await jobd([
      'restore',
      '--from',
      damaged,
      '--data-dir',
      join(dir, 'x'),
      '--id',
      '1',
      '--peers',
      '1=127.0.0.1:1',
    ]);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /^jobd restore: .*damaged\.snap: checksum mismatch[^\n]*\n$/);

    restored = await LocalCluster.start({
      nodes: 3,
      baseDir: join(dir, 'new'),
      extraArgs: NODE_ARGS,
      beforeStart: async (c) => {
        for (const m of c.members) {
          const r = await jobd([
            'restore',
            '--from',
            backup(),
            '--data-dir',
            m.dataDir,
            '--id',
            String(m.id),
            '--peers',
            c.peersFlag(),
          ]);
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stdout, /^restored .* new cluster [0-9a-f]{16}; start it with jobd/);
        }
      },
    });
    const newClusterId = (
      JSON.parse(readFileSync(join(restored.member(1).dataDir, 'cluster.json'), 'utf8')) as {
        clusterId: string;
      }
    ).clusterId;
    assert.notEqual(newClusterId, oldClusterId);

    await restored.waitForLeader({ timeoutMs: 60_000 });
    const client = restored.resourceClient(undefined, { timeoutMs: 30_000 });
    try {
      const names = await eventually('the restored Jobs', () => jobNames(client), 120_000);
      for (let i = 0; i < JOBS; i++) assert.ok(names.has(`backup-${i}`), `backup-${i} restored`);
      assert.ok(names.has('resume'));
      // The controllers pick the part-way Job up where the backup left it.
      const done = await eventually(
        'the restored Job to complete',
        async () => {
          const j = (await client.get('Job', 'default', 'resume')) as Job;
          return j.status?.phase === 'Succeeded' ? j : undefined;
        },
        180_000,
      );
      assert.equal(done.status?.succeeded, 3);
    } finally {
      client.close();
    }
  });
});
