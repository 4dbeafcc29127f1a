// Proposal back-pressure, restart from storage, membership changes, Ready contract.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Network, bytes } from './helpers.js';
import {
  ProposalDroppedError,
  TooManyRequestsError,
  silentLogger,
} from '../../../../pkg/raft/config.js';
import { RawNode } from '../../../../pkg/raft/rawnode.js';
import { MemoryStorage } from '../../../../pkg/raft/storage/memory.js';
import { ConfChangeType, Role } from '../../../../pkg/raft/types.js';
import { SeededRng } from '../../../../pkg/util/rng.js';

describe('proposal queue', () => {
  it('proposeBatch appends every entry at once, in order, in one MsgApp per follower', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.raft(1).proposeBatch(['a', 'b', 'c'].map(bytes));
    const rd = net.raft(1).ready();
    const text = new TextDecoder();
    assert.deepEqual(
      rd.entries.map((e) => text.decode(e.data)),
      ['a', 'b', 'c'],
    );
    const apps = rd.messages.filter((m) => m.type === 'app');
    assert.deepEqual(apps.map((m) => m.to).sort(), [2, 3]);
    for (const m of apps) assert.equal(m.type === 'app' && m.entries.length, 3);
  });

  it('refuses a batch that would pass the uncommitted bound as a whole', () => {
    const net = new Network([1, 2, 3], { maxUncommittedEntries: 5 });
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    const last = net.raft(1).status().lastIndex;
    assert.throws(
      () => net.raft(1).proposeBatch(['a', 'b', 'c', 'd', 'e', 'f'].map(bytes)),
      (err: unknown) => err instanceof TooManyRequestsError,
    );
    assert.equal(net.raft(1).status().lastIndex, last, 'nothing of it was appended');
  });

  it('throws TooManyRequests at once when the uncommitted bound is reached', () => {
    const net = new Network([1, 2, 3], { maxUncommittedEntries: 5 });
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    for (let i = 0; i < 5; i++) net.propose(1, `p${i}`);
    assert.throws(() => net.propose(1, 'one too many'), TooManyRequestsError);
    // Once the backlog commits, proposals are accepted again.
    net.heal();
    net.tick(2);
    net.propose(1, 'ok again');
    net.stabilize();
    assert.equal(net.node(2).state.length, 6);
  });

  it('throws ProposalDropped when no leader is known', () => {
    const net = new Network([1, 2, 3]);
    assert.throws(() => net.propose(1, 'x'), ProposalDroppedError);
    net.elect(1);
    net.isolate(1);
    net.tickUntil(
      () => net.raft(2).status().role === Role.Leader || net.raft(3).status().role === Role.Leader,
      100,
    );
    // The old leader, cut off, stepped down (CheckQuorum) and knows no leader.
    net.tick(30, [1]);
    assert.equal(net.raft(1).status().lead, 0);
    assert.throws(() => net.propose(1, 'x'), ProposalDroppedError);
  });
});

describe('restart', () => {
  it('a restarted node keeps term, vote, commit and log from MemoryStorage', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (const s of ['a', 'b']) net.propose(1, s);
    net.stabilize();
    const before = net.raft(2).status();
    net.restart(2);
    const after = net.raft(2).status();
    assert.equal(after.term, before.term);
    assert.equal(after.vote, before.vote);
    assert.equal(after.commit, before.commit);
    assert.equal(after.lastIndex, before.lastIndex);
    assert.equal(after.role, Role.Follower);
    // Committed entries are handed out again (the state machine restarts empty).
    net.stabilize();
    assert.deepEqual(net.node(2).state, ['a', 'b']);
    net.propose(1, 'c');
    net.stabilize();
    assert.deepEqual(net.node(2).state, ['a', 'b', 'c']);
  });

  it('honours config.applied: entries already applied are not handed out again', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.stabilize();
    const st = net.raft(2).status();
    net.restart(2, { applied: st.applied });
    const rd = net.raft(2).ready();
    assert.deepEqual(rd.committedEntries, []);
  });

  it('the whole cluster restarts and elects at a higher term', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.stabilize();
    const term = net.raft(1).status().term;
    for (const id of [1, 2, 3]) net.restart(id);
    net.tickUntil(() => net.leaders().length === 1, 200);
    const leader = net.leaders()[0] as number;
    assert.ok(net.raft(leader).status().term > term);
    net.propose(leader, 'b');
    net.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(net.node(id).state, ['a', 'b']);
  });
});

