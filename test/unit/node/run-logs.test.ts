// RunLogs when the node that executed a Run does not answer: the copy kept on
// this node or a peer is served (with an info naming both nodes); a stream the
// executing node broke off goes on from the copy at the byte it got to.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LOG_COPY_CUT_NOTE, writeLogCopy } from '../../../pkg/agent/index.js';
import type {
  LogStreamInfo,
  LogsOptions,
  ResourceClient,
  RunLogCopy,
} from '../../../pkg/client/index.js';
import { RunLogs, notStartedMessage, type PeerLogs } from '../../../pkg/node/logs.js';
import type { Node, Run } from '../../../pkg/store/index.js';
import { ConnectionError, JobctlError, Reason, isReason } from '../../../pkg/util/errors.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jobctl-runlogs-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const run = {
  metadata: { namespace: 'default', name: 'r-0', uid: 'u1' },
  spec: { nodeName: 'node-2', attempt: 0 },
  status: { phase: 'Succeeded', containerID: 'c1' },
} as unknown as Run;
const node = (name: string, address: string): Node =>
  ({
    metadata: { name },
    status: { raft: { address }, conditions: [{ type: 'Ready', status: 'True' }] },
  }) as unknown as Node;
const nodes = [node('node-1', 'a1'), node('node-2', 'a2'), node('node-3', 'a3')];

const copy = (over: Partial<RunLogCopy> = {}): RunLogCopy => ({
  namespace: 'default',
  run: 'r-0',
  runUid: 'u1',
  node: 'node-2',
  savedAt: '2026-01-02T03:04:05.000Z',
  offset: 100,
  cut: true,
  data: Buffer.from('x\ny\nz\n'),
  ...over,
});

function runLogs(dataDir: string, peerLogs: PeerLogs): RunLogs {
  return new RunLogs({
    nodeName: 'node-1',
    dataDir,
    client: {} as ResourceClient, // the Run is resolved from the replica (bound, uid known)
    store: {
      get: (kind, _ns, name) =>
        kind === 'Run' ? run : nodes.find((n) => n.metadata.name === name),
      list: () => ({ items: nodes }),
    },
    peers: new Map(),
    peerLogs,
  });
}

async function read(
  logs: RunLogs,
  opts: Partial<LogsOptions> = {},
): Promise<{ text: string; infos: LogStreamInfo[] }> {
  const infos: LogStreamInfo[] = [];
  let text = '';
  for await (const c of logs.logs({
    namespace: 'default',
    run: 'r-0',
    runUid: 'u1',
    onInfo: (i) => infos.push(i),
    ...opts,
  })) {
    text += Buffer.from(c).toString();
  }
  return { text, infos };
}

const down = (address: string): never => {
  throw new ConnectionError(address, `connect ECONNREFUSED ${address}`);
};

