// A whole randomized run from one seed: a chaos phase (random faults, client
// proposals, reads and leadership transfers, with invariants checked after
// every step), then a liveness phase (heal everything; a leader must be elected,
// a new proposal committed, and every node must converge to the same applied
// sequence within a bound). Same seed and options => same trace, exactly.
import type { Rng } from '../../util/rng.js';
import { SeededRng } from '../../util/rng.js';
import type { NodeId } from '../types.js';
import type { ClusterStats, CoreFactory, SimApplication } from './cluster.js';
import { Cluster, crashPoints } from './cluster.js';
import { rawNodeFactory } from './default-core.js';
import type { NetworkOptions } from './network.js';
import { reliableNetwork } from './network.js';

export interface SimOptions {
  readonly nodes: number;
  /** Steps of the chaos phase. */
  readonly steps: number;
  /** Bound on the liveness phase after everything is healed. */
  readonly livenessSteps: number;
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxSizePerMsg: number;
  readonly maxInflightMsgs: number;
  readonly snapshotEvery: number;
  readonly snapshotChunkSize: number;
  readonly network: NetworkOptions;
  /** Probability per step of one fault event (crash, restart, partition, heal...). */
  readonly faultRate: number;
  /** Most nodes down at once. */
  readonly maxDown: number;
  readonly proposeRate: number;
  readonly readRate: number;
  readonly transferRate: number;
  readonly tornWrites: boolean;
  readonly tickSkipRate: number;
  readonly readyDeferRate: number;
  /** Shell like node.ts: fsync overlaps inputs, leader sends before its fsync. */
  readonly pipelined: boolean;
  readonly syncDelay: number;
  readonly maxUncommittedEntries: number;
  /** Most proposals per step (bursts exercise batching and the proposal bound). */
  readonly burst: number;
  /**
   * Membership churn: one spare node, and the leader occasionally adds it (as a
   * learner, then a voter) or removes a voter, one change at a time.
   */
  readonly membershipRate: number;
}

export interface RunOptions extends Partial<SimOptions> {
  readonly core?: CoreFactory;
  readonly keepFullTrace?: boolean;
  readonly traceMessages?: boolean;
  /** How a failure tells the reader to reproduce it. */
  readonly replayHint?: string;
  /** The data of client proposal n (default `p<n>`): e.g. a batch of store commands. */
  readonly payload?: (n: number) => string;
  /** Told every entry each node applies (see ClusterOptions.application). */
  readonly application?: SimApplication;
}

export interface SimResult {
  readonly seed: number;
  readonly options: SimOptions;
  readonly stats: ClusterStats;
  /** Digest of the full trace: equal digests mean identical runs. */
  readonly digest: string;
  /** Steps the liveness phase needed. */
  readonly livenessUsed: number;
  readonly trace: readonly string[] | undefined;
}

const networkProfiles: readonly NetworkOptions[] = [
  // calm
  { dropRate: 0, dupRate: 0, minDelay: 1, maxDelay: 2, longDelayRate: 0, longDelay: 0 },
  // lossy
  { dropRate: 0.1, dupRate: 0.05, minDelay: 1, maxDelay: 3, longDelayRate: 0.01, longDelay: 20 },
  // chaotic: heavy loss, duplication and stale messages
  { dropRate: 0.25, dupRate: 0.1, minDelay: 1, maxDelay: 6, longDelayRate: 0.05, longDelay: 40 },
  // slow
  { dropRate: 0.02, dupRate: 0.02, minDelay: 2, maxDelay: 5, longDelayRate: 0.01, longDelay: 10 },
];

