// The seed soak: many randomized simulations (3- and 5-node clusters, lossy and
// reordering networks, partitions, crashes at every point of the Ready cycle,
// torn writes, snapshots, reads, transfers), each checked after every step and
// required to recover once healed. SIM_SEEDS sets the count (default 1000;
// `npm run test:soak` runs 20000), SIM_SEED_BASE the first seed, and SIM_SEED
// runs exactly one seed, which is how a failure is replayed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { replay, runSimulation } from '../../../../pkg/raft/testing/index.js';
import type { SimResult } from '../../../../pkg/raft/testing/index.js';

const file = 'dist/test/unit/raft/sim/seeds.test.js';
const single = process.env.SIM_SEED;
const count = Number(process.env.SIM_SEEDS ?? 1000);
const base = Number(process.env.SIM_SEED_BASE ?? 1);
const chunk = 250;

function hint(seed: number): string {
  return `SIM_SEED=${seed} node --test ${file}`;
}

/** Runs seeds [from, to); fails with the first failure in full and the list of failing seeds. */
function runSeeds(from: number, to: number): { results: SimResult[]; ms: number } {
  const start = performance.now();
  const results: SimResult[] = [];
  const failures: { seed: number; message: string }[] = [];
  for (let seed = from; seed < to; seed++) {
    try {
      results.push(runSimulation(seed, { replayHint: hint(seed) }));
    } catch (err) {
      failures.push({ seed, message: err instanceof Error ? err.message : String(err) });
    }
  }
  if (failures.length > 0) {
    const first = failures[0] as { seed: number; message: string };
    throw new Error(
      `${failures.length} of ${to - from} seeds failed: ${failures.map((f) => f.seed).join(', ')}\n` +
        `replay one with: ${hint(first.seed)}\n` +
        `first failure (seed ${first.seed}):\n${first.message}`,
    );
  }
  return { results, ms: performance.now() - start };
}

function summary(results: readonly SimResult[], ms: number): string {
  const sum = (f: (r: SimResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const three = results.filter((r) => r.options.nodes === 3).length;
  return (
    `${results.length} seeds (${three} with 3 nodes, ${results.length - three} with 5) in ${(ms / 1000).toFixed(1)}s: ` +
    `${sum((r) => r.stats.steps)} steps, ${sum((r) => r.stats.delivered)} messages delivered, ` +
    `${sum((r) => r.stats.crashes)} crashes, ${sum((r) => r.stats.snapshotsInstalled)} snapshots installed, ` +
    `${sum((r) => r.stats.readsAnswered)} reads answered, max liveness ${Math.max(...results.map((r) => r.livenessUsed))} steps`
  );
}

if (single !== undefined && single !== '') {
  const seed = Number(single);
  test(`seed ${seed}`, (t) => {
    const { results, ms } = runSeeds(seed, seed + 1);
    t.diagnostic(summary(results, ms));
  });
} else {
  for (let from = base; from < base + count; from += chunk) {
    const to = Math.min(base + count, from + chunk);
    test(`seeds ${from}..${to - 1}`, (t) => {
      const { results, ms } = runSeeds(from, to);
      t.diagnostic(summary(results, ms));
    });
  }
}

test('same seed, same trace: a run replays exactly', () => {
  for (const seed of [3, 42, 977]) {
    const a = replay(seed);
    const b = replay(seed);
    assert.equal(a.digest, b.digest);
    assert.deepEqual(a.trace, b.trace);
    assert.ok((a.trace?.length ?? 0) > 100, 'the trace records the run');
  }
  assert.notEqual(runSimulation(5).digest, runSimulation(6).digest, 'different seeds differ');
});
