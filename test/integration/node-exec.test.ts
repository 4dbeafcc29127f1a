// Execution wired into real jobd processes: a 3-node cluster on 127.0.0.1 with
// the FAKE runtime (instant, scripted by the command: `exit N`, `sleep N`,
// `echo WORDS`) and short back-off, driven through GrpcClient:
//   - every node reports RuntimeReady=True; the leader runs the controllers;
//   - 50 Jobs applied at once all end Succeeded, one Run each;
//   - a Job whose command exits 3 with backoffLimit 2 ends Failed /
//     BackoffLimitExceeded after exactly 3 Runs (attempts 0, 1, 2);
//   - logs of a Run from every node (the executing one reads its file, the
//     others proxy), job/NAME = latest Run, --tail, follow until the Run ends,
//     and clear NotFound errors.
// No fixed sleeps: every wait is on a condition, with generous deadlines.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GrpcClient } from '../../pkg/transport/grpc-client.js';
import type { LogsOptions } from '../../pkg/client/types.js';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import type { NodeId } from '../../pkg/raft/types.js';
import { API_VERSION, type Resource, type ResourceInput } from '../../pkg/store/index.js';
import { eventually } from '../support/eventually.js';

interface Cond {
  type: string;
  status: string;
  reason?: string;
}
interface JobView {
  phase?: string;
  succeeded?: number;
  failed?: number;
  conditions?: Cond[];
}
interface RunView {
  spec: { jobName: string; attempt: number; nodeName: string };
  status: { phase?: string; reason?: string; exitCode?: number };
}

const jobStatus = (o: Resource): JobView => (o.status ?? {}) as JobView;
const runOf = (o: Resource): RunView => o as unknown as RunView;

const job = (name: string, spec: Record<string, unknown> = {}): ResourceInput => ({
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name, labels: { suite: 'node-exec' } },
  spec: { command: ['echo', name], ...spec },
});

async function collect(it: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of it) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString('utf8');
}

