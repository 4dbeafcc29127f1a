// The group-commit batcher: when batches leave (one turn after the first write
// when idle, when the entry in flight is applied, or at once when full; never
// on a timer), and that every write gets its own answer out of the entry's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommandBatcher, type BatchLimits } from '../../../pkg/api/command-batcher.js';
import {
  API_VERSION,
  decodeCommand,
  ResourceStore,
  type Command,
  type CommandResult,
  type EntryCommand,
} from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';

function job(name: string, extra: { resourceVersion?: string; image?: string } = {}): Command {
  return {
    op: 'apply',
    now: '2025-01-01T00:00:00Z',
    uid: `uid-${name}`,
    object: {
      apiVersion: API_VERSION,
      kind: 'Job',
      metadata: {
        name,
        ...(extra.resourceVersion ? { resourceVersion: extra.resourceVersion } : {}),
      },
      spec: {
        image: extra.image ?? 'busybox:latest',
        command: ['true'],
        resources: { cpu: '500m', memory: '256Mi' },
      },
    },
  };
}

/**
 * A batcher whose entries wait until the test commits them (to a real store,
 * at increasing indexes) or fails them, and whose deferred flushes run when
 * the test says the event-loop turn is over.
 */
function rig(limits: BatchLimits = {}, clock = new FakeClock()) {
  const store = new ResourceStore();
  const entries: {
    command: EntryCommand;
    data: Uint8Array;
    timeoutMs: number;
    commit(): void;
    fail(err: unknown): void;
  }[] = [];
  const deferred: (() => void)[] = [];
  let index = 0;
  const batcher = new CommandBatcher({
    ...limits,
    clock,
    defer: (fn) => deferred.push(fn),
    send: (data, { timeoutMs }) =>
      new Promise((resolve, reject) => {
        const command = decodeCommand(data);
        assert.ok('op' in command);
        entries.push({
          command,
          data,
          timeoutMs,
          commit: () => resolve(store.apply(++index, data)),
          fail: reject,
        });
      }),
  });
  return {
    store,
    batcher,
    entries,
    clock,
    /** Ends the event-loop turn: runs the deferred flushes. */
    endTurn(): void {
      for (const fn of deferred.splice(0)) fn();
    },
    deferredCount: () => deferred.length,
  };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function answer(r: CommandResult): string {
  if (!r.ok) return r.reason;
  if (r.outcome === 'batch') return 'batch';
  return `${r.outcome}@${r.object.metadata.resourceVersion}`;
}

describe('CommandBatcher', () => {
  it('sends a lone write on its own, one turn later, with nothing else scheduled', async () => {
    const r = rig();
    const done = r.batcher.propose(job('a'));
    assert.equal(r.entries.length, 0, 'waits for the turn to end');
    assert.equal(r.deferredCount(), 1);
    r.endTurn();
    assert.equal(r.entries.length, 1);
    assert.equal(r.entries[0]?.command.op, 'apply', 'a single command, not a group');
    assert.equal(r.deferredCount(), 0, 'nothing left scheduled: no timer while idle');
    r.entries[0]?.commit();
    assert.equal(answer(await done), 'created@1');
    assert.deepEqual(r.batcher.pending, { queued: 0, inFlight: 0 });
  });

  it('packs the writes of one turn into one entry, each with its own answer', async () => {
    const r = rig();
    const results = [
      r.batcher.propose(job('a')),
      r.batcher.propose(job('b')),
      r.batcher.propose(job('a', { image: 'other' })), // immutable field: Invalid
      r.batcher.propose(job('c')),
    ];
    r.endTurn();
    assert.equal(r.entries.length, 1);
    assert.equal(r.entries[0]?.command.op, 'group');
    r.entries[0]?.commit();
    assert.deepEqual((await Promise.all(results)).map(answer), [
      'created@1',
      'created@2',
      'Invalid',
      'created@3',
    ]);
  });

  it('lets writes wait while an entry commits, then sends them together when it is applied', async () => {
    const r = rig();
    const first = r.batcher.propose(job('a'));
    r.endTurn();
    assert.equal(r.entries.length, 1);
    // Three more turns of writes while the first entry commits.
    const later: Promise<CommandResult>[] = [];
    for (const name of ['b', 'c', 'd']) {
      later.push(r.batcher.propose(job(name)));
      r.endTurn();
    }
    // A conflicting write in the middle: a stale resourceVersion.
    later.push(r.batcher.propose(job('a', { resourceVersion: '999' })));
    later.push(r.batcher.propose(job('e')));
    r.endTurn();
    assert.equal(r.entries.length, 1, 'nothing leaves while the entry is in flight');
    assert.deepEqual(r.batcher.pending, { queued: 5, inFlight: 1 });
    r.entries[0]?.commit();
    assert.equal(answer(await first), 'created@1');
    await settle();
    assert.equal(r.entries.length, 2);
    const second = r.entries[1]?.command;
    assert.ok(second?.op === 'group');
    assert.equal(second.commands.length, 5);
    r.entries[1]?.commit();
    assert.deepEqual((await Promise.all(later)).map(answer), [
      'created@2',
      'created@3',
      'created@4',
      'Conflict',
      'created@5',
    ]);
  });

  it('sends a full batch at once, even with an entry in flight', async () => {
    const r = rig({ maxCommands: 3 });
    const all = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => r.batcher.propose(job(n)));
    // Two full batches left at once; the seventh write waits for its turn.
    assert.equal(r.entries.length, 2);
    r.endTurn();
    assert.equal(r.entries.length, 2, 'the rest waits: two entries are in flight');
    r.entries[0]?.commit();
    await settle();
    assert.equal(r.entries.length, 2, 'still one in flight');
    r.entries[1]?.commit();
    await settle();
    assert.equal(r.entries.length, 3);
    r.entries[2]?.commit();
    assert.deepEqual((await Promise.all(all)).map(answer), [
      'created@1',
      'created@2',
      'created@3',
      'created@4',
      'created@5',
      'created@6',
      'created@7',
    ]);
  });

  it('closes a batch before it passes maxBytes', async () => {
    const r = rig({ maxBytes: 700 });
    const all = ['a', 'b', 'c', 'd'].map((n) => r.batcher.propose(job(n)));
    r.endTurn();
    for (let i = 0; i < 4 && r.entries.some((e) => e); i++) {
      for (const e of r.entries.splice(0)) {
        assert.ok(e.data.length <= 700, `an entry of ${e.data.length} bytes`);
        e.commit();
      }
      await settle();
      r.endTurn();
    }
    assert.deepEqual((await Promise.all(all)).map(answer), [
      'created@1',
      'created@2',
      'created@3',
      'created@4',
    ]);
  });

  it('fails every write of an entry that fails, with the same error', async () => {
    const r = rig();
    const all = [r.batcher.propose(job('a')), r.batcher.propose(job('b'))];
    r.endTurn();
    r.entries[0]?.fail(
      new JobctlError(Reason.Timeout, 'proposal not committed before its deadline'),
    );
    for (const p of all) await assert.rejects(p, /proposal not committed/);
    assert.equal(r.store.revision, 0);
    assert.deepEqual(r.batcher.pending, { queued: 0, inFlight: 0 });
  });

  it('gives the entry the deadline of its oldest write, and times out writes that waited too long', async () => {
    const clock = new FakeClock();
    const r = rig({}, clock);
    const first = r.batcher.propose(job('a'));
    r.endTurn();
    assert.equal(r.entries[0]?.timeoutMs, 5000);
    clock.advance(1000);
    const second = r.batcher.propose(job('b')); // deadline 6000
    clock.advance(1500);
    const third = r.batcher.propose(job('c')); // deadline 7500
    r.endTurn();
    clock.advance(3500); // the second write's deadline passes while the first entry commits
    r.entries[0]?.commit();
    await first;
    await assert.rejects(
      second,
      (err: unknown) => err instanceof JobctlError && err.reason === Reason.Timeout,
    );
    await settle();
    assert.equal(r.entries.length, 2);
    assert.equal(r.entries[1]?.command.op, 'apply', 'only the third write left');
    assert.equal(r.entries[1]?.timeoutMs, 1500);
    r.entries[1]?.commit();
    assert.equal(answer(await third), 'created@2');
  });

  it('stops holding writes behind an entry in flight once released (a new leader)', async () => {
    const r = rig();
    const lost = r.batcher.propose(job('a'));
    r.endTurn();
    const next = r.batcher.propose(job('b'));
    r.endTurn();
    assert.equal(r.entries.length, 1, 'b waits for the entry in flight');
    r.batcher.release();
    assert.equal(r.entries.length, 2, 'b leaves at once');
    r.entries[1]?.commit();
    assert.equal(answer(await next), 'created@1');
    // The entry sent before keeps its writer, and its end does not upset the count.
    r.entries[0]?.fail(
      new JobctlError(Reason.Timeout, 'proposal not committed before its deadline'),
    );
    await assert.rejects(lost, /deadline/);
    assert.deepEqual(r.batcher.pending, { queued: 0, inFlight: 0 });
    const third = r.batcher.propose(job('c'));
    r.endTurn();
    assert.equal(r.entries.length, 3);
    r.entries[2]?.commit();
    assert.equal(answer(await third), 'created@2');
  });

  it('refuses a write at once when too many wait (TooManyRequests)', async () => {
    const r = rig({ maxQueued: 2 });
    const ok = [r.batcher.propose(job('a')), r.batcher.propose(job('b'))];
    await assert.rejects(
      r.batcher.propose(job('c')),
      (err: unknown) => err instanceof JobctlError && err.reason === Reason.TooManyRequests,
    );
    r.endTurn();
    r.entries[0]?.commit();
    assert.deepEqual((await Promise.all(ok)).map(answer), ['created@1', 'created@2']);
  });
});
