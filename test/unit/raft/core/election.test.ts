// Leader election, PreVote and CheckQuorum, as named behaviours.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from './helpers.js';
import { Role } from '../../../../pkg/raft/types.js';

describe('leader election', () => {
  it('elects exactly one leader by timeout, and every node learns it', () => {
    const net = new Network([1, 2, 3], { electionTick: 10 });
    net.tickUntil(() => net.leaders().length === 1, 100);
    const [leader] = net.leaders();
    assert.ok(leader !== undefined);
    for (const n of net.nodes.values()) {
      const st = n.raft.status();
      assert.equal(st.lead, leader, `node ${n.id} knows the leader`);
      assert.equal(st.term, net.raft(leader).status().term);
    }
  });

  it('does not time out before electionTick ticks (randomized in [e, 2e))', () => {
    const net = new Network([1, 2, 3], { electionTick: 10 });
    net.tick(9);
    assert.equal(net.leaders().length, 0);
    net.tick(11);
    assert.equal(net.leaders().length, 1);
  });

  it('a single-voter cluster elects itself and commits at once', () => {
    const net = new Network([1]);
    net.elect(1);
    net.propose(1, 'x');
    net.stabilize();
    assert.deepEqual(net.node(1).state, ['x']);
  });

  it('re-elects a new leader after the leader is isolated, with a higher term', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const term = net.raft(1).status().term;
    net.isolate(1);
    net.tickUntil(() => [2, 3].some((id) => net.raft(id).status().role === Role.Leader), 100);
    const newLeader = [2, 3].find((id) => net.raft(id).status().role === Role.Leader);
    assert.ok(newLeader !== undefined);
    assert.ok(net.raft(newLeader).status().term > term);
    // After healing, the old leader follows the new one.
    net.heal();
    net.tick(5);
    assert.equal(net.raft(1).status().role, Role.Follower);
    assert.equal(net.raft(1).status().lead, newLeader);
  });

  it('a candidate with a shorter log does not win (§5.4.1 election restriction)', () => {
    // No lease here, so only the log comparison can refuse the vote.
    const net = new Network([1, 2, 3], { preVote: false, checkQuorum: false });
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.stabilize();
    net.heal();
    net.isolate(1);
    // Node 3 lacks 'a': node 2 refuses it, so it cannot reach a majority of {2,3}.
    net.raft(3).campaign();
    net.stabilize();
    assert.notEqual(net.raft(3).status().role, Role.Leader);
    assert.ok(
      net.sent.some((m) => m.type === 'voteResp' && m.from === 2 && m.to === 3 && m.reject),
    );
  });
});

describe('CheckQuorum', () => {
  it('a leader cut off from a majority steps down within an election timeout or two', () => {
    const net = new Network([1, 2, 3], { electionTick: 10 });
    net.elect(1);
    net.cutLink(1, 2);
    net.cutLink(1, 3);
    // Keep 2 and 3 from electing (they still hear nothing): only tick the leader.
    for (let i = 0; i < 20; i++) {
      net.raft(1).tick();
      net.stabilize();
    }
    assert.equal(net.raft(1).status().role, Role.Follower);
    assert.equal(net.raft(1).status().lead, 0);
  });

  it('without checkQuorum the cut-off leader stays leader (the behaviour above is the option)', () => {
    const net = new Network([1, 2, 3], { electionTick: 10, checkQuorum: false });
    net.elect(1);
    net.cutLink(1, 2);
    net.cutLink(1, 3);
    for (let i = 0; i < 20; i++) {
      net.raft(1).tick();
      net.stabilize();
    }
    assert.equal(net.raft(1).status().role, Role.Leader);
  });

  it('a follower that hears from its leader ignores a vote request (leader lease)', () => {
    const net = new Network([1, 2, 3], { preVote: false });
    net.elect(1);
    const term = net.raft(1).status().term;
    // Node 3 forces a real election at term+1; 1 and 2 are in lease and ignore it.
    net.raft(3).campaign();
    net.stabilize();
    assert.equal(net.raft(1).status().role, Role.Leader);
    assert.equal(net.raft(1).status().term, term);
    assert.equal(net.raft(2).status().term, term);
  });
});

describe('PreVote', () => {
  it('an isolated node does not bump its term, and rejoining does not disrupt the leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const term = net.raft(1).status().term;
    net.isolate(3);
    net.tick(100);
    // It kept pre-campaigning but never started a real election.
    assert.equal(net.raft(3).status().term, term);
    assert.equal(net.raft(3).status().role, Role.PreCandidate);
    net.heal();
    net.tick(30);
    assert.equal(net.raft(1).status().role, Role.Leader);
    for (const id of [1, 2, 3]) assert.equal(net.raft(id).status().term, term, `node ${id} term`);
    assert.equal(net.raft(3).status().lead, 1);
  });

  it('without PreVote and CheckQuorum the same rejoin forces an election (the hazard PreVote prevents)', () => {
    const net = new Network([1, 2, 3], { preVote: false, checkQuorum: false });
    net.elect(1);
    const term = net.raft(1).status().term;
    net.isolate(3);
    net.tick(100);
    assert.ok(net.raft(3).status().term > term);
    net.heal();
    net.tick(30);
    assert.ok(net.raft(1).status().term > term, 'the leader was deposed by the higher term');
  });

  it('grants pre-votes only to an up-to-date log: the stale node never wins', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.stabilize();
    net.heal();
    net.isolate(1);
    net.tickUntil(() => [2, 3].some((id) => net.raft(id).status().role === Role.Leader), 200);
    assert.equal(net.raft(2).status().role, Role.Leader);
    assert.ok(
      !net.sent.some((m) => m.type === 'preVoteResp' && m.from === 2 && m.to === 3 && !m.reject),
      'node 2 never granted node 3 a pre-vote',
    );
    net.stabilize();
    assert.deepEqual(net.node(3).state, ['a']);
  });
});
