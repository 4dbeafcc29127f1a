// Named Raft scenarios on the deterministic simulator, modelled on MIT 6.824's
// Raft tests (2A election, 2B agreement, 2C persistence, Figure 8) plus
// snapshots, leadership transfer and PreVote. Every scenario runs under the
// invariant checker (election safety, log matching, committed entries never
// lost, ordered apply, linearizable reads) and with several seeds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRng } from '../../../../pkg/util/rng.js';
import { CrashPoint, crashPoints, reliableNetwork } from '../../../../pkg/raft/testing/index.js';
import type { Cluster } from '../../../../pkg/raft/testing/index.js';
import type { Message, NodeId } from '../../../../pkg/raft/types.js';
import {
  checkNoLeader,
  checkOneLeader,
  electionTick,
  newCluster,
  one,
  scenarioSeeds,
  waitConverged,
} from './helpers.js';

const unreliable = { dropRate: 0.1, dupRate: 0.05, minDelay: 1, maxDelay: 3 } as const;

function others(c: Cluster, id: NodeId): NodeId[] {
  return c.ids.filter((x) => x !== id);
}

function term(c: Cluster, id: NodeId): number {
  return c.status(id)?.term ?? -1;
}

test('initial election: one leader, and the term holds without failures', () => {
  for (const seed of scenarioSeeds(100)) {
    const c = newCluster(seed, 3, 'initial election');
    const lead = checkOneLeader(c);
    const t = term(c, lead);
    assert.ok(t >= 1, 'term is at least 1 after an election');
    c.run(20 * electionTick);
    assert.equal(checkOneLeader(c), lead, 'leader unchanged without failures');
    for (const id of c.ids) assert.equal(term(c, id), t, `node ${id} term unchanged`);
  }
});

test('re-election: a new leader after the leader is cut off, none without a majority', () => {
  for (const seed of scenarioSeeds(110)) {
    const c = newCluster(seed, 3, 're-election');
    const l1 = checkOneLeader(c);
    c.isolate(l1);
    const l2 = checkOneLeader(c, others(c, l1));
    assert.notEqual(l2, l1);
    // The old leader rejoins: still one leader.
    c.reconnect(l1);
    const l3 = checkOneLeader(c);
    // Cut off the leader and one more: the last node alone must not lead.
    const follower = others(c, l3)[0] as NodeId;
    const alone = others(c, l3)[1] as NodeId;
    c.isolate(l3);
    c.isolate(follower);
    checkNoLeader(c, [alone], 10 * electionTick);
    c.reconnect(follower);
    checkOneLeader(c, [follower, alone]);
    c.reconnect(l3);
    checkOneLeader(c);
  }
});

test('many elections: repeatedly isolating three of seven nodes', () => {
  for (const seed of scenarioSeeds(120)) {
    const c = newCluster(seed, 7, 'many elections');
    const rng = new SeededRng(seed);
    checkOneLeader(c);
    for (let iter = 0; iter < 10; iter++) {
      const cut = new Set<NodeId>();
      while (cut.size < 3) cut.add(rng.pick(c.ids));
      for (const id of cut) c.isolate(id);
      checkOneLeader(
        c,
        c.ids.filter((id) => !cut.has(id)),
      );
      for (const id of cut) c.reconnect(id);
    }
    checkOneLeader(c);
  }
});

test('basic agreement: each proposal is applied by all at the next index', () => {
  for (const seed of scenarioSeeds(130)) {
    const c = newCluster(seed, 3, 'basic agreement');
    checkOneLeader(c);
    let prev = 0;
    for (let i = 1; i <= 5; i++) {
      assert.equal(c.appliedCount(`v${i}`).count, 0, 'nothing committed before Start()');
      const index = one(c, `v${i}`, 3);
      assert.ok(index > prev, `index ${index} after ${prev}`);
      prev = index;
    }
    waitConverged(c);
  }
});

