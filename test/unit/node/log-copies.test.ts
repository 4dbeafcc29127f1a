// Where a finished Run's log copy goes (as many peers as the cluster survives
// failures, Ready ones first, the next one when a peer fails) and the sweep
// that removes copies of Runs that are gone, the logs of the Runs a node ran
// once they are gone, and their lines in the journal of copies handed over.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  LogCopier,
  copiedJournalPath,
  readLogCopy,
  runLogDir,
  writeLogCopy,
} from '../../../pkg/agent/index.js';
import { readJournal } from '../../../pkg/runtime/index.js';
import type { RunLogCopy } from '../../../pkg/client/index.js';
import {
  RunLogJanitor,
  PeerLogCopySender,
  RUN_LOG_REMOVE_AFTER_MS,
} from '../../../pkg/node/log-copies.js';
import { silentLogger } from '../../../pkg/reconcile/index.js';
import type { Node } from '../../../pkg/store/index.js';
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

/** `failing`: addresses that do not answer; `refusing`: `address/runUid` pairs a peer will not keep. */
/** One copy through sendMany: the nodes that keep it; rejects as the copy's error. */
async function sendOne(s: PeerLogCopySender, c: RunLogCopy): Promise<readonly string[]> {
  const [result] = await s.sendMany([c]);
  if (result instanceof Error) throw result;
  return result ?? [];
}

function sender(
  nodes: Node[],
  failing: ReadonlySet<string> = new Set(),
  refusing: ReadonlySet<string> = new Set(),
) {
  const saved: string[] = [];
  const calls: { address: string; runUids: string[] }[] = [];
  const s = new PeerLogCopySender({
    nodeName: 'n1',
    nodes: () => nodes,
    addressOf: (name) => `addr-${name}`,
    saveMany: async (address, copies) => {
      calls.push({ address, runUids: copies.map((c) => c.runUid) });
      if (failing.has(address)) throw new Error('refused');
      return copies.map((c) => {
        if (refusing.has(`${address}/${c.runUid}`)) return 'disk full';
        saved.push(address);
        return '';
      });
    },
  });
  return { s, saved, calls };
}

describe('PeerLogCopySender', () => {
  it('3 nodes: one copy, on a Ready peer', async () => {
    const { s, saved } = sender([node('n1'), node('n2', false), node('n3')]);
    assert.deepEqual(await sendOne(s, copy('u1')), ['n3']);
    assert.deepEqual(saved, ['addr-n3']);
  });

  it('5 nodes: two copies; a peer that fails is passed over', async () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n));
    const first = await sendOne(sender(nodes).s, copy('u2'));
    assert.equal(first.length, 2);
    const { s } = sender(nodes, new Set([`addr-${first[0]}`]));
    const took = await sendOne(s, copy('u2'));
    assert.equal(took.length, 2);
    assert.ok(!took.includes(first[0] as string));
  });

  it('spreads copies over the peers by the Run', async () => {
    const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'].map((n) => node(n));
    const used = new Set<string>();
    for (let i = 0; i < 20; i++)
      for (const n of await sendOne(sender(nodes).s, copy(`u${i}`))) used.add(n);
    assert.equal(used.size, 4);
  });

  it('alone: nothing to do; every peer failing: Unavailable', async () => {
    assert.deepEqual(await sendOne(sender([node('n1')]).s, copy('u3')), []);
    const { s } = sender([node('n1'), node('n2')], new Set(['addr-n2']));
    await assert.rejects(sendOne(s, copy('u3')), (err: unknown) =>
      isReason(err, Reason.Unavailable),
    );
  });
});

describe('PeerLogCopySender.sendMany', () => {
  const uids = Array.from({ length: 12 }, (_, i) => `b${i}`);
  const nodes3 = (): Node[] => [node('n1'), node('n2'), node('n3')];

  it('a batch of Runs: one call per peer, each copy kept once, on its own peer', async () => {
    const { s, calls } = sender(nodes3());
    const results = await s.sendMany(uids.map((u) => copy(u)));
    assert.ok(calls.length <= 2, JSON.stringify(calls));
    assert.deepEqual(calls.flatMap((c) => c.runUids).sort(), [...uids].sort());
    // Each copy goes to the peer it would go to when sent alone.
    for (const [i, u] of uids.entries()) {
      const alone = await sendOne(sender(nodes3()).s, copy(u));
      assert.deepEqual(results[i], alone, u);
      assert.ok(calls.some((c) => c.address === `addr-${alone[0]}` && c.runUids.includes(u)));
    }
    assert.ok(new Set(calls.map((c) => c.address)).size === 2, 'copies spread over both peers');
  });

  it('a peer that does not answer: its copies go to the next peer in one more call', async () => {
    const { s, calls } = sender(nodes3(), new Set(['addr-n2']));
    const results = await s.sendMany(uids.map((u) => copy(u)));
    for (const r of results) assert.deepEqual(r, ['n3']);
    assert.ok(calls.length <= 3, JSON.stringify(calls));
    assert.equal(calls.filter((c) => c.address === 'addr-n2').length, 1);
  });

  it("a copy a peer refuses moves on alone; the others' are not sent again", async () => {
    const { s, calls } = sender(nodes3(), new Set(), new Set(['addr-n2/b0', 'addr-n3/b0']));
    const results = await s.sendMany(uids.map((u) => copy(u)));
    assert.ok(results[0] instanceof Error && isReason(results[0], Reason.Unavailable));
    assert.match((results[0] as Error).message, /disk full/);
    for (const r of results.slice(1)) assert.ok(!(r instanceof Error) && r.length === 1);
    // b0's second try is the only copy in the second round.
    const sent = calls.flatMap((c) => c.runUids);
    assert.equal(sent.length, uids.length + 1);
  });

  it('every peer failing: every copy Unavailable; alone: nothing to do', async () => {
    const { s } = sender(nodes3(), new Set(['addr-n2', 'addr-n3']));
    const results = await s.sendMany([copy('x1'), copy('x2')]);
    for (const r of results) assert.ok(r instanceof Error && isReason(r, Reason.Unavailable));
    assert.deepEqual(await sender([node('n1')]).s.sendMany([copy('x1'), copy('x2')]), [[], []]);
  });
});

