// The order in which the RaftNode shell carries out Readies (pkg/raft/node.ts,
// handleReady; the contract is on Ready in pkg/raft/types.ts), driven by a
// scripted core so that every step is visible. The messages that may leave go
// first and the write is issued next. Committed entries are applied at once,
// without waiting for this node's own write of them (committed means durable
// on a quorum), and the shell takes the next Ready while the write runs. What
// vouches for this node's disk waits for it: the MsgAppResp leaves, and
// persisted() is called, only once the write is durable, in hand-out order.
// (Before this contract, the shell applied the Ready's own entries after the
// write and took no Ready until then: a follower's apply of an entry, and a
// leader's commit on two followers' acks, waited for its own fsync.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RaftCore } from '../../../pkg/raft/config.js';
import { RaftNode, type RaftNetwork } from '../../../pkg/raft/node.js';
import type { StateMachine } from '../../../pkg/raft/state-machine.js';
import { MemoryStorage } from '../../../pkg/raft/storage/memory.js';
import type { Entry, Message, Ready } from '../../../pkg/raft/types.js';
import { eventuallyTrue as eventually } from '../../support/eventually.js';

const entry = (index: number, type: Entry['type'] = 'normal'): Entry => ({
  term: 1,
  index,
  type,
  data:
    type === 'normal'
      ? new Uint8Array([index])
      : new TextEncoder().encode(JSON.stringify({ type: 'addLearner', nodeId: 3 })),
});

/** A core that hands out scripted Readies, one per ready(), and records the acknowledgements. */
function scriptedCore(readies: Ready[], log: string[]): RaftCore {
  const unused = (): never => {
    throw new Error('not used by this test');
  };
  const name = (rd: Ready): string => `rd${readies.indexOf(rd) + 1}`;
  let next = 0;
  return {
    tick: () => {},
    step: () => {},
    propose: unused,
    proposeBatch: unused,
    proposeConfChange: unused,
    applyConfChange: () => {
      log.push('applyConfChange');
      return { voters: [1, 2], learners: [3] };
    },
    readIndex: unused,
    transferLeader: unused,
    campaign: unused,
    reportUnreachable: () => {},
    hasReady: () => next < readies.length,
    ready: () => readies[next++] as Ready,
    persisted: (rd) => log.push(`persisted ${name(rd)}`),
    applied: (rd) => log.push(`applied ${name(rd)}`),
    advance: unused,
    status: () => ({
      id: 1,
      term: 1,
      vote: 1,
      commit: 0,
      applied: 0,
      lastIndex: 0,
      lead: 1,
      role: 'leader',
    }),
  };
}

/** A storage whose every save becomes durable only when the test says so (durable()). */
async function gatedStorage(
  log: string[],
): Promise<{ storage: MemoryStorage; durable: () => void }> {
  const storage = new MemoryStorage({ peers: [1, 2] });
  const save = storage.save.bind(storage);
  await save({ entries: [entry(1), entry(2)] });
  const gates: (() => void)[] = [];
  storage.save = async (update) => {
    log.push(`save ${update.entries.map((e) => e.index).join(',') || '-'}`);
    const fsync = new Promise<void>((resolve) => gates.push(resolve));
    await save(update);
    await fsync;
    log.push('durable');
  };
  const durable = (): void => {
    const open = gates.shift();
    assert.ok(open, 'a save is in flight');
    open();
  };
  return { storage, durable };
}

function recordingNode(core: RaftCore, storage: MemoryStorage, log: string[]): RaftNode {
  const sm: StateMachine = {
    apply: (index) => log.push(`apply ${index}`),
    snapshot: () => new Uint8Array(0),
    restore: () => {},
  };
  const network: RaftNetwork = {
    send: (msgs: readonly Message[]) => log.push(`send ${msgs.map((m) => m.type).join(',')}`),
    onMessage: () => {},
    onUnreachable: () => {},
  };
  return new RaftNode({
    id: 1,
    core,
    storage,
    stateMachine: sm,
    network,
    initialConfState: { voters: [1, 2], learners: [] },
    tickMs: 60_000,
  });
}

const app = (commit: number, entries: Entry[]): Message => ({
  type: 'app',
  from: 1,
  to: 2,
  term: 1,
  index: 2,
  logTerm: 1,
  commit,
  entries,
});

const ack: Message = {
  type: 'appResp',
  from: 1,
  to: 2,
  term: 1,
  index: 4,
  reject: false,
  rejectHint: 0,
  logTermHint: 0,
};