test('agreement despite a disconnected follower', () => {
  for (const seed of scenarioSeeds(140)) {
    const c = newCluster(seed, 3, 'disconnected follower');
    one(c, 'a101', 3);
    const lead = checkOneLeader(c);
    const f = others(c, lead)[0] as NodeId;
    c.isolate(f);
    for (const d of ['a102', 'a103', 'a104', 'a105']) one(c, d, 2);
    assert.equal(c.appliedState(f).index < c.appliedCount('a105').index, true);
    c.reconnect(f);
    one(c, 'a106', 3);
    waitConverged(c);
  }
});

test('no agreement without a majority', () => {
  for (const seed of scenarioSeeds(150)) {
    const c = newCluster(seed, 5, 'no majority');
    one(c, 'b10', 5);
    const lead = checkOneLeader(c);
    const cut = others(c, lead).slice(0, 3);
    for (const id of cut) c.isolate(id);
    assert.equal(c.propose(lead, 'b20'), true, 'the leader accepts the proposal');
    const commitBefore = c.status(lead)?.commit;
    c.run(4 * electionTick);
    assert.equal(c.appliedCount('b20').count, 0, 'no commit without a majority');
    // With CheckQuorum the leader steps down; either way its commit did not move.
    assert.equal(c.status(lead)?.commit, commitBefore, "the leader's commit index did not move");
    for (const id of cut) c.reconnect(id);
    one(c, 'b30', 5);
    waitConverged(c);
  }
});

test('concurrent proposals: all are committed, each once, on every node', () => {
  for (const seed of scenarioSeeds(160)) {
    const c = newCluster(seed, 3, 'concurrent proposals');
    const lead = checkOneLeader(c);
    // Ten proposals in one step: five on the leader, five forwarded by followers.
    const data: string[] = [];
    for (let i = 0; i < 10; i++) {
      const d = `c${i}`;
      data.push(d);
      assert.equal(c.propose(i < 5 ? lead : (others(c, lead)[i % 2] as NodeId), d), true);
    }
    c.runUntil(
      () => data.every((d) => c.appliedCount(d).count === 3),
      10 * electionTick,
      'all applied',
    );
    const indexes = new Set(data.map((d) => c.appliedCount(d).index));
    assert.equal(indexes.size, data.length, 'distinct indexes');
    waitConverged(c);
  }
});

test('rejoin of a partitioned leader: its uncommitted entries are discarded', () => {
  for (const seed of scenarioSeeds(170)) {
    const c = newCluster(seed, 3, 'rejoin');
    one(c, 'r101', 3);
    const l1 = checkOneLeader(c);
    c.isolate(l1);
    for (const d of ['x102', 'x103', 'x104']) c.propose(l1, d);
    c.run(2);
    one(c, 'r103', 2);
    const l2 = checkOneLeader(c, others(c, l1));
    c.isolate(l2);
    c.reconnect(l1);
    one(c, 'r104', 2);
    c.reconnect(l2);
    one(c, 'r105', 3);
    waitConverged(c);
    for (const d of ['x102', 'x103', 'x104']) {
      assert.equal(c.appliedCount(d).count, 0, `${d} from the deposed leader is never committed`);
    }
  }
});