describe('jobd execution (fake runtime, 3 processes)', { timeout: 300_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;
  const clients: GrpcClient[] = [];

  const client = (...ids: NodeId[]): GrpcClient => {
    const c = cluster.resourceClient(ids.length > 0 ? ids : undefined);
    clients.push(c);
    return c;
  };

  /** Waits until the Job is finished (Succeeded or Failed) and returns it. */
  const finished = (c: GrpcClient, name: string, timeoutMs = 60_000): Promise<Resource> =>
    eventually(
      `job ${name} to finish`,
      async () => {
        const j = await c.get('Job', 'default', name);
        const phase = jobStatus(j).phase;
        return phase === 'Succeeded' || phase === 'Failed' ? j : undefined;
      },
      timeoutMs,
    );

  const runsOf = async (c: GrpcClient, name: string): Promise<RunView[]> =>
    (
      await c.list('Run', { namespace: 'default', fieldSelector: `spec.jobName=${name}` })
    ).items.map(runOf);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-exec-'));
    cluster = await LocalCluster.start({
      nodes: 3,
      baseDir: dir,
      extraArgs: [
        '--runtime',
        'fake',
        '--backoff-base-ms',
        '100',
        '--backoff-max-ms',
        '400',
        '--node-grace-ms',
        '5000',
      ],
    });
    await cluster.waitForLeader({ timeoutMs: 30_000 });
  });

  after(async () => {
    for (const c of clients) c.close();
    await cluster?.stop();
    for (const m of cluster?.members ?? [])
      if (cluster.isRunning(m.id)) await cluster.kill(m.id, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers every node Ready with RuntimeReady=True', async () => {
    const c = client();
    await eventually(
      'three Ready nodes with RuntimeReady=True',
      async () => {
        const { items } = await c.list('Node');
        if (items.length !== 3) return undefined;
        const ok = items.every((n) => {
          const conds = ((n.status ?? {}) as { conditions?: Cond[] }).conditions ?? [];
          const is = (t: string): boolean => conds.some((x) => x.type === t && x.status === 'True');
          return is('Ready') && is('RuntimeReady');
        });
        return ok ? items : undefined;
      },
      30_000,
    );
  });

  it('runs 50 Jobs to Succeeded, one Run each', async () => {
    const per = ([1, 2, 3] as NodeId[]).map((id) => client(id));
    const names = Array.from({ length: 50 }, (_, i) => `many-${i}`);
    await Promise.all(names.map((n, i) => (per[i % 3] as GrpcClient).apply(job(n))));
    const c = client();
    const jobs = await eventually(
      '50 Jobs Succeeded',
      async () => {
        const { items } = await c.list('Job', { namespace: 'default', labelSelector: 'suite' });
        const mine = items.filter((j) => j.metadata.name.startsWith('many-'));
        const done = mine.filter((j) => jobStatus(j).phase === 'Succeeded');
        return done.length === 50 ? done : undefined;
      },
      120_000,
    );
    assert.equal(jobs.length, 50);
    const { items } = await c.list('Run', { namespace: 'default' });
    const runs = items.map(runOf).filter((r) => r.spec.jobName.startsWith('many-'));
    assert.equal(runs.length, 50, 'exactly one Run per Job');
    for (const r of runs) {
      assert.equal(r.status.phase, 'Succeeded');
      assert.equal(r.status.exitCode, 0);
      assert.match(r.spec.nodeName, /^node-[123]$/);
    }
  });

  it('fails a Job that exits 3 after exactly backoffLimit + 1 Runs', async () => {
    const c = client();
    await c.apply(job('fails', { command: ['sh', '-c', 'echo failing; exit 3'], backoffLimit: 2 }));
    const j = await finished(c, 'fails');
    const st = jobStatus(j);
    assert.equal(st.phase, 'Failed');
    const failed = st.conditions?.find((x) => x.type === 'Failed');
    assert.equal(failed?.status, 'True');
    assert.equal(failed?.reason, 'BackoffLimitExceeded');
    const runs = await runsOf(c, 'fails');
    assert.equal(runs.length, 3, 'exactly 3 Runs');
    assert.deepEqual(runs.map((r) => r.spec.attempt).sort(), [0, 1, 2]);
    for (const r of runs) {
      assert.equal(r.status.phase, 'Failed');
      assert.equal(r.status.exitCode, 3);
      assert.equal(r.status.reason, 'Error');
    }
    // The Job is final: the controller creates no further Run (read again through another node).
    assert.equal((await runsOf(client(1), 'fails')).length, 3);
    // Controllers and agents record Events (pkg/events): the leader's and the executing node's.
    await eventually(
      'events BackoffLimitExceeded (Job) and Scheduled (Run)',
      async () => {
        const { items } = await c.list('Event', { namespace: 'default' });
        const about = (name: string) =>
          items
            .map((e) => e.spec as { involvedObject: { name: string }; reason: string })
            .filter((e) => e.involvedObject.name === name)
            .map((e) => e.reason);
        const job = about('fails');
        const run = about('fails-0');
        return job.includes('BackoffLimitExceeded') && run.includes('Scheduled') ? true : undefined;
      },
      30_000,
    );
  });

  it('serves logs of a Run from every node, the executing one and the others', async () => {
    const c = client();
    await c.apply(job('greet', { command: ['sh', '-c', 'echo hello from greet'] }));
    await finished(c, 'greet');
    const [run] = await runsOf(c, 'greet');
    assert.ok(run);
    const executing = Number(run.spec.nodeName.replace('node-', '')) as NodeId;
    const leader = await cluster.waitForLeader();
    // Every node, so at least one follower proxies from the executing node.
    for (const id of [1, 2, 3] as NodeId[]) {
      const out = await collect(client(id).logs({ namespace: 'default', job: 'greet' }));
      assert.equal(out, 'hello from greet\n', `logs via node ${id} (ran on ${executing})`);
    }
    const follower = ([1, 2, 3] as NodeId[]).find((id) => id !== leader.id && id !== executing);
    if (follower !== undefined) {
      const byRun = await collect(client(follower).logs({ namespace: 'default', run: 'greet-0' }));
      assert.equal(byRun, 'hello from greet\n');
    }
  });

  it('logs: job/NAME is the latest Run; --tail; NotFound errors', async () => {
    const c = client(2, 3, 1);
    const latest = await collect(c.logs({ namespace: 'default', job: 'fails' }));
    assert.equal(latest, 'failing\n');
    const all: LogsOptions = { namespace: 'default', run: 'fails-0' };
    assert.equal(await collect(c.logs(all)), 'failing\n');
    assert.equal(await collect(c.logs({ ...all, tail: 0 })), '');
    await c.apply(job('multi', { command: ['sh', '-c', 'echo one; echo two; echo three'] }));
    await finished(c, 'multi');
    assert.equal(
      await collect(c.logs({ namespace: 'default', job: 'multi' })),
      'one\ntwo\nthree\n',
    );
    assert.equal(
      await collect(c.logs({ namespace: 'default', job: 'multi', tail: 2 })),
      'two\nthree\n',
    );
    await assert.rejects(collect(c.logs({ namespace: 'default', job: 'nope' })), (err: Error) => {
      assert.match(err.message, /jobs "nope" not found/);
      return true;
    });
    await c.apply(job('held', { suspend: true }));
    await assert.rejects(collect(c.logs({ namespace: 'default', job: 'held' })), (err: Error) => {
      assert.match(err.message, /job "held" has no runs yet/);
      return true;
    });
    await assert.rejects(collect(c.logs({ namespace: 'default', run: 'nope-0' })), /not found/);
  });

  it('logs -f follows a running Run from a non-executing node until it ends', async () => {
    const c = client();
    await c.apply(job('slow', { command: ['sh', '-c', 'echo started; sleep 2'] }));
    // Follow from the start: the stream waits for the binding, then for the end.
    const followed = (async () => {
      const run = await eventually(
        'slow-0 to be bound',
        async () => (await runsOf(c, 'slow')).find((r) => r.spec.nodeName !== ''),
        30_000,
      );
      const executing = Number(run.spec.nodeName.replace('node-', '')) as NodeId;
      const other = executing === 1 ? 2 : 1;
      const out = await collect(
        client(other).logs({ namespace: 'default', job: 'slow', follow: true }),
      );
      return out;
    })();
    const out = await followed;
    assert.equal(out, 'started\n');
    // The stream ended only once the Run was final.
    const [run] = await runsOf(c, 'slow');
    assert.equal(run?.status.phase, 'Succeeded');
  });
});
