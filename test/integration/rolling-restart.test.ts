// A rolling restart that loses nothing (docs/operations.md, "Rolling
// restart"): a 3-node cluster (fake runtime) runs 1,000 Jobs
// (JOBCTL_ROLLING_JOBS overrides) while every node in turn gets SIGTERM
// (drain, hand-off), is started again and is waited for (healthy, lag 0)
// before the next. Every acknowledged write is there afterwards, every Job
// succeeds, and no Job has more than one succeeded Run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterStatus } from '../../pkg/client/index.js';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import type { NodeId } from '../../pkg/raft/types.js';
import type { Job, Run } from '../../pkg/store/types.js';
import { eventually } from '../support/eventually.js';

const JOBS = Number(process.env.JOBCTL_ROLLING_JOBS ?? 1000);
const NODE_ARGS = ['--rate-limit', '0', '--runtime', 'fake', '--node-grace-ms', '3000'];

describe('rolling restart', { timeout: 900_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-rolling-'));
    cluster = await LocalCluster.start({ nodes: 3, baseDir: dir, extraArgs: NODE_ARGS });
    await cluster.waitForLeader({ timeoutMs: 60_000 });
  });

  after(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`restarts every node in turn while ${JOBS} Jobs run; nothing lost, nothing run twice`, async () => {
    const client = cluster.resourceClient(undefined, { timeoutMs: 10_000 });
    const acked = new Set<string>();
    let next = 0;
    const writer = async (): Promise<void> => {
      while (next < JOBS) {
        const name = `roll-${next++}`;
        for (;;) {
          try {
            await client.create({
              apiVersion: 'jobctl.dev/v1',
              kind: 'Job',
              metadata: { name },
              spec: { image: 'busybox:latest', command: ['sleep 0.2'] },
            });
            acked.add(name);
            break;
          } catch (err) {
            // Retried as a user would; AlreadyExists means an earlier try landed.
            if ((err as { reason?: string }).reason === 'AlreadyExists') {
              acked.add(name);
              break;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      }
    };
    const writing = Promise.all(Array.from({ length: 4 }, writer));
    const healthy = (id: NodeId) =>
      eventually(
        `node ${id} back, healthy and caught up`,
        async () => {
          const st: ClusterStatus = await client.clusterStatus();
          return st.leader !== 0 &&
            st.nodes.every((n) => n.health === 'healthy' && (n.lag ?? 1) <= 5)
            ? st
            : undefined;
        },
        120_000,
        250,
      );
    for (const id of [1, 2, 3] as NodeId[]) {
      await eventually(
        'some Jobs written first',
        () => (acked.size > (JOBS * id) / 4 ? true : undefined),
        300_000,
      );
      const code = await cluster.kill(id, 'SIGTERM');
      assert.equal(code, 0, `node ${id} exits 0 on SIGTERM`);
      cluster.startNode(id);
      await healthy(id);
    }
    await writing;
    await eventually(
      'every Job Succeeded',
      async () => {
        const jobs = new Map<string, Job>();
        let cont: string | undefined;
        do {
          const page = await client.list('Job', {
            namespace: 'default',
            limit: 1000,
            continue: cont,
          });
          for (const j of page.items as Job[]) jobs.set(j.metadata.name, j);
          cont = page.continue || undefined;
        } while (cont);
        const missing = [...acked].filter((n) => !jobs.has(n));
        assert.deepEqual(missing, [], 'acknowledged Jobs missing');
        return [...acked].every((n) => jobs.get(n)?.status?.phase === 'Succeeded')
          ? true
          : undefined;
      },
      300_000,
      1000,
    );
    const runs: Run[] = [];
    let cont: string | undefined;
    do {
      const page = await client.list('Run', { namespace: 'default', limit: 1000, continue: cont });
      runs.push(...(page.items as Run[]));
      cont = page.continue || undefined;
    } while (cont);
    const succeeded = new Map<string, number>();
    for (const r of runs) {
      if (r.status?.phase === 'Succeeded') {
        succeeded.set(r.spec.jobName, (succeeded.get(r.spec.jobName) ?? 0) + 1);
      }
    }
    const twice = [...succeeded].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'Jobs with more than one succeeded Run');
    client.close();
  });
});