test('fast back-up over many divergent entries takes few round trips', () => {
  for (const seed of scenarioSeeds(180)) {
    const c = newCluster(seed, 5, 'fast back-up');
    one(c, 'f0', 5);
    // Leader 1 and one follower in a minority: 50 entries that never commit.
    const l1 = checkOneLeader(c);
    const [f1, o1, o2, o3] = others(c, l1) as [NodeId, NodeId, NodeId, NodeId];
    c.partition([
      [l1, f1],
      [o1, o2, o3],
    ]);
    for (let i = 0; i < 50; i++) c.propose(l1, `stale1-${i}`);
    // The majority commits 50 entries.
    checkOneLeader(c, [o1, o2, o3]);
    for (let i = 0; i < 50; i++) one(c, `maj1-${i}`, 3, 20 * electionTick);
    // Cut one of the majority away; its leader gets 80 entries that never commit
    // (more than the next leader will have, so that leader must back up over them).
    const l2 = checkOneLeader(c, [o1, o2, o3]);
    const other = [o1, o2, o3].find((x) => x !== l2) as NodeId;
    c.partition([[l2], [other], [l1, f1], [o1, o2, o3].filter((x) => x !== l2 && x !== other)]);
    for (let i = 0; i < 80; i++) c.propose(l2, `stale2-${i}`);
    c.run(2);
    // The old minority and `other` form a majority and commit 50 entries, after
    // backing up over the 50 stale entries of leader 1.
    let rejects = 0;
    let appMsgs = 0;
    const stop = c.network.observe((m: Message, fate) => {
      if (fate !== 'delivered') return;
      if (m.type === 'appResp' && m.reject) rejects++;
      if (m.type === 'app') appMsgs++;
    });
    const third = [o1, o2, o3].find((x) => x !== l2 && x !== other) as NodeId;
    c.partition([[l1, f1, other], [l2], [third]]);
    checkOneLeader(c, [l1, f1, other]);
    for (let i = 0; i < 50; i++) one(c, `maj2-${i}`, 3, 20 * electionTick);
    // A fresh leader starts every follower's next index at its own last index,
    // so l2 (with 80 stale entries) must be backed up over all of them.
    const l3 = checkOneLeader(c, [l1, f1, other]);
    const l4 = [l1, f1, other].find((x) => x !== l3) as NodeId;
    c.transferLeader(l3, l4);
    c.runUntil(() => c.leader() === l4, 4 * electionTick, 'transfer within the majority');
    // Everyone together: l2 and the third node back up over their divergent suffixes.
    c.heal();
    one(c, 'f-last', 5);
    waitConverged(c);
    stop();
    // Naive back-up costs one round trip per divergent entry (>= 100 here);
    // fast back-up needs about one per divergent term per follower.
    const what = `${rejects} rejected appends (round trips) over ${appMsgs} appends`;
    assert.ok(rejects >= 2, `the scenario forces back-ups: ${what}`);
    assert.ok(rejects <= 12, what);
    for (let i = 0; i < 50; i++) assert.equal(c.appliedCount(`stale1-${i}`).count, 0);
    for (let i = 0; i < 80; i++) assert.equal(c.appliedCount(`stale2-${i}`).count, 0);
  }
});

test('persistence across crash-restart of all nodes', () => {
  for (const seed of scenarioSeeds(190)) {
    const c = newCluster(seed, 3, 'persistence');
    const rng = new SeededRng(seed);
    one(c, 'd11', 3);
    // Everyone crashes at once, at random points of their next Ready.
    for (const id of c.ids) c.crash(id);
    for (const id of c.ids) c.restart(id);
    one(c, 'd12', 3);
    for (let iter = 0; iter < 5; iter++) {
      const lead = checkOneLeader(c);
      c.crash(lead);
      c.restart(lead);
      one(c, `d13-${iter}`, 3);
      const l2 = checkOneLeader(c);
      // A crash in the middle of handling a Ready, while a proposal is in flight.
      c.propose(l2, `d14-${iter}`);
      for (const id of c.ids) c.crash(id, rng.pick(crashPoints));
      c.run(3);
      for (const id of c.ids) c.crash(id, CrashPoint.Idle);
      for (const id of c.ids) c.restart(id);
      one(c, `d15-${iter}`, 3);
    }
    waitConverged(c);
    for (const d of ['d11', 'd12', 'd13-0', 'd15-4']) assert.equal(c.appliedCount(d).count, 3, d);
  }
});

test('pipelined: a node applies entries ahead of its own disk, then crashes before the fsync', () => {
  // The shell applies committed entries as soon as their write is issued
  // (pkg/raft/node.ts). A crash right after such an apply loses the node's
  // own copy, and what it applied with it; the entries are durable on a
  // quorum, so the restarted node gets them back and applies the same values.
  for (const seed of scenarioSeeds(200)) {
    const c = newCluster(seed, 3, 'pipelined apply ahead', { pipelined: true, syncDelay: 4 });
    const rng = new SeededRng(seed);
    one(c, 'p0', 3);
    for (let iter = 0; iter < 30 && c.stats.crashedAheadOfDisk < 3; iter++) {
      const lead = checkOneLeader(c);
      const victim = rng.pick(c.ids);
      c.crash(victim, CrashPoint.AppliedBeforeSync);
      for (let i = 0; i < 4; i++) c.propose(lead, `p${iter + 1}-${i}`);
      c.run(rng.int(2, 8));
      c.disarmCrashes();
      c.restart(victim);
      one(c, `p${iter + 1}-done`, 3);
    }
    assert.ok(c.stats.appliedAheadOfDisk > 0, 'entries were applied ahead of the disk');
    assert.ok(c.stats.crashedAheadOfDisk > 0, 'a crash struck between such an apply and the fsync');
    waitConverged(c);
    assert.equal(c.appliedCount('p1-0').count, 3, 'entries lost with a write came back');
  }
});