describe('membership changes', () => {
  it('adds a voter, which catches up and counts toward the quorum', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.stabilize();
    // The joiner starts knowing the membership it joins.
    net.addNode(4, new MemoryStorage(), { peers: [1, 2, 3, 4] });
    net.raft(1).proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 4 });
    net.stabilize();
    assert.deepEqual(net.node(1).lastConfState, { voters: [1, 2, 3, 4], learners: [] });
    assert.deepEqual(net.node(4).state, ['a']);
    // 4 voters: the quorum is 3, so with 2 and 3 down nothing commits.
    net.isolate(2);
    net.isolate(3);
    const commit = net.raft(1).status().commit;
    net.propose(1, 'b');
    net.stabilize();
    assert.equal(net.raft(1).status().commit, commit);
    net.heal();
    net.isolate(3);
    net.tick(2);
    assert.ok(net.raft(1).status().commit > commit, '1, 2 and 4 form a quorum');
  });

  it('removes a voter: the quorum shrinks and the removed node stops campaigning', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.raft(1).proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 3 });
    net.stabilize();
    assert.deepEqual(net.node(1).lastConfState, { voters: [1, 2], learners: [] });
    assert.equal(net.raft(1).status().progress?.[3], undefined);
    const term = net.raft(1).status().term;
    net.isolate(3);
    net.propose(1, 'two of two');
    net.stabilize();
    assert.deepEqual(net.node(2).state, ['two of two']);
    net.tick(50);
    assert.equal(net.raft(3).status().term, term, 'a removed node does not campaign');
  });

  it('a learner replicates but neither votes nor counts for the quorum', () => {
    const net = new Network([1, 2]);
    net.elect(1);
    net.addNode(3, new MemoryStorage(), { peers: [] });
    net.raft(1).proposeConfChange({ type: ConfChangeType.AddLearner, nodeId: 3 });
    net.stabilize();
    assert.deepEqual(net.node(1).lastConfState, { voters: [1, 2], learners: [3] });
    net.propose(1, 'x');
    net.stabilize();
    assert.deepEqual(net.node(3).state, ['x']);
    // Quorum of voters {1,2} is 2: with 2 down, the learner's ack does not commit.
    net.isolate(2);
    const commit = net.raft(1).status().commit;
    net.propose(1, 'y');
    net.stabilize();
    assert.equal(net.raft(1).status().commit, commit);
    // And the learner never campaigns.
    net.heal();
    net.isolate(1);
    net.tick(60, [3]);
    assert.notEqual(net.raft(3).status().role, Role.PreCandidate);
    assert.notEqual(net.raft(3).status().role, Role.Candidate);
  });

  it('refuses a second change while one is uncommitted or unapplied', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(2);
    net.isolate(3);
    net.raft(1).proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 4 });
    assert.throws(
      () => net.raft(1).proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 5 }),
      ProposalDroppedError,
    );
    net.heal();
    net.tick(2);
    net.raft(1).proposeConfChange({ type: ConfChangeType.AddNode, nodeId: 5 });
  });

  it('a removed leader steps down once the change is applied', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.raft(1).proposeConfChange({ type: ConfChangeType.RemoveNode, nodeId: 1 });
    net.stabilize();
    assert.notEqual(net.raft(1).status().role, Role.Leader);
    net.tickUntil(() => [2, 3].some((id) => net.raft(id).status().role === Role.Leader), 200);
  });
});

describe('Ready contract', () => {
  it('hands out soft state only on change, entries with mustSync, and nothing twice', () => {
    const storage = new MemoryStorage({ peers: [1] });
    const rn = new RawNode({
      id: 1,
      peers: [],
      storage,
      rng: new SeededRng(7),
      logger: silentLogger,
    });
    assert.equal(rn.hasReady(), false);
    rn.campaign();
    assert.equal(rn.hasReady(), true);
    const rd = rn.ready();
    assert.deepEqual(rd.softState, { lead: 1, role: Role.Leader });
    assert.equal(rd.mustSync, true);
    assert.equal(rd.hardState?.term, 1);
    assert.equal(rd.hardState?.vote, 1);
    assert.equal(rd.entries.length, 1);
    assert.equal(rn.hasReady(), false, 'nothing is handed out twice');
    // The next Ready may be taken while this one's write runs: it hands out
    // only what is new, and Readies are acknowledged in hand-out order.
    rn.propose(bytes('p'));
    const rd2 = rn.ready();
    assert.equal(rd2.softState, undefined, 'unchanged soft state is omitted');
    assert.deepEqual(
      rd2.entries.map((e) => e.index),
      [2],
    );
    assert.equal(rd2.mustSync, true);
    assert.throws(() => rn.persisted(rd2), /out of order/);
    storage.saveSync({ entries: rd.entries, ...(rd.hardState ? { hardState: rd.hardState } : {}) });
    rn.advance(rd);
    storage.saveSync({
      entries: rd2.entries,
      ...(rd2.hardState ? { hardState: rd2.hardState } : {}),
    });
    rn.advance(rd2);
    // The leader's own append counts toward commitment only once persisted
    // (advance), so even a single voter commits entries 1 and 2 only in the
    // next Ready, which has nothing to sync.
    assert.equal(rn.status().applied, 0);
    assert.equal(rn.status().commit, 2);
    const rd3 = rn.ready();
    assert.deepEqual(
      rd3.committedEntries.map((e) => e.index),
      [1, 2],
    );
    assert.equal(rd3.entries.length, 0);
    assert.equal(rd3.mustSync, false);
    rn.advance(rd3);
    assert.equal(rn.status().applied, 2);
    assert.equal(rn.hasReady(), false);
  });

  it('status() reports progress for leaders only', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const st = net.raft(1).status();
    assert.equal(st.role, Role.Leader);
    assert.deepEqual(Object.keys(st.progress ?? {}).sort(), ['1', '2', '3']);
    assert.equal(st.progress?.[2]?.match, st.lastIndex);
    assert.equal(net.raft(2).status().progress, undefined);
  });
});
