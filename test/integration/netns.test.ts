// Nodes on separate hosts, as far as the network is concerned: three jobd,
// each in its own network namespace with its own address (test/support/netns.ts),
// listening on 0.0.0.0 and advertising that address (--advertise). Nothing
// may assume one host: the cluster elects a leader, `cluster status` shows the
// advertised addresses, a Run's log is proxied from the node that ran it to
// another node, and a leader cut off by iptables DROP inside its namespace is
// replaced while writes go on through the others, then rejoins once healed.
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jobdPath } from '../../pkg/node/local-cluster.js';
import type { Job, Run } from '../../pkg/store/types.js';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { eventually } from '../support/eventually.js';
import { NetnsLab, netnsAvailable } from '../support/netns.js';

const PORT = 50051;
const available = await netnsAvailable();

describe(
  'jobd in separate network namespaces',
  { timeout: 600_000, skip: available ? false : 'needs root, ip and iptables' },
  () => {
    let lab: NetnsLab;
    let dir: string;
    const clients: GrpcClient[] = [];
    const addr = (i: number): string => `${lab.address(i)}:${PORT}`;
    const client = (...ids: number[]): GrpcClient => {
      const c = new GrpcClient({ servers: ids.map(addr), timeoutMs: 5000 });
      clients.push(c);
      return c;
    };
    /** The leader every answering member among `ids` agrees on. */
    const leaderOf = (ids: number[]) =>
      eventually(
        `a leader among ${ids.join(',')}`,
        async () => {
          const st = await client(...ids).clusterStatus();
          const agree = st.nodes.filter((n) => ids.includes(n.id) && n.leader === st.leader);
          return st.leader !== 0 && ids.includes(st.leader) && agree.length === ids.length
            ? st
            : undefined;
        },
        90_000,
        250,
      );

    before(async () => {
      lab = await NetnsLab.create(3);
      dir = mkdtempSync(join(tmpdir(), 'jobctl-netns-'));
      const peers = [1, 2, 3].map((i) => `${i}=${addr(i)}`).join(',');
      for (const i of [1, 2, 3]) {
        const p = lab.spawn(i, process.execPath, [
          jobdPath(),
          '--id',
          String(i),
          '--listen',
          `0.0.0.0:${PORT}`,
          '--advertise',
          addr(i),
          '--peers',
          peers,
          '--data-dir',
          join(dir, `node-${i}`),
          '--runtime',
          'fake',
          '--node-grace-ms',
          '3000',
        ]);
        const log = createWriteStream(join(dir, `node-${i}.log`));
        p.stdout?.pipe(log);
        p.stderr?.pipe(log);
      }
    });

    after(async () => {
      for (const c of clients) c.close();
      await lab?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('elects a leader; cluster status shows the advertised addresses', async () => {
      const st = await leaderOf([1, 2, 3]);
      assert.deepEqual(
        st.nodes.map((n) => n.address),
        [addr(1), addr(2), addr(3)],
      );
    });

    it("serves a Run's log from another node than the one that ran it", async () => {
      const c = client(1, 2, 3);
      await c.create({
        apiVersion: 'jobctl.dev/v1',
        kind: 'Job',
        metadata: { name: 'hello' },
        spec: { image: 'busybox:latest', command: ['echo', 'hello from a namespace'] },
      });
      await eventually('hello Succeeded', async () => {
        const j = (await c.get('Job', 'default', 'hello')) as Job;
        return j.status?.phase === 'Succeeded' ? j : undefined;
      });
      const runs = (await c.list('Run', { namespace: 'default' })).items as Run[];
      const ranOn = Number(/(\d+)$/.exec(runs[0]?.spec.nodeName ?? '')?.[1]);
      const other = [1, 2, 3].find((i) => i !== ranOn) as number;
      let text = '';
      for await (const chunk of client(other).logs({ namespace: 'default', job: 'hello' })) {
        text += Buffer.from(chunk).toString('utf8');
      }
      assert.match(text, /hello from a namespace/);
    });

    it('replaces a leader cut off by iptables, which rejoins once healed', async () => {
      const { leader } = await leaderOf([1, 2, 3]);
      await lab.isolate(leader);
      try {
        const rest = [1, 2, 3].filter((i) => i !== leader);
        const st = await leaderOf(rest);
        assert.notEqual(st.leader, leader);
        await client(...rest).create({
          apiVersion: 'jobctl.dev/v1',
          kind: 'Job',
          metadata: { name: 'during-partition' },
          spec: { image: 'busybox:latest', command: ['true'], suspend: true },
        });
      } finally {
        await lab.heal(leader);
      }
      await leaderOf([1, 2, 3]);
      const j = await eventually('the write seen on the healed node', async () =>
        client(leader).get('Job', 'default', 'during-partition'),
      );
      assert.equal(j.metadata.name, 'during-partition');
    });
  },
);
