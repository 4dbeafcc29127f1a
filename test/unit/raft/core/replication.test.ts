// Log replication: commit, the Figure 8 rule, fast back-off, pipelining and batching.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Network, bytes, preloadedStorage } from './helpers.js';
import type { MsgApp } from '../../../../pkg/raft/types.js';
import { Role } from '../../../../pkg/raft/types.js';

describe('log replication', () => {
  it('replicates and commits proposals on every node, in order', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    for (const s of ['a', 'b', 'c']) net.propose(1, s);
    net.stabilize();
    for (const id of [1, 2, 3]) {
      assert.deepEqual(net.node(id).state, ['a', 'b', 'c'], `node ${id}`);
      assert.equal(net.raft(id).status().commit, net.raft(1).status().lastIndex);
    }
  });

  it('a follower forwards proposals to the leader', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(2, 'from-2');
    net.stabilize();
    for (const id of [1, 2, 3]) assert.deepEqual(net.node(id).state, ['from-2']);
  });

  it('commits with a majority while one follower is down, and catches it up later', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.isolate(3);
    net.propose(1, 'a');
    net.stabilize();
    assert.deepEqual(net.node(2).state, ['a']);
    assert.deepEqual(net.node(3).state, []);
    net.heal();
    net.tick(2);
    assert.deepEqual(net.node(3).state, ['a']);
  });

  it('does not commit without a majority', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    const commit = net.raft(1).status().commit;
    net.isolate(2);
    net.isolate(3);
    net.propose(1, 'a');
    net.stabilize();
    assert.equal(net.raft(1).status().commit, commit);
    assert.deepEqual(net.node(1).state, []);
  });
});

describe('commit rule (Raft §5.4.2, Figure 8)', () => {
  it('never commits an earlier-term entry by counting replicas; commits it with a current-term one', () => {
    // Node 1 holds an uncommitted entry 2 from term 2; nodes 2 and 3 don't.
    const net = new Network([]);
    net.addNode(1, preloadedStorage([1, 2, 3], [1, 2], { term: 2, vote: 1, commit: 1 }), {});
    for (const id of [2, 3])
      net.addNode(id, preloadedStorage([1, 2, 3], [1], { term: 2, vote: 1, commit: 1 }), {});
    // Let entry 2 (term 2) reach node 2, but nothing of term 3 (index 3) reach anyone.
    net.rewrite = (m) =>
      m.type === 'app' ? { ...m, entries: m.entries.filter((e) => e.index < 3) } : m;
    net.elect(1);
    const st = net.raft(1).status();
    assert.equal(st.term, 3);
    assert.equal(st.progress?.[2]?.match, 2, 'a majority (1 and 2) holds entry 2');
    assert.equal(st.commit, 1, 'but entry 2 is from term 2, so it is not committed');
    // Once the term-3 entry is replicated, both commit together.
    net.rewrite = undefined;
    net.tick(1);
    assert.equal(net.raft(1).status().commit, 3);
    assert.equal(net.raft(2).status().commit, 3);
  });
});

describe('fast conflict back-off', () => {
  it('repairs ~100 divergent entries in a handful of round trips, not 100', () => {
    // Nodes 1 and 3: entries 2..101 of term 3. Node 2: entries 2..101 of term 2.
    const good = Array.from({ length: 101 }, (_, i) => (i === 0 ? 1 : 3));
    const bad = Array.from({ length: 101 }, (_, i) => (i === 0 ? 1 : 2));
    const net = new Network([]);
    net.addNode(1, preloadedStorage([1, 2, 3], good, { term: 3, vote: 0, commit: 1 }), {});
    net.addNode(2, preloadedStorage([1, 2, 3], bad, { term: 3, vote: 0, commit: 1 }), {});
    net.addNode(3, preloadedStorage([1, 2, 3], good, { term: 3, vote: 0, commit: 1 }), {});
    net.elect(1);
    const rejects = net.sent.filter((m) => m.type === 'appResp' && m.from === 2 && m.reject).length;
    const apps = net.count('app', 2);
    assert.ok(rejects <= 2, `rejections: ${rejects}`);
    assert.ok(apps <= 5, `MsgApp round trips to the divergent follower: ${apps}`);
    // And the repair is complete: node 2's log now equals the leader's.
    const last = net.raft(1).status().lastIndex;
    assert.equal(net.raft(2).status().lastIndex, last);
    assert.equal(net.node(2).storage.term(101), 3);
    assert.equal(net.raft(2).status().commit, last);
  });
});

describe('pipelining and batching', () => {
  it('streams several MsgApp to a replicating follower before any ack, up to maxInflightMsgs', () => {
    const net = new Network([1, 2, 3], { maxInflightMsgs: 3 });
    net.elect(1);
    for (let i = 0; i < 6; i++) net.propose(1, `p${i}`);
    const out = net.collect();
    const toTwo = out.filter((m) => m.type === 'app' && m.to === 2);
    assert.equal(toTwo.length, 3, 'three in flight at once, the rest wait for acks');
    assert.equal(net.raft(1).status().progress?.[2]?.state, 'replicate');
    net.deliver(out);
    net.stabilize();
    for (const id of [1, 2, 3])
      assert.deepEqual(net.node(id).state, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5']);
  });

  it('batches a backlog into MsgApp of at most maxSizePerMsg bytes', () => {
    const net = new Network([1, 2, 3], { maxSizePerMsg: 1000 });
    net.elect(1);
    net.isolate(3);
    const payload = 'x'.repeat(100);
    for (let i = 0; i < 50; i++) net.raft(1).propose(bytes(`${i}:${payload}`.slice(0, 100)));
    net.stabilize();
    net.heal();
    const before = net.sent.length;
    net.tick(3);
    const apps = net.sent.slice(before).filter((m): m is MsgApp => m.type === 'app' && m.to === 3);
    const sizes = apps.map((m) => m.entries.reduce((n, e) => n + e.data.byteLength, 0));
    assert.ok(
      sizes.every((s) => s <= 1000),
      `sizes ${sizes.join(',')}`,
    );
    assert.ok(
      apps.some((m) => m.entries.length >= 10),
      'entries are batched, not one per message',
    );
    assert.equal(net.node(3).state.length, 50);
  });

  it('a pipeline whose messages were all lost recovers through heartbeats', () => {
    const net = new Network([1, 2, 3], { maxInflightMsgs: 2 });
    net.elect(1);
    net.filter = (m) => !(m.type === 'app' && m.to === 2);
    for (let i = 0; i < 5; i++) net.propose(1, `p${i}`);
    net.stabilize();
    net.filter = undefined;
    net.tick(5);
    assert.equal(net.node(2).state.length, 5);
    assert.equal(net.raft(1).status().role, Role.Leader);
  });
});
