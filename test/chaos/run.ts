// One chaos run: a real N-node jobd cluster (E2ECluster) whose node-to-node traffic
// goes through FaultNet (or, with `netns`, each node in its own network
// namespace, faults made by iptables: ./netns-net.ts), the Workload's clients and watchers, the Nemesis for
// `seconds`; then heal everything, gather the final state, and check the History.
//
//   const { summary, report } = await runChaos({ seed: 1, seconds: 60, nodes: 3, runtime: 'fake' });
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { CLOCK_SKEW_ENV } from '../../pkg/node/clock-skew.js';
import type { Job, Resource, Run } from '../../pkg/store/index.js';
import { errorMessage } from '../../pkg/util/errors.js';
import { SeededRng } from '../../pkg/util/rng.js';
import { E2ECluster } from '../support/cluster.js';
import { E2E_IMAGE, getDocker } from '../support/docker.js';
import { eventually } from '../support/eventually.js';
import { checkHistory, finalMismatches, summaryLine, type CheckReport } from './checker/index.js';
import type { FinalState, History, Observed } from './history.js';
import { Nemesis, type FaultKind } from './nemesis.js';
import { FaultNet, type ChaosNet } from './proxy.js';
import { NetnsFaultNet } from './netns-net.js';
import { NetnsLab } from '../support/netns.js';
import { NAMESPACE, Workload, observed } from './workload.js';
import { createChaosCronJob, gatherCron } from './cron.js';

export interface ChaosOptions {
  readonly seed: number;
  readonly seconds: number;
  readonly nodes: number;
  readonly runtime: 'fake' | 'docker';
  /** Where the history JSON is written (on failure, or always with keepHistory). */
  readonly outDir?: string;
  readonly keepHistory?: boolean;
  readonly log?: (line: string) => void;
  readonly clients?: number;
  /** Only these fault kinds (default all). */
  readonly faults?: readonly FaultKind[];
  /**
   * Every node in its own network namespace, faults made by the kernel
   * (iptables; ./netns-net.ts) instead of proxies. Needs root, ip, iptables.
   */
  readonly netns?: boolean;
  /** Membership faults too (add, remove, replace a node; see ./nemesis.ts). */
  readonly membership?: boolean;
}

/** Nodes a run may add (each needs a namespace of its own in netns mode, made up front). */
const SPARE_NODES = 8;

export interface ChaosResult {
  readonly history: History;
  readonly report: CheckReport;
  readonly summary: string;
  readonly historyFile?: string | undefined;
}

/**
 * Fast elections and node leases, short retry back-off, and frequent snapshots (so log
 * compaction, snapshot install on a lagging or restarted node, and watches across a
 * store restore are exercised): more happens per minute.
 */