describe('RunLogs with the executing node down', () => {
  it('serves this node’s own copy: the note, then the bytes, named as a copy', async () => {
    const d = await mkdtemp(join(dir, 'own-'));
    await writeLogCopy(d, copy());
    const asked: string[] = [];
    // eslint-disable-next-line require-yield
    const logs = runLogs(d, async function* (address) {
      asked.push(address);
      down(address);
    });
    const { text, infos } = await read(logs);
    assert.deepEqual(asked, ['a2']);
    assert.equal(text, `${LOG_COPY_CUT_NOTE}x\ny\nz\n`);
    assert.deepEqual(infos, [
      {
        offset: 100,
        run: 'r-0',
        runUid: 'u1',
        copy: { node: 'node-1', unreachableNode: 'node-2', savedAt: '2026-01-02T03:04:05.000Z' },
      },
    ]);
    // --tail 2: the last lines, without the note; from an offset: the rest.
    assert.equal((await read(logs, { tail: 2 })).text, 'y\nz\n');
    assert.equal((await read(logs, { fromOffset: 102 })).text, 'y\nz\n');
  });

  it('asks a peer for its copy, and names the node that did not answer', async () => {
    const d = await mkdtemp(join(dir, 'peer-'));
    const asked: LogsOptions[] = [];
    const logs = runLogs(d, async function* (address, opts) {
      asked.push(opts);
      if (address === 'a2') down(address);
      opts.onInfo?.({
        offset: 0,
        run: 'r-0',
        runUid: 'u1',
        copy: { node: 'node-3', unreachableNode: '', savedAt: 's' },
      });
      yield Buffer.from('from node-3\n');
    });
    const { text, infos } = await read(logs);
    assert.equal(text, 'from node-3\n');
    assert.equal(asked[1]?.fromCopy, true);
    assert.equal(asked[1]?.localOnly, true);
    assert.deepEqual(infos[0]?.copy, { node: 'node-3', unreachableNode: 'node-2', savedAt: 's' });
  });

  it('goes on from the copy at the byte the broken stream got to', async () => {
    const d = await mkdtemp(join(dir, 'resume-'));
    await writeLogCopy(d, copy({ offset: 0, cut: false, data: Buffer.from('abcdef') }));
    const logs = runLogs(d, async function* (_address, opts) {
      opts.onInfo?.({ offset: 0, run: 'r-0', runUid: 'u1' });
      yield Buffer.from('abc');
      throw new ConnectionError('a2', 'Connection dropped');
    });
    assert.equal((await read(logs)).text, 'abcdef');
  });

  it('no copy anywhere: Unavailable, naming the node', async () => {
    const d = await mkdtemp(join(dir, 'none-'));
    // eslint-disable-next-line require-yield
    const logs = runLogs(d, async function* (address) {
      if (address === 'a2') down(address);
      throw new JobctlError(Reason.NotFound, 'no copy');
    });
    await assert.rejects(read(logs), (err: unknown) => {
      assert.ok(isReason(err, Reason.Unavailable));
      assert.match(String(err), /node "node-2" \(a2\).*no other node keeps a copy/);
      return true;
    });
  });
});

describe('RunLogs of a Run that has no output to show', () => {
  const runWith = (spec: object, status: object): Run =>
    ({
      metadata: { namespace: 'default', name: 'r-1', uid: 'u2' },
      spec,
      status,
    }) as unknown as Run;
  const pullFailed = runWith(
    { nodeName: 'node-2' },
    { phase: 'Failed', reason: 'ImagePullFailed', message: 'Failed to pull image "nosuch:1"' },
  );
  const unscheduled = runWith({}, { phase: 'Pending', message: '0/3 nodes have room' });

  function logsOf(r: Run): RunLogs {
    return new RunLogs({
      nodeName: 'node-1',
      dataDir: dir,
      client: { get: () => Promise.resolve(r) } as unknown as ResourceClient,
      store: { get: () => undefined, list: () => ({ items: nodes }) },
      peers: new Map(),
      // eslint-disable-next-line require-yield
      peerLogs: async function* () {
        throw new Error('a Run without output must not be asked for');
      },
    });
  }

  it('a Run that ended without a container: BadRequest saying why, as kubectl does', async () => {
    await assert.rejects(read(logsOf(pullFailed), { run: 'r-1', runUid: undefined }), (err) => {
      assert.ok(isReason(err, Reason.BadRequest));
      assert.equal(
        (err as Error).message,
        'run "r-1" did not start: ImagePullFailed: Failed to pull image "nosuch:1"',
      );
      return true;
    });
  });

  it('an unscheduled Run: BadRequest unless following (then it waits for the binding)', () => {
    assert.equal(
      notStartedMessage(unscheduled, false),
      'run "r-1" has not started: it is waiting to be scheduled: 0/3 nodes have room',
    );
    assert.equal(notStartedMessage(unscheduled, true), undefined);
    assert.ok(notStartedMessage(pullFailed, true), 'following cannot make a failed pull start');
  });

  it('a Run with a container, or one lost with its node, may have output', () => {
    const exited = runWith(
      { nodeName: 'node-2' },
      { phase: 'Failed', reason: 'Error', containerID: 'c9' },
    );
    const lost = runWith({ nodeName: 'node-2' }, { phase: 'Lost', reason: 'NodeLost' });
    const running = runWith({ nodeName: 'node-2' }, { phase: 'Pending' });
    for (const r of [exited, lost, running]) assert.equal(notStartedMessage(r, false), undefined);
  });
});
