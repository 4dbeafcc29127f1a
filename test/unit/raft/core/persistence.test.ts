// What may leave before a Ready is persisted: the core sorts its messages into
// Ready.messages (may go at once) and Ready.messagesAfterPersist (vouch for
// state that must be durable first), and counts the leader's own append
// toward commitment only once it is persisted (advance).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Network } from './helpers.js';
import type { Message, MessageType, Ready } from '../../../../pkg/raft/types.js';
import { Role } from '../../../../pkg/raft/types.js';

function types(msgs: readonly Message[]): MessageType[] {
  return [...new Set(msgs.map((m) => m.type))].sort();
}

/** Persists rd on node `id` as a shell would (without sending or advancing). */
function persist(net: Network, id: number, rd: Ready): void {
  net.node(id).storage.saveSync({
    entries: rd.entries,
    ...(rd.hardState ? { hardState: rd.hardState } : {}),
    ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
  });
}

describe('what may leave before persistence', () => {
  it('a leader appends and heartbeats at once; follower acks wait for the write', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    const lead = net.raft(1).ready();
    assert.deepEqual(types(lead.messages), ['app']);
    assert.deepEqual(lead.messagesAfterPersist, []);
    persist(net, 1, lead);
    net.raft(1).advance(lead);

    net.deliver(lead.messages);
    const follower = net.raft(2).ready();
    assert.equal(follower.entries.length, 1);
    assert.deepEqual(follower.messages, []);
    assert.deepEqual(types(follower.messagesAfterPersist), ['appResp']);
  });

  it('a vote request and a vote grant wait for the term and vote to be durable', () => {
    const net = new Network([1, 2, 3], { preVote: false });
    net.raft(1).campaign();
    const cand = net.raft(1).ready();
    assert.equal(cand.hardState?.vote, 1);
    assert.equal(cand.mustSync, true);
    assert.deepEqual(cand.messages, []);
    assert.deepEqual(types(cand.messagesAfterPersist), ['vote']);
    persist(net, 1, cand);
    net.raft(1).advance(cand);

    net.deliver(cand.messagesAfterPersist);
    const voter = net.raft(2).ready();
    assert.equal(voter.hardState?.vote, 1);
    assert.deepEqual(voter.messages, []);
    assert.deepEqual(types(voter.messagesAfterPersist), ['voteResp']);
  });

  it('a pre-vote request claims nothing durable and leaves at once', () => {
    const net = new Network([1, 2, 3]);
    net.raft(1).campaign();
    const pre = net.raft(1).ready();
    assert.equal(pre.softState?.role, Role.PreCandidate);
    assert.deepEqual(types(pre.messages), ['preVote']);
    assert.deepEqual(pre.messagesAfterPersist, []);
  });

  it("a leader's own unpersisted append does not count toward commitment", () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const before = net.raft(1).status().commit;
    net.propose(1, 'a');
    const lead = net.raft(1).ready();
    const index = lead.entries[0]?.index ?? 0;
    // Only follower 2 hears of it and acks (after persisting) while the
    // leader's own write is still running: one durable copy of three.
    net.deliver(lead.messages.filter((m) => m.to === 2));
    net.deliver(net.handleReady(2));
    assert.equal(net.raft(1).status().commit, before, 'commit waits for the leader to persist');

    persist(net, 1, lead);
    net.raft(1).advance(lead);
    assert.equal(net.raft(1).status().commit, index, 'its persisted copy completes the quorum');
  });

  it('followers alone can complete the quorum while the leader is still writing', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    const lead = net.raft(1).ready();
    const index = lead.entries[0]?.index ?? 0;
    net.deliver(lead.messages);
    net.deliver([...net.handleReady(2), ...net.handleReady(3)]);
    assert.equal(net.raft(1).status().commit, index);
    persist(net, 1, lead);
    net.raft(1).advance(lead);
    net.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(net.node(id).state, ['a'], `node ${id}`);
  });

  it('a single voter commits its own entry once persisted', () => {
    const net = new Network([1]);
    net.elect(1);
    net.propose(1, 'solo');
    net.stabilize();
    assert.deepEqual(net.node(1).state, ['solo']);
  });
});
