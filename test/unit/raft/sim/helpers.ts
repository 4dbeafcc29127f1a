// Helpers shared by the simulator tests, in the spirit of MIT 6.824's config.go:
// build a cluster, find the leader, and get one value agreed ("one").
import { Cluster, rawNodeFactory } from '../../../../pkg/raft/testing/index.js';
import type { ClusterOptions } from '../../../../pkg/raft/testing/index.js';
import type { NodeId } from '../../../../pkg/raft/types.js';

export const electionTick = 10;

/** How many seeds each named scenario runs with (SCENARIO_SEEDS, default 3). */
export function scenarioSeeds(base: number): number[] {
  const fixed = process.env.SIM_SEED;
  if (fixed !== undefined && fixed !== '') return [Number(fixed)];
  const n = Number(process.env.SCENARIO_SEEDS ?? 3);
  return Array.from({ length: n }, (_, i) => base + i);
}

export function newCluster(
  seed: number,
  nodes: number,
  name: string,
  opts: Partial<Omit<ClusterOptions, 'seed' | 'nodes'>> = {},
): Cluster {
  return new Cluster({
    seed,
    nodes,
    core: rawNodeFactory,
    electionTick,
    heartbeatTick: 1,
    // Odd seeds use a shell shaped like node.ts (fsync overlapping input).
    pipelined: seed % 2 === 1,
    syncDelay: 2,
    replayHint: `SIM_SEED=${seed} node --test --test-name-pattern="${name}" dist/test/unit/raft/sim/scenarios.test.js`,
    ...opts,
  });
}

/**
 * Waits for exactly one leader among `among` (default: every node) and returns
 * it. The checker already forbids two leaders in one term; this also requires
 * the leader to be one that the given nodes can reach.
 */
export function checkOneLeader(
  c: Cluster,
  among: readonly NodeId[] = c.ids,
  max = 40 * electionTick,
): NodeId {
  let found: NodeId | undefined;
  c.runUntil(
    () => {
      let bestTerm = -1;
      found = undefined;
      for (const id of among) {
        const st = c.status(id);
        if (st?.role === 'leader' && st.term > bestTerm) {
          bestTerm = st.term;
          found = id;
        }
      }
      if (found === undefined) return false;
      // Every reachable member must follow it (a stable leadership, not a flicker).
      return among.every((id) => {
        const st = c.status(id);
        return st === undefined || (st.lead === found && st.term === bestTerm);
      });
    },
    max,
    `one leader among [${among.join(',')}]`,
  );
  return found as NodeId;
}

/** No node among `among` believes it leads, for `steps` steps. */
export function checkNoLeader(c: Cluster, among: readonly NodeId[], steps: number): void {
  for (let i = 0; i < steps; i++) {
    c.step();
    for (const id of among) {
      const st = c.status(id);
      if (st?.role === 'leader') {
        c.checker.fail('no leader expected', `node ${id} leads term ${st.term} in a minority`);
      }
    }
  }
}

/**
 * MIT's one(): proposes `data` to every node that believes it leads (retrying
 * while the leadership settles) until at least `expected` nodes applied it.
 * Returns the index it was committed at.
 */
export function one(c: Cluster, data: string, expected: number, max = 60 * electionTick): number {
  let lastProposal = -Infinity;
  c.runUntil(
    () => {
      if (c.appliedCount(data).count >= expected) return true;
      if (c.checker.indexOfData(data) === undefined && c.now - lastProposal >= 3 * electionTick) {
        for (const id of c.upIds()) if (c.status(id)?.role === 'leader') c.propose(id, data);
        lastProposal = c.now;
      }
      return false;
    },
    max,
    `agreement on ${data} by ${expected} nodes`,
  );
  return c.appliedCount(data).index;
}

/** Waits until every node applied the same entries. */
export function waitConverged(c: Cluster, max = 60 * electionTick): void {
  c.runUntil(() => c.converged(), max, 'all nodes converge');
}