/** The options a seed runs with in seeds.test.ts: a deterministic mix of cluster sizes and faults. */
export function optionsForSeed(seed: number): SimOptions {
  const r = new SeededRng((seed ^ 0x51ed5eed) >>> 0);
  const nodes = r.chance(0.5) ? 3 : 5;
  const electionTick = 10;
  return {
    nodes,
    steps: 300,
    livenessSteps: 60 * electionTick,
    electionTick,
    heartbeatTick: r.pick([1, 2, 3]),
    preVote: r.chance(0.85),
    checkQuorum: r.chance(0.85),
    maxSizePerMsg: r.pick([1, 64, 1 << 20]),
    maxInflightMsgs: r.pick([1, 4, 256]),
    snapshotEvery: r.pick([0, 4, 10, 30]),
    snapshotChunkSize: r.pick([16, 64, 512]),
    network: r.pick(networkProfiles),
    faultRate: r.pick([0.01, 0.03, 0.08]),
    maxDown: r.pick([1, Math.floor(nodes / 2), nodes]),
    proposeRate: r.pick([0.1, 0.3, 0.6]),
    readRate: r.pick([0.02, 0.1]),
    transferRate: r.pick([0, 0.005, 0.02]),
    tornWrites: r.chance(0.5),
    tickSkipRate: r.pick([0, 0.05, 0.2]),
    readyDeferRate: r.pick([0, 0.3]),
    pipelined: r.chance(0.5),
    syncDelay: r.pick([1, 3]),
    maxUncommittedEntries: r.pick([8, 64, 4096]),
    burst: r.pick([1, 1, 4]),
    membershipRate: r.pick([0, 0, 0.01, 0.03]),
  };
}

function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    const t = out[i] as T;
    out[i] = out[j] as T;
    out[j] = t;
  }
  return out;
}

/** One random fault event. */
function injectFault(c: Cluster, rng: Rng, o: SimOptions): void {
  const down = c.ids.filter((id) => !c.isUp(id));
  const up = c.upIds();
  const kind = rng.int(0, 100);
  if (kind < 22) {
    if (up.length === 0 || down.length >= o.maxDown) return;
    c.crash(rng.pick(up), rng.pick(crashPoints));
  } else if (kind < 44) {
    if (down.length > 0) c.restart(rng.pick(down));
  } else if (kind < 58) {
    // Random split into two sides.
    const order = shuffled(rng, c.ids);
    const cut = rng.int(1, order.length);
    c.partition([order.slice(0, cut), order.slice(cut)]);
  } else if (kind < 68) {
    const lead = c.leader();
    if (lead !== undefined) c.isolate(lead);
  } else if (kind < 76) {
    // Bridge: one node talks to both halves, which cannot talk to each other.
    const order = shuffled(rng, c.ids);
    const bridge = order[0] as NodeId;
    const rest = order.slice(1);
    const cut = rng.int(1, rest.length);
    const a = rest.slice(0, cut);
    const b = rest.slice(cut);
    c.partition([[bridge, ...a], b]);
    for (const x of b) c.network.link(bridge, x);
    c.record(`net bridge ${bridge} between ${a.join(',')} and ${b.join(',')}`);
  } else if (kind < 92) {
    c.heal();
  } else {
    c.setNetwork(rng.pick(networkProfiles));
  }
}

/** Client traffic for one step. */
function clientOps(
  c: Cluster,
  rng: Rng,
  o: SimOptions,
  next: { n: number },
  payload: (n: number) => string,
): void {
  const up = c.upIds();
  if (up.length === 0) return;
  if (rng.chance(o.proposeRate)) {
    const lead = c.leader();
    const n = rng.int(1, o.burst + 1);
    for (let k = 0; k < n; k++) {
      const target = lead !== undefined && rng.chance(0.7) ? lead : rng.pick(up);
      c.propose(target, payload(next.n++));
    }
  }
  if (rng.chance(o.readRate)) c.readIndex(rng.pick(up));
  if (o.membershipRate > 0 && rng.chance(o.membershipRate)) {
    const lead = c.leader();
    if (lead !== undefined) {
      const cs = c.confState(lead);
      const outsider = c.ids.find((id) => !cs.voters.includes(id));
      if (cs.voters.length > o.nodes) {
        c.proposeConfChange(lead, { type: 'removeNode', nodeId: rng.pick(cs.voters) });
      } else if (outsider !== undefined) {
        const type = cs.learners.includes(outsider) || rng.chance(0.3) ? 'addNode' : 'addLearner';
        c.proposeConfChange(lead, { type, nodeId: outsider });
      }
    }
  }
  if (o.transferRate > 0 && rng.chance(o.transferRate)) {
    const lead = c.leader();
    if (lead !== undefined) c.transferLeader(lead, rng.pick(c.ids.filter((i) => i !== lead)));
  }
}

/**
 * Heals everything and requires progress: a leader, a newly committed marker,
 * and identical applied sequences on every node. Returns the steps it took.
 */
