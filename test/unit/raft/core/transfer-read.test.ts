// Leadership transfer (TimeoutNow) and ReadIndex.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from './helpers.js';
import { ProposalDroppedError } from '../../../../pkg/raft/config.js';
import { Role } from '../../../../pkg/raft/types.js';

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date follower at once via TimeoutNow', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const term = net.raft(1).status().term;
    const before = net.sent.length;
    net.raft(1).transferLeader(2);
    net.stabilize();
    const during = net.sent.slice(before);
    assert.equal(net.raft(2).status().role, Role.Leader);
    assert.equal(net.raft(2).status().term, term + 1);
    assert.equal(net.raft(1).status().lead, 2);
    assert.equal(during.filter((m) => m.type === 'timeoutNow' && m.to === 2).length, 1);
    assert.ok(!during.some((m) => m.type === 'preVote'), 'the transferee skips PreVote');
    assert.ok(during.some((m) => m.type === 'vote' && m.transfer));
  });

  it('catches a lagging transferee up first, refusing proposals meanwhile', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(2);
    net.propose(1, 'a');
    net.stabilize();
    net.heal();
    net.raft(1).transferLeader(2);
    assert.throws(() => net.propose(1, 'refused'), ProposalDroppedError);
    net.stabilize();
    assert.equal(net.raft(2).status().role, Role.Leader);
    assert.deepEqual(net.node(2).state, ['a']);
  });

  it('a follower can ask for the transfer (MsgTransferLeader to the leader)', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.raft(3).transferLeader(3);
    net.stabilize();
    assert.equal(net.raft(3).status().role, Role.Leader);
  });

  it('aborts after an election timeout if the transferee never catches up', () => {
    const net = new Network([1, 2, 3], { electionTick: 10 });
    net.elect(1);
    net.isolate(3);
    net.raft(1).transferLeader(3);
    assert.throws(() => net.propose(1, 'x'), ProposalDroppedError);
    net.tick(10, [1, 2]);
    assert.equal(net.raft(1).status().role, Role.Leader);
    net.propose(1, 'x');
    net.stabilize();
    assert.deepEqual(net.node(2).state, ['x']);
  });
});

describe('ReadIndex', () => {
  it('the leader answers with its commit index after a heartbeat round with a quorum', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.stabilize();
    const commit = net.raft(1).status().commit;
    net.raft(1).readIndex('ctx-1');
    // Not before the quorum confirms leadership.
    const rd = net.raft(1).ready();
    assert.equal(rd.readStates.length, 0);
    assert.ok(rd.messages.some((m) => m.type === 'heartbeat' && m.context === 'ctx-1'));
    net.raft(1).advance(rd);
    net.deliver(rd.messages);
    net.stabilize();
    assert.deepEqual(net.node(1).readStates, [{ index: commit, context: 'ctx-1' }]);
  });

  it('a leader cut off from the quorum never answers', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    net.raft(1).readIndex('lost');
    net.stabilize();
    assert.deepEqual(net.node(1).readStates, []);
  });

  it('a follower forwards the request and gets the leader commit index back', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.stabilize();
    net.raft(2).readIndex('f');
    net.stabilize();
    assert.deepEqual(net.node(2).readStates, [
      { index: net.raft(1).status().commit, context: 'f' },
    ]);
    assert.equal(net.count('readIndex', 1), 1);
    assert.equal(net.count('readIndexResp', 2), 1);
  });

  it('waits for the new leader to commit an entry of its own term', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.stabilize();
    // Node 2 becomes leader but its first (empty) entry is not replicated yet.
    net.filter = (m) => !(m.type === 'app' && m.from === 2);
    net.raft(1).transferLeader(2);
    net.stabilize();
    assert.equal(net.raft(2).status().role, Role.Leader);
    const st = net.raft(2).status();
    assert.ok(st.commit < st.lastIndex, 'no entry of the new term committed yet');
    net.raft(2).readIndex('early');
    net.stabilize();
    assert.deepEqual(net.node(2).readStates, [], 'queued, not answered with a stale index');
    net.filter = undefined;
    net.tick(2);
    assert.deepEqual(net.node(2).readStates, [{ index: st.lastIndex, context: 'early' }]);
  });

  it('a single-voter cluster answers immediately', () => {
    const net = new Network([1]);
    net.elect(1);
    net.raft(1).readIndex('solo');
    const rd = net.raft(1).ready();
    assert.deepEqual(rd.readStates, [{ index: net.raft(1).status().commit, context: 'solo' }]);
    net.raft(1).advance(rd);
  });

  it('without a leader the request is refused', () => {
    const net = new Network([1, 2, 3]);
    assert.throws(() => net.raft(1).readIndex('x'), ProposalDroppedError);
  });
});
