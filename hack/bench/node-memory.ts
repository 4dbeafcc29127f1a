// What a jobd node's memory is made of, read from outside: RSS from /proc and,
// from its /metrics (prom-client's default Node.js gauges and the store's
// object counts), the V8 heap (used: live objects and garbage not yet
// collected; total: what V8 holds from the OS) and external memory (Buffers
// and ArrayBuffers: the newest 8 MiB of the Raft log, ssh2's 16 MB of WASM
// memory (dockerode loads it), transport buffers).
// RSS minus heap total minus external is code, stacks and malloc'd memory.
import { readFileSync } from 'node:fs';
import type { LocalCluster } from '../../pkg/node/local-cluster.js';
import { round, rssMb } from './stats.js';

export interface NodeMemory {
  readonly id: number;
  readonly leader: boolean;
  readonly rss_mb: number;
  readonly heap_used_mb?: number;
  readonly heap_total_mb?: number;
  readonly external_mb?: number;
}

export interface ClusterMemory {
  readonly nodes: NodeMemory[];
  /** Objects per kind (kinds with none left out), as the first node answering counts them. */
  readonly objects: Record<string, number>;
  /** Runs not over yet (Pending, Scheduled, Running), as the same node counts them. */
  readonly activeRuns?: number;
}

const FINAL_RUN_PHASES = new Set(['Succeeded', 'Failed', 'Lost', 'Cancelled']);

const mb = (bytes: number): number => round(bytes / 1024 / 1024, 1);

/** A gauge's value in Prometheus text, or undefined. */
function gauge(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

async function metricsText(cluster: LocalCluster, id: number): Promise<string | undefined> {
  const url = cluster.dashboardUrl(id);
  if (!url?.startsWith('http:')) return undefined;
  try {
    const res = await fetch(`${url}metrics`, { signal: AbortSignal.timeout(10_000) });
    return res.ok ? await res.text() : undefined;
  } catch {
    return undefined;
  }
}

/** Every member's memory and the store's object counts (nodes need --http for all but RSS). */
export async function clusterMemory(cluster: LocalCluster): Promise<ClusterMemory> {
  let objects: Record<string, number> | undefined;
  let activeRuns: number | undefined;
  const nodes = await Promise.all(
    cluster.members.map(async (m): Promise<NodeMemory> => {
      const text = await metricsText(cluster, m.id);
      const rss = rssMb(m.proc?.pid);
      if (text === undefined) return { id: m.id, leader: false, rss_mb: rss };
      if (objects === undefined) {
        activeRuns = [...text.matchAll(/^jobctl_runs\{phase="(\w+)"\} (\d+)$/gm)]
          .filter((x) => !FINAL_RUN_PHASES.has(x[1] as string))
          .reduce((sum, x) => sum + Number(x[2]), 0);
      }
      objects ??= Object.fromEntries(
        [...text.matchAll(/^jobctl_store_objects\{kind="(\w+)"\} (\d+)$/gm)]
          .filter((x) => x[2] !== '0')
          .map((x) => [x[1] as string, Number(x[2])]),
      );
      const used = gauge(text, 'nodejs_heap_size_used_bytes');
      const total = gauge(text, 'nodejs_heap_size_total_bytes');
      const external = gauge(text, 'nodejs_external_memory_bytes');
      return {
        id: m.id,
        leader: /^jobctl_raft_role\{role="leader"\} 1$/m.test(text),
        rss_mb: rss,
        ...(used !== undefined ? { heap_used_mb: mb(used) } : {}),
        ...(total !== undefined ? { heap_total_mb: mb(total) } : {}),
        ...(external !== undefined ? { external_mb: mb(external) } : {}),
      };
    }),
  );
  return { nodes, objects: objects ?? {}, ...(activeRuns !== undefined ? { activeRuns } : {}) };
}

/**
 * Waits until every seeded Job has finished running: a Run per Job, none
 * of them still active, and the Event count about steady over `quietMs`. Returns whether it settled within `timeoutMs`.
 */
export async function waitForSettled(
  cluster: LocalCluster,
  jobs: number,
  timeoutMs: number,
  quietMs = 5000,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  let events = -1;
  while (performance.now() < deadline) {
    const { objects, activeRuns } = await clusterMemory(cluster);
    const runs = objects.Run ?? 0;
    const now = objects.Event ?? 0;
    // "Steady": every Run over, and Events for fewer than 1 in 200 of the Jobs
    // arrived meanwhile (a few keep trickling in long after the last Run has finished).
    const over = runs >= jobs && activeRuns === 0;
    if (over && events >= 0 && Math.abs(now - events) <= jobs / 200) return true;
    events = now;
    await new Promise((r) => setTimeout(r, quietMs));
  }
  return false;
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN if gone. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime is the 14th field, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** Reconciles so far per controller (the duration histogram's counts summed over outcomes). */
function reconcileCounts(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of (text ?? '').matchAll(
    /^jobctl_controller_reconcile_duration_seconds_count\{([^}]*)\} (\S+)$/gm,
  )) {
    const name = /controller="([^"]+)"/.exec(m[1] as string)?.[1] ?? '?';
    const key = name.startsWith('agent/') ? 'agent' : name;
    out[key] = (out[key] ?? 0) + Number(m[2]);
  }
  return out;
}

export interface NodeAtRest {
  readonly id: number;
  readonly leader: boolean;
  /** CPU seconds used over the window. */
  readonly cpu_s: number;
  readonly rss_mb: number[];
  readonly heap_used_mb: number[];
  readonly heap_total_mb: number[];
  /** Reconciles over the window, by controller. */
  readonly reconciles: Record<string, number>;
}

/**
 * A cluster left alone for `ms`: each node's CPU over the window, and its RSS
 * and heap (used / total) sampled every `everyMs`.
 */
export async function clusterAtRest(
  cluster: LocalCluster,
  ms: number,
  everyMs = 15_000,
): Promise<NodeAtRest[]> {
  const texts = (): Promise<(string | undefined)[]> =>
    Promise.all(cluster.members.map((m) => metricsText(cluster, m.id)));
  const cpu0 = cluster.members.map((m) => cpuSeconds(m.proc?.pid));
  const counts0 = (await texts()).map(reconcileCounts);
  const samples: ClusterMemory[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(everyMs, end - performance.now())));
    samples.push(await clusterMemory(cluster));
  }
  const cpu1 = cluster.members.map((m) => cpuSeconds(m.proc?.pid));
  const counts1 = (await texts()).map(reconcileCounts);
  return cluster.members.map((m, i) => {
    const mine = samples.map((s) => s.nodes[i] as NodeMemory);
    const reconciles: Record<string, number> = {};
    for (const [k, v] of Object.entries(counts1[i] ?? {})) {
      const d = v - ((counts0[i] ?? {})[k] ?? 0);
      if (d > 0) reconciles[k] = d;
    }
    return {
      id: m.id,
      leader: mine.some((n) => n.leader),
      cpu_s: round((cpu1[i] ?? NaN) - (cpu0[i] ?? NaN), 1),
      rss_mb: mine.map((n) => n.rss_mb),
      heap_used_mb: mine.map((n) => n.heap_used_mb ?? NaN),
      heap_total_mb: mine.map((n) => n.heap_total_mb ?? NaN),
      reconciles,
    };
  });
}