export function checkLiveness(c: Cluster, maxSteps: number, electionTick: number): number {
  c.heal();
  c.setNetwork(reliableNetwork);
  for (const id of c.ids) c.restart(id);
  c.disarmCrashes();
  // The bound grows with the work left: with one entry per message and one
  // message in flight, every backlogged entry costs a round trip (two steps).
  const backlog =
    Math.max(...c.ids.map((id) => c.storage(id).lastIndex())) -
    Math.min(...c.ids.map((id) => c.appliedState(id).index));
  const bound = maxSteps + 3 * backlog;
  c.record(`liveness phase (backlog ${backlog}, bound ${bound} steps)`);
  let attempt = 0;
  let proposedAt = -Infinity;
  const markers: string[] = [];
  // Members as the leader sees them (voters and learners); a removed node may lag forever.
  const members = (): NodeId[] => {
    const lead = c.leader();
    if (lead === undefined) return [...c.ids];
    const cs = c.confState(lead);
    return c.ids.filter((id) => cs.voters.includes(id) || cs.learners.includes(id));
  };
  const converged = (): boolean => {
    const m = members();
    const marker = markers.find((d) => {
      const index = c.checker.indexOfData(d);
      return index !== undefined && m.every((id) => c.appliedState(id).index >= index);
    });
    return marker !== undefined && c.converged(m);
  };
  return c.runUntil(
    () => {
      // An operator shuts a removed server down: without PreVote and
      // CheckQuorum it would otherwise keep disrupting the cluster with
      // elections (Raft dissertation 4.2.3), which is a known limit, not a bug.
      const m = members();
      for (const id of c.ids) {
        if (!m.includes(id) && c.isUp(id)) {
          c.record(`n${id} stopped: removed from the cluster`);
          c.crash(id);
        } else if (m.includes(id) && !c.isUp(id)) c.restart(id);
      }
      if (converged()) return true;
      // (Re)propose a marker on the current leader; a lost one is retried under a new name.
      const lead = c.leader();
      if (lead !== undefined && c.now - proposedAt > 4 * electionTick) {
        const m = `live${attempt++}`;
        if (c.propose(lead, m)) {
          markers.push(m);
          proposedAt = c.now;
        }
      }
      return false;
    },
    bound,
    'after healing, elect a leader, commit a proposal and converge',
  );
}

export function runSimulation(seed: number, overrides: RunOptions = {}): SimResult {
  const { core, keepFullTrace, traceMessages, replayHint, payload, application, ...simOverrides } =
    overrides;
  const o: SimOptions = { ...optionsForSeed(seed), ...simOverrides };
  const c = new Cluster({
    seed,
    nodes: o.nodes,
    spares: o.membershipRate > 0 ? 1 : 0,
    core: core ?? rawNodeFactory,
    electionTick: o.electionTick,
    heartbeatTick: o.heartbeatTick,
    preVote: o.preVote,
    checkQuorum: o.checkQuorum,
    maxSizePerMsg: o.maxSizePerMsg,
    maxInflightMsgs: o.maxInflightMsgs,
    snapshotEvery: o.snapshotEvery,
    snapshotChunkSize: o.snapshotChunkSize,
    network: o.network,
    tornWrites: o.tornWrites,
    tickSkipRate: o.tickSkipRate,
    readyDeferRate: o.readyDeferRate,
    pipelined: o.pipelined,
    maxUncommittedEntries: o.maxUncommittedEntries,
    syncDelay: o.syncDelay,
    keepFullTrace: keepFullTrace ?? false,
    traceMessages: traceMessages ?? true,
    ...(application ? { application } : {}),
    replayHint:
      replayHint ??
      `replay(${seed}${Object.keys(simOverrides).length > 0 ? `, ${JSON.stringify(simOverrides)}` : ''})`,
  });
  const rng = new SeededRng((seed ^ 0x0d71e5) >>> 0);
  const next = { n: 1 };
  for (let i = 0; i < o.steps; i++) {
    if (rng.chance(o.faultRate)) injectFault(c, rng, o);
    clientOps(c, rng, o, next, payload ?? ((n) => `p${n}`));
    c.step();
  }
  const used = checkLiveness(c, o.livenessSteps, o.electionTick);
  return {
    seed,
    options: o,
    stats: { ...c.stats },
    digest: c.trace.digest(),
    livenessUsed: used,
    trace: c.trace.all,
  };
}

/** Re-runs a seed exactly, keeping the whole trace. Throws the same violation if it fails. */
export function replay(seed: number, options: RunOptions = {}): SimResult {
  return runSimulation(seed, { keepFullTrace: true, ...options });
}
