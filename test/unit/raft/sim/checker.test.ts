// The checker must be able to fail: fed a deliberately bad history, or run
// against a deliberately broken core, it throws an InvariantViolation that names
// the invariant, the seed and the step, and a replay reproduces it exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Cluster,
  InvariantChecker,
  InvariantViolation,
  SimStorage,
  dataBytes,
  rawNodeFactory,
  replay,
  runSimulation,
} from '../../../../pkg/raft/testing/index.js';
import type { CoreFactory, RunOptions } from '../../../../pkg/raft/testing/index.js';
import type { RaftCore } from '../../../../pkg/raft/config.js';
import type { Entry, Message, Ready } from '../../../../pkg/raft/types.js';

function checker(): InvariantChecker {
  return new InvariantChecker(() => ({
    seed: 77,
    step: 12,
    traceTail: ['11: something happened'],
    replayHint: 'replay(77)',
  }));
}

function ent(index: number, term: number, data: string): Entry {
  return { index, term, type: 'normal', data: dataBytes(data) };
}

/** A disk holding `entries` (as if written and synced by a shell). */
function disk(entries: Entry[], commit = 0): SimStorage {
  const s = new SimStorage();
  const last = entries[entries.length - 1];
  s.write({ entries, hardState: { term: last?.term ?? 0, vote: 0, commit } });
  s.sync();
  return s;
}

function throwsViolation(fn: () => void, invariant: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvariantViolation, `expected InvariantViolation, got ${String(err)}`);
    assert.equal(err.invariant, invariant);
    assert.match(err.message, /seed=77 step=12/);
    assert.match(err.message, /replay\(77\)/);
    assert.match(err.message, /something happened/);
    return true;
  });
}

test('checker: two leaders in one term', () => {
  const c = checker();
  c.onLeader(1, 3, disk([]));
  c.onLeader(1, 3, disk([])); // the same leader again is fine
  throwsViolation(() => c.onLeader(2, 3, disk([])), 'election safety');
});

test('checker: log matching (same index and term, different data or prefix)', () => {
  const c = checker();
  const a = disk([ent(1, 1, 'x'), ent(2, 1, 'y')]);
  c.onLogWrite(1, a, a.logEntries());
  const b = disk([ent(1, 1, 'x'), ent(2, 1, 'z')]);
  throwsViolation(() => c.onLogWrite(2, b, b.logEntries()), 'log matching');
  const d = disk([ent(1, 2, 'w'), ent(2, 1, 'y')]);
  throwsViolation(() => c.onLogWrite(3, d, d.logEntries()), 'log terms monotonic');
  const c2 = checker();
  c2.onLogWrite(1, a, a.logEntries());
  const e = disk([ent(1, 1, 'q'), ent(2, 1, 'y')]);
  throwsViolation(() => c2.onLogWrite(2, e, e.logEntries()), 'log matching');
});

test('checker: a committed entry changes', () => {
  const c = checker();
  c.onCommit(1, 2, 1, disk([ent(1, 1, 'x'), ent(2, 1, 'y')]));
  throwsViolation(
    () => c.onCommit(2, 2, 2, disk([ent(1, 1, 'x'), ent(2, 2, 'other')])),
    'committed entry changed',
  );
});

test('checker: apply out of order, or a different entry', () => {
  const c = checker();
  c.onApply(1, { index: 1, term: 1, data: 'a' }, 1);
  throwsViolation(() => c.onApply(1, { index: 3, term: 1, data: 'c' }, 1), 'apply in order');
  throwsViolation(
    () => c.onApply(2, { index: 1, term: 1, data: 'b' }, 1),
    'committed entry changed',
  );
});

test('checker: leader completeness', () => {
  const c = checker();
  c.onCommit(1, 2, 1, disk([ent(1, 1, 'x'), ent(2, 1, 'y')]));
  throwsViolation(() => c.onLeader(2, 2, disk([ent(1, 1, 'x')])), 'leader completeness');
});

test('checker: a stale ReadIndex answer', () => {
  const c = checker();
  c.onCommit(1, 2, 1, disk([ent(1, 1, 'x'), ent(2, 1, 'y')]));
  c.onReadIssued(2, 'r1');
  c.onReadState(2, { context: 'r1', index: 2 });
  c.onReadIssued(3, 'r2');
  throwsViolation(() => c.onReadState(3, { context: 'r2', index: 1 }), 'linearizable read');
});

test('checker: commit index goes backwards, or below the durable commit on restart', () => {
  const c = checker();
  c.onCommitIndex(1, 5);
  throwsViolation(() => c.onCommitIndex(1, 4), 'commit monotonic');
  throwsViolation(() => c.onRestart(1, 5, 3), 'commit survives restart');
});