const JOBD_ARGS = [
  ...['--tick-ms', '25', '--election-tick', '10', '--snapshot-every', '300'],
  ...['--node-heartbeat-ms', '500', '--node-grace-ms', '4000'],
  ...['--backoff-base-ms', '100', '--backoff-max-ms', '1000'],
];

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const log = o.log ?? ((l: string) => process.stderr.write(`# chaos[${o.seed}] ${l}\n`));
  const rng = new SeededRng(o.seed);
  let net: ChaosNet | undefined;
  let dir = '';
  const t0 = Date.now();
  const elapsed = (): number => Date.now() - t0;
  const skewFile = (id: number): string => join(dir, `clock-skew-${id}.json`);
  const lab = o.netns
    ? await NetnsLab.create(o.nodes + (o.membership ? SPARE_NODES : 0))
    : undefined;
  let cluster: E2ECluster;
  try {
    cluster = await E2ECluster.start({
      nodes: o.nodes,
      runtime: o.runtime,
      extraArgs: JOBD_ARGS,
      beforeStart: async (members, d) => {
        dir = d;
        const ids = members.map((m) => m.id);
        net = lab
          ? await NetnsFaultNet.start(lab, ids)
          : await FaultNet.start(new Map(members.map((m) => [m.id, m.address])), rng.fork());
      },
      peersFor: (id, addresses) => (net as ChaosNet).peersFlag(id, addresses),
      envFor: (id) => ({ [CLOCK_SKEW_ENV]: skewFile(id) }),
      ...(lab
        ? {
            hostFor: (id: number) => lab.address(id),
            wrapCommand: (id: number) => ['ip', 'netns', 'exec', lab.ns(id)],
          }
        : {}),
    });
  } catch (err) {
    await net?.close();
    await lab?.destroy();
    throw err;
  }
  const fnet = net as unknown as ChaosNet;
  let added = 0;
  const addresses = new Map(cluster.members.map((m) => [m.id, m.address]));
  const image = o.runtime === 'docker' ? E2E_IMAGE : 'busybox:latest';
  const setupClient = new GrpcClient({ servers: cluster.servers(), timeoutMs: 10_000 });
  const workload = new Workload({
    rng: rng.fork(),
    addresses,
    clients: o.clients ?? 4,
    watchers: 2,
    registerKeys: 6,
    workJobsPerClient: Math.max(2, Math.round(o.seconds / 10)),
    image,
    workCommand: ['sh', '-c', 'sleep 2'],
    elapsed,
  });
  const nemesis = new Nemesis({
    rng: rng.fork(),
    cluster,
    net: fnet,
    skewFile,
    elapsed,
    log,
    ...(o.faults ? { kinds: o.faults } : {}),
    ...(o.membership
      ? {
          membership: {
            nextId: () => (added < SPARE_NODES ? o.nodes + ++added : undefined),
            ...(lab ? { beforeAdd: (id: number) => (fnet as NetnsFaultNet).addNode(id) } : {}),
            keep: workload.pinnedWatchNodes(),
            size: o.nodes,
          },
        }
      : {}),
  });
  const history: History = {
    seed: o.seed,
    nodes: o.nodes,
    runtime: o.runtime,
    seconds: o.seconds,
    ops: workload.ops,
    watches: workload.watches,
    faults: nemesis.faults,
  };
  history.startedAt = new Date(t0).toISOString();
  const dockerSince = Math.floor(Date.now() / 1000) - 1;
  let historyFile: string | undefined;
  try {
    log(`cluster of ${o.nodes} up in ${cluster.dir}; running ${o.seconds} s`);
    await createChaosCronJob(setupClient, image);
    workload.start();
    nemesis.start();
    await new Promise((r) => setTimeout(r, o.seconds * 1000));
    await nemesis.stop();
    log(`healed at ${(elapsed() / 1000).toFixed(1)}s; stopping clients`);
    await workload.stop();
    history.final = await gatherFinal(cluster, workload, o, dockerSince, log);
    await workload.stopWatches();
  } catch (err) {
    log(`run failed: ${errorMessage(err)}\n${cluster.logTail(20)}`);
    throw err;
  } finally {
    setupClient.close();
    await workload.stopWatches().catch(() => undefined);
    await cluster.stop({ keep: process.env.JOBCTL_E2E_KEEP === '1' });
    await fnet.close();
    await lab?.destroy();
  }
  const report = checkHistory(history);
  const summary = summaryLine(history, report);
  const faultMs = history.faults.reduce((t, f) => t + ((f.endMs ?? f.startMs) - f.startMs), 0);
  const clocks = history.faults.filter((f) => f.kind === 'clock').length;
  log(
    `checked ${report.ops} ops on ${report.keys} keys; faults held ${(faultMs / 1000).toFixed(1)} s ` +
      `(clock jumps ${clocks}); lost runs ${report.lostRuns}; anomalies ${report.anomalies.length}`,
  );
  if (report.anomalies.length > 0 || o.keepHistory) {
    const outDir = o.outDir ?? 'chaos-histories';
    mkdirSync(outDir, { recursive: true });
    historyFile = join(outDir, `chaos-${o.seed}-${o.nodes}n-${Date.now()}.json`);
    writeFileSync(historyFile, JSON.stringify(history));
  }
  return { history, report, summary, historyFile };
}

