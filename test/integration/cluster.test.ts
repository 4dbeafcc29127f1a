// Three real jobd processes on 127.0.0.1 (random free ports, temp data dirs),
// driven through the real CLI and the gRPC API (GrpcClient): election, Jobs
// applied via the leader and via a follower, Node registration and
// heartbeats, kill -9 of the leader in the middle of a stream of applies (no
// acknowledged object lost; a watch on the killed node resumes elsewhere
// without missing or repeating events), catch-up of the restarted node,
// leadership transfer, cluster status, unreachable servers.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { LocalCluster, jobdPath } from '../../pkg/node/local-cluster.js';
import type { NodeId } from '../../pkg/raft/types.js';
import {
  API_VERSION,
  type Resource,
  type ResourceInput,
  type WatchEvent,
} from '../../pkg/store/index.js';
import type { ClusterStatus } from '../../pkg/client/index.js';
import { eventually } from '../support/eventually.js';

const jobctl = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'cmd', 'jobctl.cjs');

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

const job = (name: string, spec: Record<string, unknown> = {}): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name, labels: { suite: 'it' } },
  spec: { command: ['echo', name], ...spec },
});

interface NodeStatusView {
  raft: { id: number; role: string; term: number; address: string };
  conditions: { type: string; status: string }[];
  heartbeatTime: string;
  capacity: { cpu: string; memory: string; runs: number };
}
const nodeStatus = (o: Resource): NodeStatusView => o.status as unknown as NodeStatusView;

