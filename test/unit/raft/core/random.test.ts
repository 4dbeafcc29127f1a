// A small randomized smoke test of the core on its own (the full seeded
// simulator lives in pkg/raft/testing): random loss, reordering, duplication,
// partitions, restarts, compactions, transfers and reads, with the safety
// invariants checked after every step. CORE_SEEDS=n runs more seeds.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Network, encodeState } from './helpers.js';
import type { Message, NodeId } from '../../../../pkg/raft/types.js';
import { Role } from '../../../../pkg/raft/types.js';
import { SeededRng } from '../../../../pkg/util/rng.js';

const seeds = Number(process.env['CORE_SEEDS'] ?? 20);

function isPrefix(a: readonly string[], b: readonly string[]): boolean {
  return a.length <= b.length && a.every((x, i) => x === b[i]);
}

function runSeed(seed: number): void {
  const rng = new SeededRng(seed);
  const ids: NodeId[] = [1, 2, 3, 4, 5].slice(0, rng.int(3, 6));
  const net = new Network(
    ids,
    { maxInflightMsgs: 4, maxSizePerMsg: 64, snapshotChunkSize: 64 },
    seed,
  );
  const leaderOfTerm = new Map<number, NodeId>();
  let queue: Message[] = [];
  let proposed = 0;

  const check = (step: number): void => {
    for (const n of net.nodes.values()) {
      const st = n.raft.status();
      if (st.role === Role.Leader) {
        const prev = leaderOfTerm.get(st.term);
        assert.ok(
          prev === undefined || prev === n.id,
          `seed ${seed} step ${step}: two leaders in term ${st.term}`,
        );
        leaderOfTerm.set(st.term, n.id);
      }
    }
    // State machine safety: every node applied a prefix of the longest history.
    const states = [...net.nodes.values()].map((n) => n.state);
    const longest = states.reduce((a, b) => (b.length > a.length ? b : a));
    for (const s of states)
      assert.ok(isPrefix(s, longest), `seed ${seed} step ${step}: applied histories diverge`);
  };

  for (let step = 0; step < 600; step++) {
    const r = rng.next();
    if (r < 0.4) {
      for (const id of ids) net.raft(id).tick();
    } else if (r < 0.6) {
      const id = rng.pick(ids);
      try {
        net.propose(id, `s${seed}-p${proposed++}`);
      } catch {
        // Dropped or back-pressured: fine.
      }
    } else if (r < 0.63) {
      net.heal();
      if (rng.chance(0.7)) net.isolate(rng.pick(ids));
    } else if (r < 0.65) {
      net.restart(rng.pick(ids));
    } else if (r < 0.68) {
      const n = net.node(rng.pick(ids));
      const applied = n.raft.status().applied;
      if (applied > 0)
        n.storage.createSnapshotSync(applied, n.raft.confState(), encodeState(n.state));
    } else if (r < 0.69) {
      net.raft(rng.pick(ids)).transferLeader(rng.pick(ids));
    } else if (r < 0.71) {
      try {
        net.raft(rng.pick(ids)).readIndex(`r${step}`);
      } catch {
        // No leader.
      }
    }
    // Deliver a random part of the queue, with loss, reordering and duplication.
    queue.push(...net.collect());
    const keep: Message[] = [];
    const out: Message[] = [];
    for (const m of queue) {
      const x = rng.next();
      if (x < 0.05) continue; // lost
      if (x < 0.25)
        keep.push(m); // delayed (reordered)
      else {
        out.push(m);
        if (x > 0.98) out.push(m); // duplicated
      }
    }
    queue = keep;
    net.deliver(out);
    check(step);
  }
  // Heal and settle: everyone converges to the same history.
  net.heal();
  net.deliver(queue);
  for (let i = 0; i < 200 && net.leaders().length !== 1; i++) net.tick(1);
  net.tick(30);
  const leader = net.leaders()[0];
  assert.ok(leader !== undefined, `seed ${seed}: no leader after healing`);
  net.propose(leader, 'final');
  net.tick(30);
  check(-1);
  const states = ids.map((id) => net.node(id).state);
  for (const s of states)
    assert.deepEqual(s, states[0], `seed ${seed}: histories differ after healing`);
  assert.equal(states[0]?.[states[0].length - 1], 'final');
}

describe('randomized smoke', () => {
  it(`keeps one leader per term and identical applied histories over ${seeds} seeds`, () => {
    for (let seed = 1; seed <= seeds; seed++) runSeed(seed);
  });
});