/** MIT's Figure 8 loop: propose on the leader, crash it, keep a majority up. */
function figure8(c: Cluster, rng: SeededRng, iterations: number, disconnect: boolean): void {
  one(c, 'g0', 1);
  const down = new Set<NodeId>();
  const takeDown = (id: NodeId): void => {
    if (disconnect) c.isolate(id);
    else c.crash(id, rng.pick(crashPoints));
    down.add(id);
  };
  const bringUp = (id: NodeId): void => {
    if (disconnect) c.reconnect(id);
    else c.restart(id);
    down.delete(id);
  };
  for (let iter = 0; iter < iterations; iter++) {
    if (!disconnect && iter === Math.floor(iterations / 2)) {
      c.setNetwork({ longDelayRate: 0.1, longDelay: 6 * electionTick });
    }
    let leader: NodeId | undefined;
    for (const id of c.ids) {
      if (!down.has(id) && c.status(id)?.role === 'leader') {
        c.propose(id, `g${iter}-${id}`);
        leader = id;
      }
    }
    // Mostly short pauses, sometimes long enough for an election.
    c.run(rng.chance(0.1) ? rng.int(1, 2 * electionTick) : rng.int(1, 4));
    if (leader !== undefined && (disconnect ? rng.chance(0.5) : true)) takeDown(leader);
    if (c.ids.length - down.size < 3) {
      const candidates = [...down];
      bringUp(rng.pick(candidates));
    }
  }
  // A crash armed for a node's next Ready would strike after the restarts below.
  c.disarmCrashes();
  for (const id of [...down]) bringUp(id);
  for (const id of c.ids) c.restart(id);
  c.setNetwork(reliableNetwork);
  one(c, 'g-final', 5);
  waitConverged(c);
}

test('Figure 8 (reliable): crashing leaders never lose committed entries', () => {
  for (const seed of scenarioSeeds(200)) {
    const c = newCluster(seed, 5, 'Figure 8 \\(reliable\\)', { tornWrites: true });
    figure8(c, new SeededRng(seed), 300, false);
  }
});

test('Figure 8 (unreliable): lossy, reordering network and disconnected leaders', () => {
  for (const seed of scenarioSeeds(210)) {
    const c = newCluster(seed, 5, 'Figure 8 \\(unreliable\\)', {
      network: { ...unreliable, longDelayRate: 0.1, longDelay: 8 * electionTick },
      readyDeferRate: 0.3,
    });
    figure8(c, new SeededRng(seed), 400, true);
  }
});