describe('RunLogJanitor', () => {
  it('removes the copies whose Run is gone or was replaced, keeps the others', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jobctl-janitor-'));
    try {
      await writeLogCopy(dir, copy('live'));
      await writeLogCopy(dir, copy('gone'));
      await writeLogCopy(dir, copy('old', 'r-same'));
      // A copy of a gone Run whose header a crash cut off is removed too.
      await writeFile(join(runLogDir(dir), 'copies', 'torn.log'), '{"run":');
      const runs: Record<string, string> = { 'r-live': 'live', 'r-same': 'new-uid' };
      const janitor = new RunLogJanitor({
        dataDir: dir,
        hasUid: (uid) => Object.values(runs).includes(uid),
        caughtUp: async () => {},
        logger: silentLogger,
      });
      assert.equal(await janitor.sweep(), 3);
      assert.ok(await readLogCopy(dir, 'live'));
      assert.equal(await readLogCopy(dir, 'gone'), undefined);
      assert.equal(await readLogCopy(dir, 'old'), undefined);
      assert.deepEqual(await readdir(join(runLogDir(dir), 'copies')), ['live.log']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("RunLogJanitor and the logs of this node's own Runs", () => {
  const NOW = Date.parse('2026-12-07T12:00:00Z');
  const OLD = (NOW - RUN_LOG_REMOVE_AFTER_MS - 1000) / 1000;
  const RECENT = (NOW - 1000) / 1000;

  /** Writes a Run's files in the log directory, last changed at `mtimeS`. */
  async function runFiles(dir: string, uid: string, mtimeS: number): Promise<void> {
    const logs = runLogDir(dir);
    await mkdir(logs, { recursive: true });
    for (const suffix of ['.log', '.log.1', '.log.start', '.copied']) {
      const p = join(logs, `${uid}${suffix}`);
      await writeFile(p, 'x\n');
      await utimes(p, mtimeS, mtimeS);
    }
  }

  it('removes the files of Runs that are gone once they are still, keeps the rest, and drops their journal lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jobctl-janitor-'));
    const copier = new LogCopier({
      dataDir: dir,
      nodeName: 'n1',
      sender: { sendMany: async (copies) => copies.map(() => ['n2']) },
    });
    try {
      await runFiles(dir, 'live', OLD);
      await runFiles(dir, 'gone', OLD);
      await runFiles(dir, 'stopping', RECENT); // gone, but its container may still write
      await writeFile(
        copiedJournalPath(dir),
        ['live', 'gone', 'stopping']
          .map((uid) => JSON.stringify({ uid, run: `default/r-${uid}`, to: 'n2' }))
          .join('\n') + '\n{"uid":"cut-sh',
      );
      const janitor = new RunLogJanitor({
        dataDir: dir,
        hasUid: (uid) => uid === 'live',
        caughtUp: async () => {},
        compactJournal: (isGone) => copier.compactJournal(isGone),
        now: () => NOW,
        logger: silentLogger,
      });
      assert.equal(await janitor.sweep(), 1);
      assert.deepEqual((await readdir(runLogDir(dir))).sort(), [
        'copied.journal',
        'live.copied',
        'live.log',
        'live.log.1',
        'live.log.start',
        'stopping.copied',
        'stopping.log',
        'stopping.log.1',
        'stopping.log.start',
      ]);
      assert.deepEqual(
        (await readJournal(copiedJournalPath(dir))).map(
          (l) => (JSON.parse(l) as { uid: string }).uid,
        ),
        ['live'],
        'the journal keeps only the lines of Runs still there',
      );
    } finally {
      await copier.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('removes nothing while the node cannot tell its replica is up to date', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'jobctl-janitor-'));
    try {
      await runFiles(dir, 'gone', OLD);
      await writeLogCopy(dir, copy('gone-copy'));
      const janitor = new RunLogJanitor({
        dataDir: dir,
        hasUid: () => false,
        caughtUp: () => Promise.reject(new Error('no leader')),
        now: () => NOW,
        logger: silentLogger,
      });
      assert.equal(await janitor.sweep(), 0);
      assert.ok((await readdir(runLogDir(dir))).includes('gone.log'));
      assert.ok(await readLogCopy(dir, 'gone-copy'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
