// The async shell (pkg/raft/node.ts) over MemoryStorage and the memory
// network: results, forwarding, deadlines, backpressure, reads, snapshots,
// storage failure.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { DiskStorage } from '../../../pkg/raft/storage/disk-storage.js';
import type { RoleChange } from '../../../pkg/raft/node.js';
import { MemoryStorage } from '../../../pkg/raft/storage/memory.js';
import { JobctlError, Reason, isReason } from '../../../pkg/util/errors.js';
import { TestCluster, eventually, put, putResult, valueOf } from './harness.js';

describe('RaftNode shell', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('resolves a proposal on the leader with the state machine result', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const leader = await cluster.elect(1);
    const res = putResult(await leader.node.propose(put('a', '1')));
    assert.equal(res.outcome, 'created');
    assert.equal(valueOf(leader.store, 'a'), '1');
    assert.equal(
      leader.store.get('Job', 'default', 'a')?.metadata.resourceVersion,
      String(res.revision),
    );
    // Every replica applies it.
    await eventually(() =>
      [...cluster!.members.values()].every((m) => valueOf(m.store, 'a') === '1'),
    );
  });

  it('forwards a follower proposal to the leader and resolves on the follower', async () => {
    cluster = new TestCluster([1, 2, 3]);
    await cluster.elect(1);
    const follower = cluster.get(2);
    const res = putResult(await follower.node.propose(put('b', '2')));
    assert.equal(res.outcome, 'created');
    assert.equal(valueOf(follower.store, 'b'), '2');
    const second = putResult(await follower.node.propose(put('b', '3')));
    assert.equal(second.outcome, 'configured');
    assert.ok(second.revision > res.revision);
  });

  it('rejects with Timeout when the proposal cannot commit before its deadline', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const leader = await cluster.elect(1);
    cluster.net.takeDown(2);
    cluster.net.takeDown(3);
    const started = Date.now();
    await assert.rejects(leader.node.propose(put('c', '1'), { timeoutMs: 200 }), (err: unknown) =>
      isReason(err, Reason.Timeout),
    );
    assert.ok(Date.now() - started >= 190);
  });

  it('rejects with TooManyRequests at once when the pending queue is full', async () => {
    cluster = new TestCluster([1, 2, 3], { maxPendingProposals: 2 });
    const leader = await cluster.elect(1);
    cluster.net.takeDown(2);
    cluster.net.takeDown(3);
    const p1 = leader.node.propose(put('x', '1'), { timeoutMs: 300 });
    const p2 = leader.node.propose(put('y', '1'), { timeoutMs: 300 });
    await assert.rejects(leader.node.propose(put('z', '1')), (err: unknown) =>
      isReason(err, Reason.TooManyRequests),
    );
    await Promise.allSettled([p1, p2]);
  });

  it('proposals made in one turn commit as one batch, in call order', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const leader = await cluster.elect(1);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => leader.node.propose(put(`b${i}`, String(i)))),
    );
    const revisions = results.map((r) => putResult(r).revision);
    for (let i = 1; i < revisions.length; i++) {
      assert.ok(
        (revisions[i] as number) > (revisions[i - 1] as number),
        `revision ${i} follows ${i - 1}`,
      );
    }
  });

  it('fails each proposal of a batch the core refuses', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const node = cluster.get(1).node;
    const all = ['u1', 'u2', 'u3'].map((k) => node.propose(put(k, '1')));
    for (const p of all) {
      await assert.rejects(p, (err: unknown) => isReason(err, Reason.Unavailable));
    }
  });

  it('rejects with Unavailable when no leader is known', async () => {
    cluster = new TestCluster([1, 2, 3]);
    // Nobody campaigns within the first tick; node 1 knows no leader yet.
    await assert.rejects(cluster.get(1).node.propose(put('d', '1')), (err: unknown) =>
      isReason(err, Reason.Unavailable),
    );
  });

  it('serves linearizable reads on a follower after the write it must observe', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const leader = await cluster.elect(1);
    const follower = cluster.get(3);
    for (let i = 0; i < 20; i++) {
      await leader.node.propose(put('r', String(i)));
      await follower.node.read();
      assert.equal(valueOf(follower.store, 'r'), String(i));
    }
  });

  it('batches concurrent reads into one ReadIndex round, each seeing prior writes', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const leader = await cluster.elect(1);
    const follower = cluster.get(2);
    await leader.node.propose(put('batch', 'v1'));
    const reads = Array.from({ length: 50 }, () => follower.node.read());
    await Promise.all(reads);
    assert.equal(valueOf(follower.store, 'batch'), 'v1');
  });

  it('times out a read that cannot reach a quorum', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const leader = await cluster.elect(1);
    cluster.net.takeDown(2);
    cluster.net.takeDown(3);
    await assert.rejects(
      leader.node.read({ timeoutMs: 150 }),
      (err: unknown) => isReason(err, Reason.Timeout) || isReason(err, Reason.Unavailable),
    );
  });

  it('transfers leadership', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const leader = await cluster.elect(1);
    await leader.node.transferLeader(2);
    await eventually(() => cluster!.get(2).node.isLeader());
    const res = putResult(await cluster.get(3).node.propose(put('t', '1')));
    assert.equal(res.outcome, 'created');
  });

  it('reports every change of role, term and leader as it happens', async () => {
    cluster = new TestCluster([1, 2, 3]);
    const seen = new Map<number, RoleChange[]>();
    for (const id of [1, 2]) {
      const changes: RoleChange[] = [];
      seen.set(id, changes);
      cluster.get(id).node.onRoleChange((c) => changes.push(c));
    }
    const one = cluster.get(1).node;
    await cluster.elect(1);
    const t1 = one.roleState().term;
    assert.deepEqual(seen.get(1)?.at(-1), { role: 'leader', term: t1, leader: 1 });
    assert.deepEqual(seen.get(2)?.at(-1), { role: 'follower', term: t1, leader: 1 });
    // Away and back: node 1 leads again, in a later term, and says so each time.
    await one.transferLeader(2);
    await eventually(() => seen.get(1)?.at(-1)?.role === 'follower');
    await cluster.get(2).node.transferLeader(1);
    await eventually(() => seen.get(1)?.at(-1)?.role === 'leader');
    const roles = (seen.get(1) ?? []).map((c) => `${c.role}@${c.term}/${c.leader}`);
    const last = seen.get(1)?.at(-1) as RoleChange;
    assert.ok(last.term > t1, roles.join(' '));
    assert.deepEqual(last, one.roleState());
    assert.ok(
      roles.some((r) => r.startsWith('follower@') && r.endsWith('/2')),
      `node 1 saw node 2 lead: ${roles.join(' ')}`,
    );
    // Consecutive reports always differ.
    const all = seen.get(1) ?? [];
    for (let i = 1; i < all.length; i++) assert.notDeepEqual(all[i], all[i - 1]);
  });

  it('snapshots every N entries and restores the state machine on restart', async () => {
    cluster = new TestCluster([1, 2, 3], { snapshotEvery: 5 });
    const leader = await cluster.elect(1);
    for (let i = 0; i < 12; i++) await leader.node.propose(put(`s${i}`, String(i)));
    const m2 = cluster.get(2);
    await eventually(() => valueOf(m2.store, 's11') !== undefined);
    await eventually(() => m2.storage.snapshot().metadata.index >= 5, 5000, 'snapshot on node 2');
    await m2.node.stop();
    const restarted = cluster.start(2);
    await eventually(() => valueOf(restarted.store, 's11') === '11', 5000, 'replayed state');
    assert.deepEqual(restarted.store.counts(), m2.store.counts());
  });

  it('writes snapshots to disk piece by piece, and a restarted node restores from them', async () => {
    const dirs = new Map<number, string>();
    const storages = new Map<number, DiskStorage>();
    for (const id of [1, 2, 3]) {
      const dir = mkdtempSync(join(tmpdir(), `jobctl-raftnode-${id}-`));
      dirs.set(id, dir);
      storages.set(id, await DiskStorage.open({ dir }));
    }
    try {
      cluster = new TestCluster(
        [1, 2, 3],
        { snapshotEvery: 5 },
        (id) => storages.get(id) as DiskStorage,
      );
      const leader = await cluster.elect(1);
      for (let i = 0; i < 12; i++) await leader.node.propose(put(`s${i}`, String(i)));
      const m2 = cluster.get(2);
      const disk2 = storages.get(2) as DiskStorage;
      await eventually(() => valueOf(m2.store, 's11') !== undefined);
      await eventually(() => disk2.stats().snapshotsWritten >= 2, 5000, 'snapshots on node 2');
      await eventually(() => disk2.firstIndex() > 5, 5000, 'the log compacted');
      const files = readdirSync(join(dirs.get(2) as string, 'snap'));
      assert.ok(files.length > 0 && files.every((f) => f.endsWith('.snap')), files.join(' '));
      await m2.node.stop();
      await disk2.close();
      const reopened = await DiskStorage.open({ dir: dirs.get(2) as string });
      storages.set(2, reopened);
      const restarted = cluster.start(2, reopened);
      await eventually(() => valueOf(restarted.store, 's11') === '11', 5000, 'restored state');
      assert.deepEqual(restarted.store.counts(), m2.store.counts());
      assert.deepEqual(restarted.store.list('Job'), m2.store.list('Job'));
    } finally {
      await cluster?.stop();
      cluster = undefined;
      for (const s of storages.values()) await s.close();
      for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('also snapshots once the entries since the last snapshot hold snapshotBytes, and the log is dropped', async () => {
    // Entries alone would never trigger one here (snapshotEvery 0).
    cluster = new TestCluster([1, 2, 3], { snapshotEvery: 0, snapshotBytes: 2000 });
    const leader = await cluster.elect(1);
    const big = 'x'.repeat(300);
    for (let i = 0; i < 12; i++) await leader.node.propose(put(`b${i}`, big));
    const m1 = cluster.get(1);
    await eventually(() => m1.storage.snapshot().metadata.index > 0, 5000, 'a snapshot by bytes');
    // The log kept beside it is what came after it: the bytes before are gone.
    assert.ok(m1.storage.firstIndex() > 1);
  });

  it('snapshots again once the log holds snapshotLogRatio of the last snapshot, not all of it', async () => {
    cluster = new TestCluster([1, 2, 3], {
      snapshotEvery: 0,
      snapshotBytes: 1000,
      snapshotLogRatio: 0.25,
    });
    const leader = await cluster.elect(1);
    const m1 = cluster.get(1);
    // A state much larger than snapshotBytes.
    for (let i = 0; i < 40; i++) await leader.node.propose(put(`s${i}`, 'x'.repeat(1000)));
    await eventually(() => m1.storage.snapshot().metadata.index > 0, 5000, 'a first snapshot');
    // Small writes to one key (the state stays about the same size), noting
    // each entry's size, until two more snapshots have been taken: the log
    // between those two is what the rule let grow.
    const sizes = new Map<number, number>();
    const taken: { index: number; bytes: number }[] = [];
    for (let i = 0; taken.length < 3; i++) {
      assert.ok(i < 2000, `snapshots taken: ${JSON.stringify(taken)}`);
      await leader.node.propose(put('small', String(i).padStart(200, '0')));
      const last = m1.storage.lastIndex();
      sizes.set(last, m1.storage.entries(last, last + 1, Infinity)[0]?.data.length ?? 0);
      const snap = m1.storage.snapshot();
      if (snap.metadata.index !== taken[taken.length - 1]?.index) {
        taken.push({ index: snap.metadata.index, bytes: snap.data.length });
      }
      await new Promise((r) => setImmediate(r));
    }
    const [, b, c] = taken as [unknown, { index: number; bytes: number }, { index: number }];
    let logBytes = 0;
    for (const [index, size] of sizes) if (index > b.index && index <= c.index) logBytes += size;
    assert.ok(b.bytes > 40_000, `state of ${b.bytes} bytes`);
    // At least a quarter of the state (the rule), at most 1.5 times that (the
    // node's spread) and an entry; without the ratio it would have waited
    // for the state's own size.
    assert.ok(logBytes >= b.bytes * 0.25, `log ${logBytes} for a state of ${b.bytes}`);
    assert.ok(logBytes < b.bytes * 0.4, `log ${logBytes} for a state of ${b.bytes}`);
  });

  it('stops cleanly on a storage failure, failing pending proposals', async () => {
    let failing = false;
    let fatalCalls = 0;
    const make = (): MemoryStorage => {
      const s = new MemoryStorage({ peers: [1, 2, 3] });
      const save = s.save.bind(s);
      s.save = (u) =>
        failing ? Promise.reject(new Error('ENOSPC: no space left on device')) : save(u);
      return s;
    };
    const warnings: string[] = [];
    cluster = new TestCluster(
      [1, 2, 3],
      {
        onFatal: () => fatalCalls++,
        logger: { info: () => {}, warn: (m: string) => warnings.push(m), error: () => {} },
      },
      make,
    );
    const leader = await cluster.elect(1);
    await leader.node.propose(put('before', '1'));
    failing = true;
    await assert.rejects(
      leader.node.propose(put('after', '1')),
      (err: unknown) =>
        err instanceof JobctlError &&
        err.reason === Reason.Unavailable &&
        /ENOSPC/.test(err.message),
    );
    assert.ok(leader.node.isStopped());
    assert.equal(fatalCalls, 1);
    assert.equal(warnings.filter((w) => /fatal/.test(w)).length, 1);
    await assert.rejects(leader.node.propose(put('later', '1')), (err: unknown) =>
      isReason(err, Reason.Unavailable),
    );
  });
});