/** After healing: the final state every check compares against. */
async function gatherFinal(
  cluster: E2ECluster,
  workload: Workload,
  o: ChaosOptions,
  dockerSince: number,
  log: (l: string) => void,
): Promise<FinalState> {
  await cluster.waitForLeader({ timeoutMs: 60_000 });
  const client = new GrpcClient({ servers: cluster.servers(), timeoutMs: 10_000 });
  try {
    // Every Job that runs reaches a final phase (bounded wait; what is left is reported).
    await eventually(
      'every work Job finished',
      async () => {
        const jobs = (await client.list('jobs', { namespace: NAMESPACE }))
          .items as unknown as Job[];
        const open = jobs.filter(
          (j) => !j.spec.suspend && j.status.phase !== 'Succeeded' && j.status.phase !== 'Failed',
        );
        return open.length === 0 ? true : undefined;
      },
      90_000,
      500,
    ).catch((err: unknown) => log(errorMessage(err)));
    const jobsList = (await client.list('jobs', { namespace: NAMESPACE }))
      .items as unknown as Job[];
    const jobs: Record<string, Observed> = {};
    for (const j of jobsList)
      jobs[j.metadata.name] = observed(j as unknown as Resource) as Observed;
    const runs = (await client.list('runs', { namespace: NAMESPACE })).items as unknown as Run[];

    // Every node's own copy of Jobs and Runs, once they agree (bounded).
    const perNodeClients = cluster
      .active()
      .map((m) => [m.id, new GrpcClient({ servers: [m.address], timeoutMs: 5000 })] as const);
    let perNode: Record<string, Record<string, number>> = {};
    const snapshot = async (): Promise<Record<string, Record<string, number>>> => {
      const out: Record<string, Record<string, number>> = {};
      for (const [id, c] of perNodeClients) {
        const m: Record<string, number> = {};
        for (const kind of ['jobs', 'runs']) {
          const l = await c.list(kind, { namespace: NAMESPACE, consistency: 'stale' });
          for (const it of l.items as Resource[])
            m[`${kind}/${it.metadata.name}`] = Number(it.metadata.resourceVersion);
        }
        out[String(id)] = m;
      }
      return out;
    };
    await eventually(
      'every node with the same Jobs and Runs',
      async () => {
        perNode = await snapshot();
        const texts = Object.values(perNode).map((m) => JSON.stringify(Object.entries(m).sort()));
        return texts.every((t) => t === texts[0]) ? true : undefined;
      },
      30_000,
      300,
    ).catch((err: unknown) => log(errorMessage(err)));
    for (const [, c] of perNodeClients) c.close();

    // Watchers catch up with the final state (bounded; a mismatch is checked later).
    await eventually(
      'watchers caught up',
      () =>
        workload.watches.every((w) => finalMismatches(w, jobs).length === 0) ? true : undefined,
      20_000,
      200,
    ).catch((err: unknown) => log(errorMessage(err)));

    return {
      jobs,
      perNode,
      jobInfo: jobsList.map((j) => ({
        name: j.metadata.name,
        completions: j.spec.completions,
        phase: j.status.phase ?? '',
        suspended: j.spec.suspend,
      })),
      runs: runs.map((r) => ({
        name: r.metadata.name,
        uid: r.metadata.uid,
        job: r.spec.jobName,
        phase: r.status.phase ?? '',
        reason: r.status.reason,
        node: r.spec.nodeName,
        created: r.metadata.creationTimestamp,
        finished: r.status.finishedAt,
        message: r.status.message,
      })),
      cron: await gatherCron(client, log),
      starts:
        o.runtime === 'docker'
          ? await dockerStarts(cluster, dockerSince)
          : fakeStarts(cluster.members.map((m) => m.dataDir)),
    };
  } finally {
    client.close();
  }
}

/** Starts recorded by the fake runtime of every node (fake-starts.log in its data dir). */
export function fakeStarts(dataDirs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of dataDirs) {
    const f = join(d, 'fake-starts.log');
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const { runUid } = JSON.parse(line) as { runUid: string };
      out[runUid] = (out[runUid] ?? 0) + 1;
    }
  }
  return out;
}

/** Docker `start` events of this cluster's containers since `sinceS`, per jobctl.run.uid. */
async function dockerStarts(cluster: E2ECluster, sinceS: number): Promise<Record<string, number>> {
  const scopes = new Set(cluster.members.map((m) => m.name));
  const stream = (await getDocker().getEvents({
    since: sinceS,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ['container'], event: ['start'], label: ['jobctl.run.uid'] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const ev = JSON.parse(line) as { Actor?: { Attributes?: Record<string, string> } };
    const attrs = ev.Actor?.Attributes ?? {};
    const uid = attrs['jobctl.run.uid'];
    if (!uid || !scopes.has(attrs['jobctl.scope'] ?? '')) continue;
    out[uid] = (out[uid] ?? 0) + 1;
  }
  return out;
}