test('unreliable churn: random crashes, restarts and cuts under concurrent clients', () => {
  for (const seed of scenarioSeeds(220)) {
    const c = newCluster(seed, 5, 'unreliable churn', {
      network: { ...unreliable, longDelayRate: 0.02, longDelay: 30 },
      tornWrites: true,
      snapshotEvery: 20,
      snapshotChunkSize: 32,
      tickSkipRate: 0.1,
    });
    const rng = new SeededRng(seed);
    const proposed: string[] = [];
    for (let iter = 0; iter < 600; iter++) {
      // Three clients propose to random nodes every step (followers forward).
      for (let k = 0; k < 3; k++) {
        const id = rng.pick(c.ids);
        const d = `u${iter}-${k}`;
        if (c.propose(id, d)) proposed.push(d);
      }
      if (rng.chance(0.1)) c.readIndex(rng.pick(c.ids));
      // Churn, but (as in MIT's test) dead nodes come back faster than live ones die.
      const r = rng.next();
      const up = c.upIds();
      const down = c.ids.filter((x) => !c.isUp(x));
      if (r < 0.02 && up.length > 2) c.crash(rng.pick(up), rng.pick(crashPoints));
      else if (r < 0.06 && down.length > 0) c.restart(rng.pick(down));
      else if (r < 0.08 && c.isolatedIds().length < 2) c.isolate(rng.pick(c.ids));
      else if (r < 0.12 && c.isolatedIds().length > 0) c.reconnect(rng.pick(c.isolatedIds()));
      c.step();
    }
    c.heal();
    c.setNetwork(reliableNetwork);
    c.disarmCrashes();
    for (const id of c.ids) c.restart(id);
    one(c, 'u-final', 5);
    waitConverged(c);
    // Progress despite the churn; every committed value is on all five nodes
    // (the checker already proved none was lost or changed on the way).
    const committed = proposed.filter((d) => c.appliedCount(d).count > 0);
    assert.ok(committed.length > 0, `none of ${proposed.length} proposals committed`);
    for (const d of committed) assert.equal(c.appliedCount(d).count, 5, d);
  }
});

test('snapshot install to a far-behind follower, in many chunks', () => {
  for (const seed of scenarioSeeds(230)) {
    const c = newCluster(seed, 3, 'snapshot install', { snapshotEvery: 10, snapshotChunkSize: 16 });
    one(c, 's0', 3);
    const lead = checkOneLeader(c);
    const f = others(c, lead)[0] as NodeId;
    c.isolate(f);
    for (let i = 1; i <= 100; i++) one(c, `s${i}`, 2, 20 * electionTick);
    assert.ok(
      c.storage(lead).firstIndex() > c.appliedState(f).index + 1,
      'the follower needs entries compacted away',
    );
    const chunks = new Set<number>();
    let snapshotsDone = 0;
    c.network.observe((m, fate) => {
      if (fate === 'delivered' && m.type === 'snap' && m.to === f) {
        chunks.add(m.offset);
        if (m.done) snapshotsDone++;
      }
    });
    c.reconnect(f);
    one(c, 's-after', 3);
    waitConverged(c);
    assert.ok(chunks.size > 1, `snapshot sent in ${chunks.size} chunk(s)`);
    assert.ok(snapshotsDone >= 1, 'a snapshot transfer completed');
    assert.ok(c.storage(f).snapshot().metadata.index > 0, 'the follower installed a snapshot');
    // And again over a lossy link, with the follower crashing mid-transfer.
    c.isolate(f);
    for (let i = 101; i <= 160; i++) one(c, `s${i}`, 2, 20 * electionTick);
    c.setNetwork({ dropRate: 0.2, dupRate: 0.1, maxDelay: 3 });
    c.reconnect(f);
    c.run(15);
    c.crash(f, CrashPoint.BeforeApply);
    c.run(5);
    c.crash(f);
    c.restart(f);
    c.setNetwork(reliableNetwork);
    one(c, 's-final', 3);
    waitConverged(c);
  }
});

test('leadership transfer: to an up-to-date and to a lagging follower', () => {
  for (const seed of scenarioSeeds(240)) {
    const c = newCluster(seed, 5, 'leadership transfer');
    one(c, 't0', 5);
    const l1 = checkOneLeader(c);
    const t1 = term(c, l1);
    const target = others(c, l1)[1] as NodeId;
    c.transferLeader(l1, target);
    c.runUntil(() => c.leader() === target, 3 * electionTick, `leadership moves to ${target}`);
    assert.equal(term(c, target), t1 + 1, 'a transfer costs exactly one term');
    one(c, 't1', 5);
    // A lagging target must first be caught up, then it takes over.
    const lagger = others(c, target)[0] as NodeId;
    c.isolate(lagger);
    for (let i = 2; i < 12; i++) one(c, `t${i}`, 4);
    c.reconnect(lagger);
    c.transferLeader(target, lagger);
    c.runUntil(() => c.leader() === lagger, 6 * electionTick, `leadership moves to ${lagger}`);
    one(c, 't-final', 5);
    waitConverged(c);
    // A transfer requested on a follower is forwarded to the leader.
    const f = others(c, lagger)[0] as NodeId;
    c.transferLeader(f, f);
    c.runUntil(
      () => c.leader() === f,
      6 * electionTick,
      `follower ${f} gets leadership it asked for`,
    );
  }
});

