// The order in which the RaftNode shell carries out one Ready (pkg/raft/node.ts,
// handleReady), driven by a scripted core so that every step is visible: the
// messages that may leave go first, the write is issued next, entries committed
// in earlier Readies are applied while it is in flight, and this Ready's own
// entries, and the messages that vouch for them, wait until it is durable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RaftCore } from '../../../pkg/raft/config.js';
import { RaftNode, type RaftNetwork } from '../../../pkg/raft/node.js';
import type { StateMachine } from '../../../pkg/raft/state-machine.js';
import { MemoryStorage } from '../../../pkg/raft/storage/memory.js';
import type { Entry, Message, Ready } from '../../../pkg/raft/types.js';
import { eventuallyTrue as eventually } from '../../support/eventually.js';

const entry = (index: number): Entry => ({
  term: 1,
  index,
  type: 'normal',
  data: new Uint8Array([index]),
});

/** A core that hands out one scripted Ready and records what the shell does with it. */
function scriptedCore(rd: Ready, log: string[]): RaftCore {
  let given = false;
  const unused = (): never => {
    throw new Error('not used by this test');
  };
  return {
    tick: () => {},
    step: () => {},
    propose: unused,
    proposeBatch: unused,
    proposeConfChange: unused,
    applyConfChange: unused,
    readIndex: unused,
    transferLeader: unused,
    campaign: unused,
    reportUnreachable: () => {},
    hasReady: () => !given,
    ready: () => {
      given = true;
      return rd;
    },
    advance: () => log.push('advance'),
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

describe('RaftNode shell: the steps of one Ready', () => {
  it('sends, issues the write, applies earlier commits during it, and the rest after it', async () => {
    const log: string[] = [];
    let durable!: () => void;
    const storage = new MemoryStorage({ peers: [1, 2] });
    const save = storage.save.bind(storage);
    await save({ entries: [entry(1), entry(2)] });
    storage.save = async (update) => {
      log.push(`save ${update.entries.map((e) => e.index).join(',')}`);
      const fsync = new Promise<void>((resolve) => (durable = resolve));
      await save(update);
      await fsync;
      log.push('durable');
    };
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
    const app: Message = {
      type: 'app',
      from: 1,
      to: 2,
      term: 1,
      index: 2,
      logTerm: 1,
      commit: 2,
      entries: [entry(3), entry(4)],
    };
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
    // Entries 1 and 2 were appended (and made durable) by earlier Readies and
    // are committed now; 3 and 4 are appended by this one and already
    // committed too (a single-voter leader's own append).
    const rd: Ready = {
      hardState: { term: 1, vote: 1, commit: 4 },
      entries: [entry(3), entry(4)],
      committedEntries: [entry(1), entry(2), entry(3), entry(4)],
      messages: [app],
      messagesAfterPersist: [ack],
      readStates: [],
      mustSync: true,
    };
    const node = new RaftNode({
      id: 1,
      core: scriptedCore(rd, log),
      storage,
      stateMachine: sm,
      network,
      initialConfState: { voters: [1, 2], learners: [] },
      tickMs: 60_000,
    });
    node.start();
    try {
      await eventually(() => log.includes('apply 2'), 5000, 'earlier commits applied');
      // The write is in flight (not yet durable), and only entries committed
      // before this Ready have been applied.
      assert.deepEqual(log, ['send app', 'save 3,4', 'apply 1', 'apply 2']);
      durable();
      await eventually(() => log.includes('advance'), 5000, 'Ready advanced');
      assert.deepEqual(log, [
        'send app',
        'save 3,4',
        'apply 1',
        'apply 2',
        'durable',
        'send appResp',
        'apply 3',
        'apply 4',
        'advance',
      ]);
    } finally {
      durable?.();
      await node.stop();
    }
  });
});
