// Three real jobd processes on 127.0.0.1 (random free ports, temp data dirs),
// driven through the real CLI and the gRPC API: election, writes via leader and
// follower, kill -9 of the leader without losing acknowledged writes, catch-up
// of the restarted node, leadership transfer, cluster status.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { LocalCluster, jobdPath } from '../../pkg/node/local-cluster.js';
import { SessionClient } from '../../pkg/transport/api-grpc.js';
import { isReason, Reason } from '../../pkg/util/errors.js';
import type { ClusterStatusResponse } from '../../pkg/transport/api-types.js';
import type { NodeId } from '../../pkg/raft/types.js';

const jobctl = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cmd', 'jobctl.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [jobctl, ...args],
      { env: { ...process.env, JOBCTL_SERVER: '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function eventually<T>(
  fn: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('3-node jobd cluster', { timeout: 180_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;
  const acked = new Map<string, string>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-it-'));
    cluster = await LocalCluster.start({ nodes: 3, baseDir: dir });
  });

  after(async () => {
    await cluster?.stop();
    for (const m of cluster?.members ?? [])
      if (cluster.isRunning(m.id)) await cluster.kill(m.id, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const addr = (id: NodeId): string => cluster.member(id).address;

  it('elects a leader and shows all three nodes in cluster status', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
    const res = await eventually(
      async () => {
        const r = await cli(['--server', cluster.servers(), 'cluster', 'status', '-o', 'json']);
        if (r.code !== 0) return undefined;
        const st = JSON.parse(r.stdout) as ClusterStatusResponse;
        return st.nodes.every((n) => n.health === 'healthy') ? st : undefined;
      },
      30_000,
      'all nodes healthy',
    );
    assert.equal(res.nodes.length, 3);
    assert.equal(res.leader, leader.id);
    assert.deepEqual(
      res.nodes.map((n) => n.id),
      [1, 2, 3],
    );
    const table = await cli(['--server', addr(1), 'cluster', 'status']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+ADDRESS\s+ROLE\s+TERM\s+COMMIT\s+APPLIED\s+HEALTH$/);
    assert.equal(lines.filter((l) => /healthy$/.test(l)).length, 3);
    assert.ok(
      lines.some((l) => l.startsWith(`${leader.id}*`)),
      'leader marked',
    );
  });

  it('commits writes sent to the leader and to a follower', async () => {
    const leader = await cluster.waitForLeader();
    const follower = ([1, 2, 3] as NodeId[]).find((id) => id !== leader.id) as NodeId;
    const r1 = await cli(['--server', addr(leader.id), 'kv', 'put', 'via-leader', 'L']);
    assert.equal(r1.code, 0, r1.stderr);
    acked.set('via-leader', 'L');
    const r2 = await cli(['--server', addr(follower), 'kv', 'put', 'via-follower', 'F']);
    assert.equal(r2.code, 0, r2.stderr);
    acked.set('via-follower', 'F');
    // Many acknowledged writes through gRPC, spread over every node.
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const id = ((i % 3) + 1) as NodeId;
        await cluster.client(id).put({ key: `k${i}`, value: `v${i}` });
        acked.set(`k${i}`, `v${i}`);
      }),
    );
    // The Session stream (many ops multiplexed) to a follower: same semantics.
    const session = new SessionClient(addr(follower));
    try {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => session.put({ key: `s${i}`, value: `sv${i}` })),
      );
      assert.equal(new Set(results.map((r) => r.revision)).size, 100);
      for (let i = 0; i < 100; i++) acked.set(`s${i}`, `sv${i}`);
      assert.equal((await session.get({ key: 's42', stale: false })).value, 'sv42');
      await assert.rejects(session.get({ key: 'missing', stale: false }), (e: unknown) =>
        isReason(e, Reason.NotFound),
      );
    } finally {
      session.close();
    }
    const g = await cli(['--server', addr(follower), 'kv', 'get', 'via-leader']);
    assert.equal(g.code, 0, g.stderr);
    assert.equal(g.stdout.trim(), 'L');
    const missing = await cli(['--server', addr(follower), 'kv', 'get', 'no-such-key']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Error from server \(NotFound\): key "no-such-key" not found\n$/);
  });

  it('survives kill -9 of the leader without losing an acknowledged write', async () => {
    const old = await cluster.waitForLeader();
    await cluster.kill(old.id, 'SIGKILL');
    const next = await cluster.waitForLeader({ timeoutMs: 30_000, not: old.id, quorumOnly: true });
    assert.notEqual(next.id, old.id);
    assert.ok(next.term > old.term);
    // cluster status marks the dead node unreachable (within the ~1 s peer deadline).
    const st = await cli(['--server', addr(next.id), 'cluster', 'status', '-o', 'json']);
    assert.equal(st.code, 0, st.stderr);
    const view = JSON.parse(st.stdout) as ClusterStatusResponse;
    assert.equal(view.nodes.find((n) => n.id === old.id)?.health, 'unreachable');
    assert.equal(view.leader, next.id);
    for (const [k, v] of acked) {
      const got = await eventually(
        () => cluster.client(next.id).get({ key: k, stale: false }),
        15_000,
        `read of ${k}`,
      );
      assert.equal(got.value, v, `acknowledged write ${k} lost`);
    }
    // The cluster keeps accepting writes with one node down.
    const r = await cli(['--server', cluster.servers(), 'kv', 'put', 'after-failover', 'yes']);
    assert.equal(r.code, 0, r.stderr);
    acked.set('after-failover', 'yes');

    // The killed node comes back and catches up (reads its own copy).
    cluster.startNode(old.id);
    for (const [k, v] of acked) {
      await eventually(
        async () => {
          const got = await cluster.client(old.id).get({ key: k, stale: true });
          return got.value === v ? got : undefined;
        },
        30_000,
        `catch-up of ${k} on node ${old.id}`,
      );
    }
    const stale = await cli(['--server', addr(old.id), 'kv', 'get', 'after-failover', '--stale']);
    assert.equal(stale.stdout.trim(), 'yes');
  });

  it('transfers leadership on request', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
    const target = ([1, 2, 3] as NodeId[]).find((id) => id !== leader.id) as NodeId;
    // Ask a node that is not the target (it may be a follower: the call is forwarded).
    const via = ([1, 2, 3] as NodeId[]).find((id) => id !== target) as NodeId;
    const r = await cli([
      '--server',
      addr(via),
      'cluster',
      'transfer-leader',
      '--to',
      String(target),
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`to ${target}`));
    const now = await cluster.waitForLeader({ timeoutMs: 15_000 });
    assert.equal(now.id, target);
    // Without --to: the most caught-up follower.
    const r2 = await cli(['--server', addr(target), 'cluster', 'transfer-leader']);
    assert.equal(r2.code, 0, r2.stderr);
    const after2 = await cluster.waitForLeader({ timeoutMs: 15_000 });
    assert.notEqual(after2.id, target);
  });

  it('reports an unreachable server with one line and exit code 3', async () => {
    const r = await cli(['--server', '127.0.0.1:1', 'cluster', 'status']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /^Unable to connect to the server at 127\.0\.0\.1:1: .+\n$/);
    const usage = await cli(['cluster', 'status', '--bogus']);
    assert.equal(usage.code, 2);
    const badJobd = await new Promise<CliResult>((resolve) =>
      execFile(
        process.execPath,
        [jobdPath(), '--id', '1', '--listen', 'nope'],
        (err, stdout, stderr) =>
          resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr }),
      ),
    );
    assert.equal(badJobd.code, 2);
    assert.match(badJobd.stderr, /^jobd: .+\n$/);
  });
});
