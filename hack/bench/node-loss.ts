// exec.node_loss (part of `npm run bench -- exec`): kill -9 of a node running
// EXEC_BENCH_LOSS_RUNS (20) Runs of one Job, on the fake-runtime cluster of the
// exec bench; the figure is the time from the kill until every one of them is
// replaced and Running on another node. Two cases, EXEC_BENCH_LOSSES (5)
// rounds each: the lost node is a follower, or it is the leader (so the
// leadership changes at the very moment the node is lost, and the new
// leader must know the node went silent from before it took over). The
// target is --node-grace-ms + 1 s in both cases.
import type { LocalCluster } from '../../pkg/node/local-cluster.js';
import type { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { API_VERSION, type ResourceInput, type Run } from '../../pkg/store/index.js';
import { eventually } from '../../test/support/eventually.js';
import { percentile, round } from './stats.js';
import { envNumber } from './inputs.js';

export interface NodeLossCluster {
  readonly cluster: LocalCluster;
  /** Node names by id - 1. */
  readonly names: readonly string[];
  /** Waits until these Nodes are Ready. */
  readonly nodesReady: (names: readonly string[]) => Promise<void>;
}

const now = (): number => performance.now();

const sleeperJob = (name: string, runs: number): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name },
  spec: {
    image: 'busybox:latest',
    command: ['sleep', '36000'],
    completions: runs,
    parallelism: runs,
    resources: { cpu: '1m', memory: '6Mi' },
    backoffLimit: 0,
  },
});

async function setUnschedulable(client: GrpcClient, name: string, value: boolean): Promise<void> {
  await eventually(
    `node ${name} unschedulable=${value}`,
    async () => {
      const node = await client.get('Node', '', name);
      await client.update({
        apiVersion: API_VERSION,
        kind: 'Node',
        metadata: {
          name,
          labels: node.metadata.labels,
          annotations: node.metadata.annotations,
          resourceVersion: node.metadata.resourceVersion,
        },
        spec: { ...node.spec, unschedulable: value },
      } as ResourceInput);
      return true;
    },
    30_000,
    50,
  );
}

async function runsOf(client: GrpcClient, job: string): Promise<readonly Run[]> {
  return (await client.list('Run', { labelSelector: `jobctl.dev/job-name=${job}` })).items;
}

/** One round: the node `victim` runs `count` Runs; kill -9 it; ms until all are Running elsewhere. */
async function lose(
  b: NodeLossCluster,
  victim: number,
  count: number,
  job: string,
): Promise<number> {
  const victimName = b.names[victim - 1] as string;
  const others = b.names.filter((n) => n !== victimName);
  const survivors = [1, 2, 3].filter((id) => id !== victim);
  const client = b.cluster.resourceClient(undefined, { timeoutMs: 2000 });
  try {
    for (const n of others) await setUnschedulable(client, n, true);
    await client.apply(sleeperJob(job, count));
    await eventually(
      `${count} Runs of ${job} Running on ${victimName}`,
      async () => {
        const runs = await runsOf(client, job);
        const ok =
          runs.filter((r) => r.status?.phase === 'Running' && r.spec.nodeName === victimName)
            .length === count;
        return ok ? true : undefined;
      },
      60_000,
      50,
    );
    for (const n of others) await setUnschedulable(client, n, false);
  } finally {
    client.close();
  }

  const survivorClient = b.cluster.resourceClient(survivors, { timeoutMs: 2000 });
  try {
    const t0 = now();
    await b.cluster.kill(victim, 'SIGKILL');
    await eventually(
      `${count} replacements of ${job} Running elsewhere`,
      async () => {
        const runs = await runsOf(survivorClient, job).catch(() => []);
        const ok =
          runs.filter((r) => r.status?.phase === 'Running' && r.spec.nodeName !== victimName)
            .length === count;
        return ok ? true : undefined;
      },
      120_000,
      20,
    );
    const ms = now() - t0;
    await survivorClient.delete('Job', 'default', job).catch(() => undefined);
    return ms;
  } finally {
    survivorClient.close();
    b.cluster.startNode(victim);
    await b.cluster.waitForLeader({ timeoutMs: 60_000 });
    await b.nodesReady(b.names);
  }
}

export async function nodeLoss(b: NodeLossCluster, nodeGraceMs: number): Promise<object> {
  const rounds = envNumber('EXEC_BENCH_LOSSES', 5);
  const count = envNumber('EXEC_BENCH_LOSS_RUNS', 20);
  const cases: Record<string, number[]> = { follower: [], leader: [] };
  for (let i = 0; i < rounds; i++) {
    for (const which of ['follower', 'leader'] as const) {
      await b.nodesReady(b.names);
      const leader = (await b.cluster.waitForLeader({ timeoutMs: 60_000 })).id;
      const victim = which === 'leader' ? leader : leader === 3 ? 2 : 3;
      cases[which]?.push(await lose(b, victim, count, `loss-${which}-${i}`));
    }
  }
  const figures = (samples: number[]) => {
    const sorted = [...samples].sort((x, y) => x - y);
    return {
      p50_ms: round(percentile(sorted, 50)),
      max_ms: round(sorted[sorted.length - 1] ?? Number.NaN),
      samples_ms: samples.map((s) => round(s, 0)),
    };
  };
  return {
    name: 'exec.node_loss',
    runtime: 'fake',
    runs: count,
    rounds,
    node_grace_ms: nodeGraceMs,
    target_ms: nodeGraceMs + 1000,
    follower: figures(cases.follower ?? []),
    leader: figures(cases.leader ?? []),
  };
}