describe('3-node jobd cluster', { timeout: 240_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;
  const clients: GrpcClient[] = [];
  /** Names of every Job whose apply was acknowledged. */
  const acked = new Set<string>();

  const client = (...ids: NodeId[]): GrpcClient => {
    const c = new GrpcClient({
      servers: ids.map((id) => cluster.member(id).address),
      timeoutMs: 10_000,
    });
    clients.push(c);
    return c;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-it-'));
    cluster = await LocalCluster.start({
      nodes: 3,
      baseDir: dir,
      // The fake runtime: this suite is about the control plane (the Jobs it
      // applies do run, instantly); node-exec.test.ts and test/e2e cover execution.
      extraArgs: ['--labels', 'zone=it,disk=ssd', '--max-runs', '8', '--runtime', 'fake'],
    });
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    for (const m of cluster?.members ?? [])
      if (cluster.isRunning(m.id)) await cluster.kill(m.id, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  const addr = (id: NodeId): string => cluster.member(id).address;
  const others = (id: NodeId): NodeId[] => ([1, 2, 3] as NodeId[]).filter((x) => x !== id);

  it('elects a leader and shows all three nodes in cluster status', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
    const res = await eventually(
      'all nodes healthy',
      async () => {
        const r = await cli(['--server', cluster.servers(), 'cluster', 'status', '-o', 'json']);
        if (r.code !== 0) return undefined;
        const st = JSON.parse(r.stdout) as ClusterStatus;
        return st.nodes.every((n) => n.health === 'healthy') ? st : undefined;
      },
      30_000,
    );
    assert.equal(res.nodes.length, 3);
    assert.equal(res.leader, leader.id);
    assert.deepEqual(
      res.nodes.map((n) => n.id),
      [1, 2, 3],
    );
    // Health is probed afresh by each call; on a loaded machine one probe can
    // time out just after the JSON call saw all three healthy, so wait for it.
    const lines = await eventually(
      'the table shows three healthy nodes',
      async () => {
        const table = await cli(['--server', addr(1), 'cluster', 'status']);
        assert.equal(table.code, 0, table.stderr);
        const out = table.stdout.trim().split('\n');
        return out.filter((l) => /healthy$/.test(l)).length === 3 ? out : undefined;
      },
      30_000,
    );
    assert.match(
      lines[0] ?? '',
      /^ID\s+ADDRESS\s+MEMBER\s+ROLE\s+TERM\s+COMMIT\s+APPLIED\s+LAG\s+HEALTH$/,
    );
    assert.equal(lines.filter((l) => /healthy$/.test(l)).length, 3);
    assert.ok(
      lines.some((l) => l.startsWith(`${leader.id}*`)),
      'leader marked',
    );
  });

  it('applies Jobs via the leader and via a follower', async () => {
    const leader = await cluster.waitForLeader();
    const follower = others(leader.id)[0] as NodeId;
    const viaLeader = await client(leader.id).apply(job('via-leader'));
    assert.equal(viaLeader.outcome, 'created');
    acked.add('via-leader');
    const viaFollower = await client(follower).apply(job('via-follower'));
    assert.equal(viaFollower.outcome, 'created');
    acked.add('via-follower');
    assert.equal((viaFollower.object.status as { phase: string }).phase, 'Pending');
    assert.equal((viaFollower.object.spec as { image: string }).image, 'busybox:latest');
    // Read back linearizably on the other follower.
    const third = others(leader.id)[1] as NodeId;
    const got = await client(third).get('job', 'default', 'via-leader');
    assert.equal(got.metadata.uid, viaLeader.object.metadata.uid);
    // Many concurrent applies spread over every node.
    const all = client(1, 2, 3);
    const perNode = ([1, 2, 3] as NodeId[]).map((id) => client(id));
    await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        const name = `k${i}`;
        const c = perNode[i % 3] as GrpcClient;
        await c.apply(job(name));
        acked.add(name);
      }),
    );
    assert.equal((await all.apply(job('k7'))).outcome, 'unchanged');
    const changed = await all.apply(job('k7', { parallelism: 2 }));
    assert.equal(changed.outcome, 'configured');
    await assert.rejects(all.apply(job('k7', { image: 'alpine:3' })), /field is immutable/);
  });

  it('registers a Node object for every jobd, heartbeating its Raft role', async () => {
    const all = client(1, 2, 3);
    const nodes = await eventually(
      'three Node objects',
      async () => {
        const list = await all.list('nodes');
        return list.items.length === 3 ? list.items : undefined;
      },
      30_000,
    );
    assert.deepEqual(
      nodes.map((n) => n.metadata.name),
      ['node-1', 'node-2', 'node-3'],
    );
    const leader = await cluster.waitForLeader();
    for (const n of nodes) {
      assert.equal(n.metadata.namespace, '');
      assert.deepEqual(n.metadata.labels, { disk: 'ssd', zone: 'it' });
      const st = nodeStatus(n);
      assert.equal(st.capacity.runs, 8);
      assert.ok(Number(st.capacity.cpu) >= 1);
      assert.equal(st.raft.address, addr(st.raft.id));
      assert.deepEqual(
        st.conditions.map((c) => `${c.type}=${c.status}`),
        ['Ready=True', 'RuntimeReady=True'],
      );
    }
    // Heartbeats move heartbeatTime forward, and the leader reports itself as Leader.
    const first = new Map(nodes.map((n) => [n.metadata.name, nodeStatus(n).heartbeatTime]));
    await eventually(
      'heartbeats from every node',
      async () => {
        const list = (await all.list('nodes')).items;
        const moved = list.every(
          (n) => nodeStatus(n).heartbeatTime > (first.get(n.metadata.name) ?? ''),
        );
        const leaderNode = list.find((n) => n.metadata.name === `node-${leader.id}`);
        return moved && leaderNode && nodeStatus(leaderNode).raft.role === 'Leader'
          ? true
          : undefined;
      },
      15_000,
    );
  });

  it('survives kill -9 of the leader mid-stream: no acknowledged Job lost, the watch on it resumes exactly', async () => {
    const old = await cluster.waitForLeader();
    const all = client(1, 2, 3);
    const start = await all.list('jobs');
    // The watch is served by the node about to be killed.
    const watcher = client(old.id, ...others(old.id));
    const ac = new AbortController();
    const events: WatchEvent[] = [];
    const watching = (async () => {
      for await (const e of watcher.watch('jobs', {
        resourceVersion: start.resourceVersion,
        signal: ac.signal,
      }))
        events.push(e);
    })();

    // A stream of applies from 4 concurrent writers, across every node.
    let stop = false;
    let ackedInStream = 0;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const name = `s-${w}-${i}`;
        try {
          await all.apply(job(name));
          acked.add(name);
          ackedInStream++;
        } catch {
          // Not acknowledged (election in progress): it may or may not exist.
        }
      }
    };
    const writers = [0, 1, 2, 3].map((w) => writer(w));
    await eventually('40 applies', async () => (ackedInStream >= 40 ? true : undefined), 60_000);
    await cluster.kill(old.id, 'SIGKILL');
    const next = await cluster.waitForLeader({ timeoutMs: 30_000, not: old.id, quorumOnly: true });
    assert.notEqual(next.id, old.id);
    const before = ackedInStream;
    await eventually(
      '40 more applies after the failover',
      async () => (ackedInStream >= before + 40 ? true : undefined),
      60_000,
    );
    stop = true;
    await Promise.all(writers);

    // Every acknowledged Job is there.
    const survivors = client(...others(old.id));
    const names = new Set<string>();
    let cont: string | undefined;
    let listRv = '';
    do {
      const page = await survivors.list('jobs', { limit: 100, continue: cont });
      if (!listRv) listRv = page.resourceVersion;
      for (const o of page.items) names.add(o.metadata.name);
      cont = page.continue;
    } while (cont);
    for (const name of acked) assert.ok(names.has(name), `acknowledged Job ${name} lost`);

    // The watch moved to another node and saw every change exactly once, in order.
    await eventually(
      'the watch to catch up',
      async () =>
        events.length > 0 &&
        Number(events[events.length - 1]?.object.metadata.resourceVersion) >= Number(listRv)
          ? true
          : undefined,
      30_000,
    );
    ac.abort();
    await watching;
    const added = events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name);
    assert.equal(new Set(added).size, added.length, 'an ADDED event was repeated');
    const createdSinceStart = [...names].filter((n) => n.startsWith('s-'));
    assert.deepEqual([...added].sort(), createdSinceStart.sort(), 'the watch missed a Job');
    const rvs = events.map((e) => Number(e.object.metadata.resourceVersion));
    assert.ok(
      rvs.every((rv, i) => i === 0 || rv >= (rvs[i - 1] as number)),
      'events out of order',
    );

    // cluster status marks the dead node unreachable.
    const st = await cli(['--server', addr(next.id), 'cluster', 'status', '-o', 'json']);
    assert.equal(st.code, 0, st.stderr);
    const view = JSON.parse(st.stdout) as ClusterStatus;
    assert.equal(view.nodes.find((n) => n.id === old.id)?.health, 'unreachable');

    // The killed node comes back and catches up (reads its own copy).
    cluster.startNode(old.id);
    const restarted = client(old.id);
    await eventually(
      `catch-up of node ${old.id}`,
      async () => {
        const list = await restarted.list('jobs', { consistency: 'stale' });
        const have = new Set(list.items.map((o) => o.metadata.name));
        return [...acked].every((n) => have.has(n)) ? true : undefined;
      },
      60_000,
    );
    // And heartbeats again.
    const hb = (await restarted.get('node', '', `node-${old.id}`)).status as unknown as {
      heartbeatTime: string;
    };
    await eventually(
      'heartbeats of the restarted node',
      async () => {
        const now = await restarted.get('node', '', `node-${old.id}`);
        return nodeStatus(now).heartbeatTime > hb.heartbeatTime ? true : undefined;
      },
      30_000,
    );
  });

  it('transfers leadership on request', async () => {
    const leader = await cluster.waitForLeader({ timeoutMs: 30_000 });
    const target = others(leader.id)[0] as NodeId;
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
    for (const [flag, value, says] of [
      ['--capacity', 'memory=4Gb', /^jobd: --capacity memory: .*4Gb.*\n$/],
      ['--shutdown-grace', 'soon', /^jobd: --shutdown-grace: "soon" is not a duration.*\n$/],
    ] as const) {
      const bad = await new Promise<CliResult>((resolve) =>
        execFile(
          process.execPath,
          [
            jobdPath(),
            '--id',
            '1',
            '--listen',
            '127.0.0.1:1',
            '--peers',
            '1=127.0.0.1:1',
            '--data-dir',
            '/nonexistent',
            flag,
            value,
          ],
          (err, stdout, stderr) =>
            resolve({ code: typeof err?.code === 'number' ? err.code : 0, stdout, stderr }),
        ),
      );
      assert.equal(bad.code, 2, `${flag} ${value}: ${bad.stderr}`);
      assert.match(bad.stderr, says);
    }
  });
});