// ---- broken cores: the whole simulator must notice ---------------------------

/** Wraps the real core, rewriting what goes in or comes out. */
function broken(hooks: {
  ready?: (rd: Ready) => Ready;
  step?: (m: Message) => Message;
}): CoreFactory {
  return (config) => {
    const inner: RaftCore = rawNodeFactory(config);
    const handedOut = new Map<Ready, Ready>();
    return {
      ...Object.fromEntries(
        (
          [
            'tick',
            'propose',
            'proposeBatch',
            'proposeConfChange',
            'applyConfChange',
            'readIndex',
            'transferLeader',
            'campaign',
            'hasReady',
            'reportUnreachable',
            'status',
          ] as const
        ).map((k) => [k, (...args: never[]) => (inner[k] as (...a: never[]) => unknown)(...args)]),
      ),
      step: (m: Message) => inner.step(hooks.step ? hooks.step(m) : m),
      ready: () => {
        const rd = inner.ready();
        const out = hooks.ready ? hooks.ready(rd) : rd;
        handedOut.set(out, rd);
        return out;
      },
      // A Ready is acknowledged twice (persisted, applied); advance is both.
      persisted: (rd: Ready) => inner.persisted(handedOut.get(rd) ?? rd),
      applied: (rd: Ready) => {
        const orig = handedOut.get(rd) ?? rd;
        handedOut.delete(rd);
        inner.applied(orig);
      },
      advance: (rd: Ready) => {
        const orig = handedOut.get(rd) ?? rd;
        handedOut.delete(rd);
        inner.advance(orig);
      },
    } as RaftCore;
  };
}

function firstViolation(
  core: CoreFactory,
  invariants: string[],
  options: RunOptions = {},
): { seed: number; err: InvariantViolation } {
  for (let seed = 1; seed <= 300; seed++) {
    try {
      runSimulation(seed, { ...options, core });
    } catch (err) {
      assert.ok(err instanceof InvariantViolation, String(err));
      assert.ok(invariants.includes(err.invariant), `unexpected: ${err.message}`);
      return { seed, err };
    }
  }
  assert.fail(`no seed caught the bug (expected ${invariants.join(' or ')})`);
}

test('broken core: a candidate that counts rejected votes elects two leaders per term', () => {
  const core = broken({
    step: (m) => (m.type === 'voteResp' || m.type === 'preVoteResp' ? { ...m, reject: false } : m),
  });
  const { seed, err } = firstViolation(core, [
    'election safety',
    'commit is durable on a quorum',
    'log matching',
    'committed entry changed',
    'leader completeness',
  ]);
  assert.match(err.message, new RegExp(`seed=${seed} step=${err.step}`));
  assert.match(err.message, /trace tail/);
  // replay() reproduces the violation exactly.
  assert.throws(
    () => replay(seed, { core }),
    (again: unknown) => again instanceof InvariantViolation && again.message === err.message,
  );
});

test('broken core: ReadIndex answered from a stale commit index', () => {
  const core = broken({
    ready: (rd) =>
      rd.readStates.length === 0
        ? rd
        : {
            ...rd,
            readStates: rd.readStates.map((r) => ({ ...r, index: Math.max(0, r.index - 3) })),
          },
  });
  firstViolation(core, ['linearizable read']);
});

test('broken core: entries acknowledged without fsync are lost in a crash', () => {
  // Claims nothing needs syncing: the checker flags the Ready itself.
  firstViolation(broken({ ready: (rd) => ({ ...rd, mustSync: false }) }), ['mustSync']);
});

test('broken core: a leader that takes a rejected append for a success', () => {
  // The leader believes the follower matches where it does not, so it commits
  // entries a majority does not hold; a later leader lacks or replaces them.
  const core = broken({
    step: (m) => (m.type === 'appResp' && m.reject ? { ...m, reject: false } : m),
  });
  firstViolation(core, [
    'committed entry changed',
    'leader completeness',
    'committed entry overwritten',
    'apply what was persisted',
    'commit within log',
    'commit is durable on a quorum',
    'liveness',
  ]);
});

/**
 * A votes for itself and gets C's vote in term 1; C crashes and restarts; B
 * campaigns in term 1 and asks C. A correct C remembers its vote and refuses.
 */