describe('RaftNode shell: the steps of a Ready', () => {
  it('applies committed entries during the write, takes the next Ready, and acks once durable', async () => {
    const log: string[] = [];
    const { storage, durable } = await gatedStorage(log);
    // Ready 1 appends 3 and 4; 1 and 2 (durable from earlier) and 3 (in this
    // very write) are committed. Ready 2, taken while that write runs, moves
    // the commit index to 4 (the followers' acks came back first).
    const rd1: Ready = {
      hardState: { term: 1, vote: 1, commit: 3 },
      entries: [entry(3), entry(4)],
      committedEntries: [entry(1), entry(2), entry(3)],
      messages: [app(3, [entry(3), entry(4)])],
      messagesAfterPersist: [ack],
      readStates: [],
      mustSync: true,
    };
    const rd2: Ready = {
      hardState: { term: 1, vote: 1, commit: 4 },
      entries: [],
      committedEntries: [entry(4)],
      messages: [app(4, [])],
      messagesAfterPersist: [],
      readStates: [],
      mustSync: false,
    };
    const node = recordingNode(scriptedCore([rd1, rd2], log), storage, log);
    node.start();
    try {
      await eventually(() => log.includes('applied rd2'), 5000, 'both Readies applied');
      // Nothing is durable yet: both writes are in flight, every committed
      // entry is applied, the new commit index has left, the ack has not.
      assert.deepEqual(log, [
        'send app',
        'save 3,4',
        'apply 1',
        'apply 2',
        'apply 3',
        'applied rd1',
        'send app',
        'save -',
        'apply 4',
        'applied rd2',
      ]);
      log.length = 0;
      durable();
      await eventually(() => log.includes('persisted rd1'), 5000, 'first write acknowledged');
      assert.deepEqual(log, ['durable', 'send appResp', 'persisted rd1']);
      log.length = 0;
      durable();
      await eventually(() => log.includes('persisted rd2'), 5000, 'second write acknowledged');
      assert.deepEqual(log, ['durable', 'persisted rd2']);
    } finally {
      await node.stop();
    }
  });

  it('acknowledges writes in order even when a later one is durable first', async () => {
    const log: string[] = [];
    const storage = new MemoryStorage({ peers: [1, 2] });
    const save = storage.save.bind(storage);
    const gates: (() => void)[] = [];
    storage.save = async (update) => {
      const n = gates.length + 1;
      log.push(`save ${n}`);
      await save(update);
      await new Promise<void>((resolve) => gates.push(resolve));
      log.push(`durable ${n}`);
    };
    const rd = (i: number, after: Message[]): Ready => ({
      entries: [entry(i)],
      committedEntries: [],
      messages: [],
      messagesAfterPersist: after,
      readStates: [],
      mustSync: true,
    });
    const rd1 = rd(1, [{ ...ack, index: 1 }]);
    const rd2 = rd(2, [{ ...ack, index: 2 }]);
    const node = recordingNode(scriptedCore([rd1, rd2], log), storage, log);
    node.start();
    try {
      await eventually(() => gates.length === 2, 5000, 'both writes issued');
      (gates[1] as () => void)();
      await eventually(() => log.includes('durable 2'), 5000, 'second write durable');
      assert.ok(!log.includes('persisted rd2'), 'not acknowledged before the first write');
      (gates[0] as () => void)();
      await eventually(() => log.includes('persisted rd2'), 5000, 'both acknowledged');
      const acks = log.filter((l) => l.startsWith('send') || l.startsWith('persisted'));
      assert.deepEqual(acks, ['send appResp', 'persisted rd1', 'send appResp', 'persisted rd2']);
    } finally {
      await node.stop();
    }
  });

  it('applies a membership change only once every write issued before it is durable', async () => {
    const log: string[] = [];
    const { storage, durable } = await gatedStorage(log);
    const rd1: Ready = {
      hardState: { term: 1, vote: 1, commit: 3 },
      entries: [entry(3, 'confChange')],
      committedEntries: [entry(2), entry(3, 'confChange')],
      messages: [],
      messagesAfterPersist: [],
      readStates: [],
      mustSync: true,
    };
    const node = recordingNode(scriptedCore([rd1], log), storage, log);
    node.start();
    try {
      await eventually(() => log.includes('apply 2'), 5000, 'the normal entry applied');
      assert.deepEqual(log, ['save 3', 'apply 2']);
      durable();
      await eventually(() => log.includes('applied rd1'), 5000, 'the change applied');
      assert.deepEqual(log, [
        'save 3',
        'apply 2',
        'durable',
        'persisted rd1',
        'applyConfChange',
        'applied rd1',
      ]);
    } finally {
      await node.stop();
    }
  });
});
