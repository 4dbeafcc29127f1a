// A joined node's promotion loop (pkg/node/join.ts): it asks to be promoted
// while it is a learner, and keeps going through the window where the first
// snapshot it installed predates its addition (its configuration lists it
// nowhere, Raft counts it removed) until the log adds it again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterAdmin } from '../../../pkg/api/index.js';
import { promotion } from '../../../pkg/node/join.js';
import { createNodeLogger } from '../../../pkg/node/logger.js';
import type { RaftNode } from '../../../pkg/raft/index.js';
import { eventually } from '../../support/eventually.js';

test('promotion keeps asking through a snapshot that predates the join', async () => {
  const self = 7;
  let conf = { voters: [1, 2, 3], learners: [] as number[] };
  /** How often the loop has looked at the configuration. */
  let looks = 0;
  const raft = {
    id: self,
    membership: () => {
      looks++;
      return conf;
    },
    isRemoved: () => !conf.voters.includes(self) && !conf.learners.includes(self),
    leader: () => 1,
  } as unknown as RaftNode;
  let asked = 0;
  const admin = {
    promoteMember: async (id: number) => {
      asked++;
      conf = { voters: [...conf.voters, id], learners: [] };
      return undefined;
    },
  } as unknown as ClusterAdmin;
  const logger = createNodeLogger({ level: 'error', format: 'json', base: {} });
  const p = promotion({ raft, admin, logger });
  void p.start?.();
  try {
    // The first rounds fall in the window: nothing to ask yet, but the loop must live on.
    await eventually('two rounds in the window', () => (looks >= 2 ? true : undefined), 10_000, 20);
    assert.equal(asked, 0);
    conf = { voters: [1, 2, 3], learners: [self] };
    await eventually('promoted', () => (asked === 1 ? true : undefined), 5000, 50);
    assert.deepEqual(conf.voters, [1, 2, 3, self]);
  } finally {
    await p.stop?.();
  }
});
