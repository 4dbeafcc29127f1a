// Chunked InstallSnapshot to a follower behind the compacted log, and restore.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Network, encodeState } from './helpers.js';
import type { MsgSnap } from '../../../../pkg/raft/types.js';

/** A 3-node cluster where node 3 missed 20 big entries that the others compacted away. */
function behindCompactedLog(opts: { snapshotChunkSize: number }): Network {
  const net = new Network([1, 2, 3], opts);
  net.elect(1);
  net.isolate(3);
  for (let i = 0; i < 20; i++) net.propose(1, `entry-${i}-${'y'.repeat(200)}`);
  net.stabilize();
  for (const id of [1, 2]) {
    const n = net.node(id);
    const applied = n.raft.status().applied;
    n.storage.createSnapshotSync(applied, n.raft.confState(), encodeState(n.state));
  }
  assert.ok(net.node(1).storage.firstIndex() > 2, 'the leader compacted its log');
  return net;
}

describe('snapshots', () => {
  it('sends a snapshot in several chunks to a follower behind the compacted index, which installs it', () => {
    const net = behindCompactedLog({ snapshotChunkSize: 1000 });
    const snap = net.node(1).storage.snapshot();
    net.heal();
    net.tick(3);
    const chunks = net.sent.filter((m): m is MsgSnap => m.type === 'snap' && m.to === 3);
    const expected = Math.ceil(snap.data.byteLength / 1000);
    assert.ok(expected >= 4, `snapshot is ${snap.data.byteLength} bytes`);
    assert.equal(chunks.length, expected, 'one message per chunk');
    assert.ok(chunks.every((c) => c.data.byteLength <= 1000));
    assert.deepEqual(
      chunks.map((c) => c.offset),
      chunks.map((_, i) => i * 1000),
    );
    assert.equal(chunks.filter((c) => c.done).length, 1);
    assert.equal(net.count('snapResp', 1), expected, 'every chunk acknowledged');

    const n3 = net.node(3);
    assert.equal(n3.installedSnapshots.length, 1, 'the snapshot came out in a Ready');
    assert.equal(n3.installedSnapshots[0]?.metadata.index, snap.metadata.index);
    assert.deepEqual(n3.installedSnapshots[0]?.data, snap.data);
    assert.equal(n3.storage.snapshot().metadata.index, snap.metadata.index);
    assert.deepEqual(n3.state, net.node(1).state);
    assert.equal(net.raft(1).status().progress?.[3]?.state, 'replicate');

    // Normal replication resumes after the snapshot.
    net.propose(1, 'after');
    net.stabilize();
    assert.deepEqual(n3.state, net.node(1).state);
    assert.equal(n3.state[n3.state.length - 1], 'after');
  });

  it('resends from the acknowledged offset when a chunk is lost', () => {
    const net = behindCompactedLog({ snapshotChunkSize: 1000 });
    net.heal();
    // Lose the second chunk once; the third never goes out, so the receiver
    // cannot reject a gap: the leader retries after an election timeout.
    let dropped = false;
    net.filter = (m) => {
      if (!dropped && m.type === 'snap' && m.offset === 1000) {
        dropped = true;
        return false;
      }
      return true;
    };
    net.tick(40);
    assert.ok(dropped);
    assert.deepEqual(net.node(3).state, net.node(1).state);
    assert.equal(net.node(3).installedSnapshots.length, 1);
  });

  it('a receiver that sees a gap rejects with its offset and the leader resumes from there', () => {
    const net = behindCompactedLog({ snapshotChunkSize: 1000 });
    net.heal();
    // Deliver chunk 0, then forge the ack of chunk 1 without delivering it, so
    // the leader sends chunk 2 and the receiver sees a gap.
    let forged = false;
    net.filter = (m) => {
      if (!forged && m.type === 'snap' && m.offset === 1000) {
        forged = true;
        net.raft(1).step({
          type: 'snapResp',
          from: 3,
          to: 1,
          term: m.term,
          snapIndex: m.metadata.index,
          offset: 2000,
          reject: false,
        });
        return false;
      }
      return true;
    };
    net.tick(3);
    assert.ok(
      net.sent.some((m) => m.type === 'snapResp' && m.from === 3 && m.reject && m.offset === 1000),
    );
    assert.deepEqual(net.node(3).state, net.node(1).state);
  });

  it('acknowledges but ignores a stale snapshot (index <= commit)', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    net.stabilize();
    const st = net.raft(2).status();
    net.raft(2).step({
      type: 'snap',
      from: 1,
      to: 2,
      term: st.term,
      metadata: { index: 1, term: 1, confState: { voters: [1, 2, 3], learners: [] } },
      offset: 0,
      data: new Uint8Array([1, 2, 3]),
      done: true,
    });
    const rd = net.raft(2).ready();
    assert.equal(rd.snapshot, undefined);
    // The append ack vouches for the log, so it waits for persistence; the
    // chunk ack only reports what arrived.
    assert.ok(
      rd.messagesAfterPersist.some(
        (m) => m.type === 'appResp' && m.index === st.commit && !m.reject,
      ),
    );
    assert.ok(rd.messages.some((m) => m.type === 'snapResp' && !m.reject));
    net.raft(2).advance(rd);
    assert.equal(net.raft(2).status().commit, st.commit);
  });

  it('a restarted node recovers its log from a compacted MemoryStorage', () => {
    const net = behindCompactedLog({ snapshotChunkSize: 1000 });
    net.heal();
    net.stabilize();
    net.restart(2);
    net.stabilize();
    const st = net.raft(2).status();
    assert.equal(st.applied, net.node(2).storage.snapshot().metadata.index);
    net.propose(1, 'z');
    net.tick(2);
    assert.deepEqual(net.node(2).state, net.node(1).state);
  });
});