test('PreVote: a rejoining node does not disrupt a stable leader', () => {
  for (const seed of scenarioSeeds(250)) {
    const c = newCluster(seed, 5, 'PreVote', { preVote: true, checkQuorum: true });
    one(c, 'pv0', 5);
    const lead = checkOneLeader(c);
    const t = term(c, lead);
    const f = others(c, lead)[0] as NodeId;
    c.isolate(f);
    c.run(10 * electionTick);
    assert.equal(term(c, f), t, 'the isolated node never bumps its term (pre-votes fail)');
    one(c, 'pv1', 4);
    c.reconnect(f);
    c.run(10 * electionTick);
    assert.equal(c.leader(), lead, 'same leader');
    for (const id of c.ids) assert.equal(term(c, id), t, `node ${id} still in term ${t}`);
    one(c, 'pv2', 5);

    // Control: without PreVote the isolated node's term does climb.
    const d = newCluster(seed, 5, 'PreVote', { preVote: false, checkQuorum: true });
    const dl = checkOneLeader(d);
    const dt = term(d, dl);
    const df = others(d, dl)[0] as NodeId;
    d.isolate(df);
    d.run(10 * electionTick);
    assert.ok(term(d, df) > dt, 'without PreVote the isolated node campaigns in new terms');
  }
});

test('membership: add a learner, promote it, add a voter, remove the leader, one at a time', () => {
  for (const seed of scenarioSeeds(260)) {
    const c = newCluster(seed, 3, 'membership', {
      spares: 2,
      snapshotEvery: 8,
      snapshotChunkSize: 32,
    });
    for (let i = 0; i < 20; i++) one(c, `m0-${i}`, 3);
    let lead = checkOneLeader(c, [1, 2, 3]);
    const change = (type: 'addNode' | 'addLearner' | 'removeNode', nodeId: NodeId): void => {
      c.runUntil(
        () => {
          const l = c.leader();
          if (l === undefined) return false;
          const cs = c.confState(l);
          const done =
            type === 'removeNode'
              ? !cs.voters.includes(nodeId) && !cs.learners.includes(nodeId)
              : (type === 'addNode' ? cs.voters : cs.learners).includes(nodeId);
          if (!done && c.now % (2 * electionTick) === 0) c.proposeConfChange(l, { type, nodeId });
          return done;
        },
        40 * electionTick,
        `${type} ${nodeId}`,
      );
    };
    // Node 4 joins as a learner and is caught up (by snapshot: the log is compacted).
    change('addLearner', 4);
    c.runUntil(
      () => c.appliedState(4).index >= c.appliedCount('m0-19').index,
      40 * electionTick,
      'learner 4 catches up',
    );
    assert.ok(c.storage(4).snapshot().metadata.index > 0, 'the learner was sent a snapshot');
    assert.equal(c.status(4)?.role, 'follower');
    one(c, 'm1', 4);
    change('addNode', 4);
    one(c, 'm2', 4);
    change('addNode', 5);
    one(c, 'm3', 5);
    // The leader removes itself; the rest elect a new one.
    lead = checkOneLeader(c, [1, 2, 3, 4, 5]);
    change('removeNode', lead);
    const rest = c.ids.filter((id) => id !== lead);
    const l2 = checkOneLeader(c, rest);
    assert.notEqual(l2, lead);
    one(c, 'm4', 4);
    // A full crash-restart of the remaining members keeps the membership.
    for (const id of rest) c.crash(id);
    for (const id of rest) c.restart(id);
    one(c, 'm5', 4);
    c.runUntil(() => c.converged(rest), 40 * electionTick, 'members converge');
    for (const id of rest) assert.deepEqual([...c.confState(id).voters].sort(), rest);
  }
});