function doubleVote(core: CoreFactory): void {
  const c = new Cluster({
    seed: 9,
    nodes: 3,
    core,
    preVote: false,
    checkQuorum: false,
    replayHint: 'doubleVote',
  });
  const [a, b, v] = [1, 2, 3];
  c.network.cut(a, b);
  c.network.cut(b, v);
  c.campaign(a);
  c.runUntil(() => c.status(a)?.role === 'leader', 10, 'A wins term 1');
  c.network.cut(a, v); // A's first append never reaches C, so B's log is as good as C's
  c.crash(v);
  c.restart(v);
  c.network.link(b, v);
  c.campaign(b);
  c.run(5);
  assert.equal(c.status(a)?.term, 1);
}

test('broken core: a node that forgets its vote votes twice after a crash', () => {
  doubleVote(rawNodeFactory); // the real core: no violation
  const forgetful = broken({
    ready: (rd) => (rd.hardState ? { ...rd, hardState: { ...rd.hardState, vote: 0 } } : rd),
  });
  // Its grant vouches for a vote its disk does not hold; without that check
  // the second grant would elect a second leader in term 1.
  throwsViolationAnySeed(() => doubleVote(forgetful), ['persisted before sent', 'election safety']);
});

function throwsViolationAnySeed(fn: () => void, invariants: readonly string[]): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof InvariantViolation && invariants.includes(err.invariant),
  );
}

// ---- persistence before sending ------------------------------------------------

test('checker: a message vouching for what its sender has not made durable', () => {
  const c = checker();
  const s = disk([ent(1, 1, 'x')]);
  s.write({ entries: [ent(2, 1, 'y')], hardState: { term: 2, vote: 3, commit: 0 } });
  const base = { from: 1, to: 3, rejectHint: 0, logTermHint: 0 };
  // What is on the platter may be vouched for...
  c.onSend(1, { ...base, type: 'appResp', term: 1, index: 1, reject: false }, s);
  // ...what is only in the page cache may not.
  throwsViolation(
    () => c.onSend(1, { ...base, type: 'appResp', term: 1, index: 2, reject: false }, s),
    'persisted before sent',
  );
  throwsViolation(
    () => c.onSend(1, { from: 1, to: 3, type: 'voteResp', term: 2, reject: false }, s),
    'persisted before sent',
  );
  throwsViolation(
    () =>
      c.onSend(
        1,
        { from: 1, to: 2, type: 'vote', term: 2, lastLogIndex: 2, lastLogTerm: 1, transfer: false },
        s,
      ),
    'persisted before sent',
  );
  s.sync();
  c.onSend(1, { ...base, type: 'appResp', term: 2, index: 2, reject: false }, s);
  c.onSend(1, { from: 1, to: 3, type: 'voteResp', term: 2, reject: false }, s);
});

test('checker: a leader commits an entry a quorum does not hold on disk', () => {
  const c = checker();
  const leader = disk([ent(1, 1, 'x')]);
  leader.write({ entries: [ent(2, 1, 'y')] });
  const f2 = disk([ent(1, 1, 'x'), ent(2, 1, 'y')]);
  const f3 = disk([ent(1, 1, 'x')]);
  const disks = new Map([
    [1, leader],
    [2, f2],
    [3, f3],
  ]);
  const of = (id: number): SimStorage => disks.get(id) as SimStorage;
  c.onLeaderCommit(1, 1, 1, [1, 2, 3], of);
  throwsViolation(() => c.onLeaderCommit(1, 2, 1, [1, 2, 3], of), 'commit is durable on a quorum');
  leader.sync();
  checker().onLeaderCommit(1, 2, 1, [1, 2, 3], of); // now on two disks of three
});

test('broken core: acknowledgements sent before the write is durable', () => {
  // A core that lets every message leave at once: a crash before the fsync
  // loses a vote or an entry some peer already relied on.
  const core = broken({
    ready: (rd) => ({
      ...rd,
      messages: [...rd.messages, ...rd.messagesAfterPersist],
      messagesAfterPersist: [],
    }),
  });
  firstViolation(core, ['persisted before sent']);
});

test('broken core: a leader that counts its own append before it is persisted', () => {
  // The leader acknowledges its entries to itself as soon as it hands them
  // out, while its MsgApps leave before its own fsync: one follower's ack
  // then commits an entry that is durable on that follower alone.
  const core: CoreFactory = (config) => {
    const inner = broken({})(config);
    return {
      ...inner,
      ready: () => {
        const rd = inner.ready();
        const st = inner.status();
        const last = rd.entries[rd.entries.length - 1];
        if (st.role === 'leader' && last !== undefined) {
          inner.step({
            type: 'appResp',
            from: st.id,
            to: st.id,
            term: st.term,
            index: last.index,
            reject: false,
            rejectHint: 0,
            logTermHint: 0,
          });
        }
        return rd;
      },
    };
  };
  firstViolation(core, ['commit is durable on a quorum'], { pipelined: true });
});
