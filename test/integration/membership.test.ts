// Live membership through the real binaries (docs/operations.md, "Add a
// node", "Remove a node"): a 3-node cluster grows to 5 (`jobd --join`:
// learner, then voter once caught up) and shrinks back to 3 (`jobctl cluster
// remove-member`, the leader among the removed) while a writer keeps creating
// Jobs that run (fake runtime). Nothing acknowledged is lost, every Job
// completes, a removed node says why it serves nothing. The refusals: a
// duplicate id joining, an address nobody answers on, a removal that would
// leave the remaining voters without a quorum of nodes that are up.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterStatus } from '../../pkg/client/index.js';
import { execFile } from 'node:child_process';
import { LocalCluster, freePorts, jobdPath } from '../../pkg/node/local-cluster.js';
import type { NodeId } from '../../pkg/raft/types.js';
import type { Job } from '../../pkg/store/types.js';
import { CliRunner } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

/** `jobd ARGS` as a child process: exit code and output. */
function jobd(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [jobdPath(), ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const NODE_ARGS = ['--rate-limit', '0', '--runtime', 'fake', '--node-grace-ms', '3000'];

describe('live membership: 3 -> 5 -> 3 with writes flowing', { timeout: 900_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;
  let cli: CliRunner;
  const acked = new Set<string>();
  let writing = true;
  let writer: Promise<void> = Promise.resolve();

  /** `cluster status -o json` through the given nodes. */
  const status = async (ids: readonly NodeId[]): Promise<ClusterStatus | undefined> => {
    const servers = ids.map((id) => cluster.member(id).address).join(',');
    const r = await cli.run(['--server', servers, 'cluster', 'status', '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as ClusterStatus) : undefined;
  };
  /** Waits until the configuration is exactly `voters`, every one of them healthy. */
  const waitForVoters = (voters: readonly NodeId[], through: readonly NodeId[]) =>
    eventually(
      `voters ${voters.join(',')}`,
      async () => {
        const st = await status(through);
        if (!st || st.leader === 0) return undefined;
        const v = st.nodes.filter((n) => n.membership === 'voter').map((n) => n.id);
        const healthy = st.nodes.every((n) => n.health === 'healthy');
        return healthy &&
          JSON.stringify(v) === JSON.stringify(voters) &&
          st.nodes.length === voters.length
          ? st
          : undefined;
      },
      120_000,
      250,
    );

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-members-'));
    cluster = await LocalCluster.start({ nodes: 3, baseDir: dir, extraArgs: NODE_ARGS });
    cli = new CliRunner({ server: cluster.servers(), dir });
    await cluster.waitForLeader({ timeoutMs: 60_000 });
    // Writes flow through whichever members are up, all along.
    const client = cluster.resourceClient([1, 2, 3], { timeoutMs: 10_000 });
    let i = 0;
    const writeOne = async (): Promise<void> => {
      while (writing) {
        const name = `m-${i++}`;
        try {
          await client.create({
            apiVersion: 'jobctl.dev/v1',
            kind: 'Job',
            metadata: { name },
            spec: { image: 'busybox:latest', command: ['echo', name] },
          });
          acked.add(name);
        } catch {
          // Not acknowledged (a leader change, a removed node): not counted.
        }
      }
    };
    writer = Promise.all([writeOne(), writeOne()]).then(() => client.close());
  });

  after(async () => {
    writing = false;
    await writer;
    cli?.killAll();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('grows to 5: each joiner is a learner, then a voter once caught up', async () => {
    await cluster.join(4, [1, 2, 3]);
    await cluster.join(5, [1, 2, 3]);
    await waitForVoters([1, 2, 3, 4, 5], [1, 2, 3]);
    for (const id of [4, 5]) {
      const log = readFileSync(cluster.member(id).logFile, 'utf8');
      assert.match(log, /joined the cluster as a learner/);
      assert.match(log, /promoted to voter/);
    }
  });

  it('refuses a duplicate id, an address nobody answers on, a removal that breaks quorum', async () => {
    // A second node 2 joining: jobd exits 1 saying why; the configuration is unchanged.
    const [dupPort] = await freePorts(1);
    const dup = await jobd([
      '--id',
      '2',
      '--listen',
      `127.0.0.1:${dupPort}`,
      '--join',
      cluster.member(3).address,
      '--data-dir',
      join(dir, 'dup'),
      '--runtime',
      'fake',
    ]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^jobd: cannot join [^:]+:\d+: node 2 is already a voter[^\n]*\n$/);
    const [port] = await freePorts(1);
    const nobody = await cli.run(['cluster', 'add-member', `6=127.0.0.1:${port}`]);
    assert.equal(nobody.code, 1);
    assert.match(
      nobody.stderr,
      /^Error from server \(Invalid\): nobody answers at 127\.0\.0\.1:\d+ [^\n]*\n$/,
    );
    const again = await cli.run(['cluster', 'add-member', `4=${cluster.member(4).address}`]);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^Error from server \(Conflict\): node 4 is already a voter[^\n]*\n$/,
    );

    // Nodes 4 and 5 down: removing 1 would leave 2 of the 4 remaining voters up.
    await cluster.kill(4, 'SIGKILL');
    await cluster.kill(5, 'SIGKILL');
    const unsafe = await cli.run([
      '--server',
      cluster.member(2).address,
      'cluster',
      'remove-member',
      '1',
    ]);
    assert.equal(unsafe.code, 1);
    assert.match(
      unsafe.stderr,
      /^Error from server \(Conflict\): removing node 1 would leave 2 of 4 remaining voters up [^\n]*quorum needs[^\n]*\n$/,
    );
    cluster.startNode(4);
    cluster.startNode(5);
    await waitForVoters([1, 2, 3, 4, 5], [1, 2, 3]);
  });

  it('shrinks to 3 (the leader among the removed); the removed nodes say why', async () => {
    const st = await waitForVoters([1, 2, 3, 4, 5], [3, 4, 5]);
    // Remove the leader first when it is 1 or 2, else 1; then the other.
    const first: NodeId = st.leader === 2 ? 2 : 1;
    const second: NodeId = first === 1 ? 2 : 1;
    for (const id of [first, second]) {
      const r = await cli.run([
        '--server',
        cluster.member(3).address,
        'cluster',
        'remove-member',
        String(id),
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^node ${id} removed \\(voters [0-9, ]+; learners none\\)\\n$`),
      );
    }
    await waitForVoters([3, 4, 5], [3, 4, 5]);
    for (const id of [1, 2] as NodeId[]) {
      await eventually(`node ${id} knows it was removed`, () =>
        /was removed from the cluster; it serves no reads or writes/.test(
          readFileSync(cluster.member(id).logFile, 'utf8'),
        )
          ? true
          : undefined,
      );
      const r = await cli.run(['--server', cluster.member(id).address, 'get', 'jobs']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`node ${id} was removed from the cluster`));
    }
  });

  it('lost no acknowledged write, and every Job ran', async () => {
    writing = false;
    await writer;
    assert.ok(acked.size > 0);
    const client = cluster.resourceClient([3, 4, 5], { timeoutMs: 30_000 });
    try {
      await eventually(
        'every acknowledged Job Succeeded',
        async () => {
          const jobs = (await client.list('Job', { namespace: 'default' })).items as Job[];
          const byName = new Map(jobs.map((j) => [j.metadata.name, j]));
          const missing = [...acked].filter((n) => !byName.has(n));
          assert.deepEqual(missing, [], 'acknowledged Jobs missing');
          return [...acked].every((n) => byName.get(n)?.status?.phase === 'Succeeded')
            ? true
            : undefined;
        },
        180_000,
        500,
      );
    } finally {
      client.close();
    }
  });
});
