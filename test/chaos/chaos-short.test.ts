// The short chaos profile that runs with `npm test`: three seeds of 60 s on the fake
// runtime, one 30 s seed on Docker and one 30 s seed in network namespaces with
// membership faults (when root), one after another (each is a real 3-node
// cluster under faults; see docs/chaos.md). Every run must end with no anomaly: no
// acknowledged write lost, every key linearizable, no watch gap or duplicate, every
// node with the same store, every Job finished, no Run started twice. A failure
// prints the seed, the anomalies and the minimal failing window, and leaves the
// history JSON in chaos-histories/ for `npm run test:chaos -- --replay FILE`.
// CHAOS_SEED=S picks the first seed (default 1); CHAOS_SECONDS the length.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerGate } from '../support/docker.js';
import { netnsAvailable } from '../support/netns.js';
import { formatFailure } from './report.js';
import { runChaos, type ChaosOptions } from './run.js';

const firstSeed = Number(process.env.CHAOS_SEED ?? 1);
const seconds = Number(process.env.CHAOS_SECONDS ?? 60);

async function runAndAssert(o: ChaosOptions): Promise<void> {
  const res = await runChaos(o);
  process.stdout.write(`# ${res.summary}\n`);
  const summary = JSON.parse(res.summary) as Record<string, unknown>;
  assert.ok((summary.ops as number) > 50, `only ${String(summary.ops)} operations ran`);
  assert.deepEqual(
    res.report.anomalies,
    [],
    formatFailure(res.history, res.report, res.historyFile),
  );
  assert.equal(summary.acked_lost, 0);
  assert.equal(summary.linearizable, true);
  assert.equal(summary.watch_gaps, 0);
  assert.equal(summary.duplicate_starts, 0);
}

for (let i = 0; i < 3; i++) {
  const seed = firstSeed + i;
  test(
    `chaos: seed ${seed}, 3 nodes, ${seconds} s, fake runtime`,
    { timeout: (seconds + 240) * 1000 },
    () => runAndAssert({ seed, seconds, nodes: 3, runtime: 'fake' }),
  );
}

const skip = await dockerGate();
test(
  `chaos: seed ${firstSeed + 100}, 3 nodes, 30 s, docker runtime`,
  { skip, timeout: 300_000 },
  () =>
    runAndAssert({
      seed: firstSeed + 100,
      seconds: Math.min(seconds, 30),
      nodes: 3,
      runtime: 'docker',
    }),
);

// The same checks with every node in its own network namespace and the
// faults made by the kernel (iptables DROP, random loss), membership changes
// (add, remove, replace a node) among them, 30 s.
const netns = await netnsAvailable();
test(
  `chaos: seed ${firstSeed + 200}, 3 nodes in network namespaces, membership faults, 30 s, fake runtime`,
  { skip: netns ? false : 'needs root, ip and iptables', timeout: 300_000 },
  () =>
    runAndAssert({
      seed: firstSeed + 200,
      seconds: Math.min(seconds, 30),
      nodes: 3,
      runtime: 'fake',
      netns: true,
      membership: true,
    }),
);
