// Where a finished Run's log copy goes (as many peers as the cluster survives
// failures, Ready ones first, the next one when a peer fails) and the sweep
// that removes copies of Runs that are gone.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLogCopy, writeLogCopy } from '../../../pkg/agent/index.js';
import type { RunLogCopy } from '../../../pkg/client/index.js';
import { LogCopyJanitor, PeerLogCopySender } from '../../../pkg/node/log-copies.js';
import { silentLogger } from '../../../pkg/reconcile/index.js';
import type { Node, Run } from '../../../pkg/store/index.js';
import { isReason, Reason } from '../../../pkg/util/errors.js';

const node = (name: string, ready = true): Node =>
  ({
    metadata: { name },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }) as unknown as Node;

const copy = (runUid: string, run = `r-${runUid}`): RunLogCopy => ({
  namespace: 'default',
  run,
  runUid,
  node: 'n1',
  savedAt: '2026-01-01T00:00:00.000Z',
  offset: 0,
  cut: false,
  data: Buffer.from('out\n'),
});

function sender(nodes: Node[], failing: ReadonlySet<string> = new Set()) {
  const saved: string[] = [];
  const s = new PeerLogCopySender({
    nodeName: 'n1',
    nodes: () => nodes,
    addressOf: (name) => `addr-${name}`,
    save: async (address) => {
      if (failing.has(address)) throw new Error('refused');
      saved.push(address);
    },
  });
  return { s, saved };
}

describe('PeerLogCopySender', () => {
  it('3 nodes: one copy, on a Ready peer', async () => {
    const { s, saved } = sender([node('n1'), node('n2', false), node('n3')]);
    assert.deepEqual(await s.send(copy('u1')), ['n3']);
    assert.deepEqual(saved, ['addr-n3']);
  });

  it('5 nodes: two copies; a peer that fails is passed over', async () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n));
    const first = await sender(nodes).s.send(copy('u2'));
    assert.equal(first.length, 2);
    const { s } = sender(nodes, new Set([`addr-${first[0]}`]));
    const took = await s.send(copy('u2'));
    assert.equal(took.length, 2);
    assert.ok(!took.includes(first[0] as string));
  });

  it('spreads copies over the peers by the Run', async () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n));
    const used = new Set<string>();
    for (let i = 0; i < 20; i++)
      for (const n of await sender(nodes).s.send(copy(`u${i}`))) used.add(n);
    assert.equal(used.size, 4);
  });

  it('alone: nothing to do; every peer failing: Unavailable', async () => {
    assert.deepEqual(await sender([node('n1')]).s.send(copy('u3')), []);
    const { s } = sender([node('n1'), node('n2')], new Set(['addr-n2']));
    await assert.rejects(s.send(copy('u3')), (err: unknown) => isReason(err, Reason.Unavailable));
  });
});

describe('LogCopyJanitor', () => {
  it('removes the copies whose Run is gone or was replaced, keeps the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jobctl-janitor-'));
    try {
      await writeLogCopy(dir, copy('live'));
      await writeLogCopy(dir, copy('gone'));
      await writeLogCopy(dir, copy('old', 'r-same'));
      const runs: Record<string, string> = { 'r-live': 'live', 'r-same': 'new-uid' };
      const janitor = new LogCopyJanitor({
        dataDir: dir,
        getRun: (_ns, name) =>
          runs[name] ? ({ metadata: { name, uid: runs[name] } } as unknown as Run) : undefined,
        logger: silentLogger,
      });
      assert.equal(await janitor.sweep(), 2);
      assert.ok(await readLogCopy(dir, 'live'));
      assert.equal(await readLogCopy(dir, 'gone'), undefined);
      assert.equal(await readLogCopy(dir, 'old'), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
