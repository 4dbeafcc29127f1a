// A jobd whose container runtime is unreachable (docker runtime, DOCKER_HOST
// pointing at a socket nobody listens on) stays up and Ready, reports
// RuntimeReady=False with Docker's error, and the scheduler places nothing on
// it: a Job's Run stays Pending with the reason in its message.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { LocalCluster } from '../../pkg/node/local-cluster.js';
import { API_VERSION, type Resource } from '../../pkg/store/index.js';
import { eventually } from '../support/eventually.js';

interface Cond {
  type: string;
  status: string;
  message?: string;
}

describe('jobd with an unreachable container runtime', { timeout: 120_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;
  let client: GrpcClient;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-rtdown-'));
    cluster = await LocalCluster.start({
      nodes: 1,
      baseDir: dir,
      extraArgs: ['--runtime', 'docker'],
      env: { ...process.env, DOCKER_HOST: `unix://${join(dir, 'no-docker.sock')}` },
    });
    await cluster.waitForLeader({ timeoutMs: 30_000 });
    client = cluster.resourceClient();
  });

  after(async () => {
    client?.close();
    await cluster?.stop();
    if (cluster?.isRunning(1)) await cluster.kill(1, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('stays Ready with RuntimeReady=False and gets no Runs', async () => {
    const node = await eventually(
      'RuntimeReady=False',
      async () => {
        const n = await client.get('Node', '', 'node-1');
        const conds = ((n.status ?? {}) as { conditions?: Cond[] }).conditions ?? [];
        const rt = conds.find((c) => c.type === 'RuntimeReady');
        return rt?.status === 'False' ? conds : undefined;
      },
      30_000,
    );
    assert.equal(node.find((c) => c.type === 'Ready')?.status, 'True');
    assert.ok(node.find((c) => c.type === 'RuntimeReady')?.message, 'carries the error');

    await client.apply({
      apiVersion: API_VERSION,
      kind: 'Job',
      metadata: { name: 'stuck' },
      spec: { command: ['echo', 'never'] },
    });
    const run: Resource = await eventually(
      'the Run to be refused by the scheduler',
      async () => {
        const { items } = await client.list('Run', { namespace: 'default' });
        const r = items.find((x) => (x.spec as { jobName: string }).jobName === 'stuck');
        const msg = (r?.status as { message?: string } | undefined)?.message ?? '';
        return r && /ready runtime/.test(msg) ? r : undefined;
      },
      30_000,
    );
    assert.equal((run.spec as { nodeName: string }).nodeName, '');
    assert.equal((run.status as { phase: string }).phase, 'Pending');
    assert.ok(cluster.isRunning(1), 'jobd did not crash');
  });
});
