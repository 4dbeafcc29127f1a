// Nodes on separate hosts, as far as the network is concerned: three jobd,
// each in its own network namespace with its own address (test/support/netns.ts),
// listening on 0.0.0.0 and advertising that address (--advertise), with TLS
// from `jobd certs --hosts` (each node certificate names the node addresses:
// peers and clients dial those and verify them). Nothing may assume one host:
// the cluster elects a leader, `cluster status` shows the advertised
// addresses, the dashboard (REST on each node) shows them too, a Run's log is
// proxied from the node that ran it to another node, a leader cut off by
// iptables DROP inside its namespace is replaced while writes go on through
// the others, then rejoins once healed, and under random loss made by the
// kernel in every namespace writes still succeed and none is lost.
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jobdPath, nodeTlsArgs, userSecurity } from '../../pkg/node/local-cluster.js';
import { generateCerts } from '../../pkg/tls/certs.js';
import type { Job, Run } from '../../pkg/store/types.js';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { eventually } from '../support/eventually.js';
import { NetnsLab, netnsAvailable } from '../support/netns.js';

const PORT = 50051;
const HTTP_PORT = 8081;
const available = await netnsAvailable();

describe(
  'jobd in separate network namespaces',
  { timeout: 600_000, skip: available ? false : 'needs root, ip and iptables' },
  () => {
    let lab: NetnsLab;
    let dir: string;
    const clients: GrpcClient[] = [];
    const addr = (i: number): string => `${lab.address(i)}:${PORT}`;
    const certs = (): string => join(dir, 'certs');
    const client = (...ids: number[]): GrpcClient => {
      const c = new GrpcClient({
        servers: ids.map(addr),
        timeoutMs: 5000,
        security: userSecurity(certs(), 'admin'),
      });
      clients.push(c);
      return c;
    };
    /** GET https://HOST:HTTP_PORT/PATH from node i's REST server, as admin, verifying its certificate. */
    const httpsGet = (i: number, path: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: lab.address(i),
            port: HTTP_PORT,
            path,
            ca: readFileSync(join(certs(), 'ca.pem')),
            cert: readFileSync(join(certs(), 'admin.pem')),
            key: readFileSync(join(certs(), 'admin-key.pem')),
            timeout: 5000,
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () =>
              res.statusCode === 200
                ? resolve(body)
                : reject(new Error(`GET ${path} on node ${i}: ${res.statusCode} ${body}`)),
            );
          },
        );
        req.on('timeout', () => req.destroy(new Error(`GET ${path} on node ${i}: timeout`)));
        req.on('error', reject);
        req.end();
      });
    /** The IP SANs of the certificate node i serves on its gRPC address (the name verified). */
    const servedIpSans = (i: number): Promise<string[]> =>
      new Promise((resolve, reject) => {
        const socket = tlsConnect(
          {
            host: lab.address(i),
            port: PORT,
            ca: readFileSync(join(certs(), 'ca.pem')),
            ALPNProtocols: ['h2'],
          },
          () => {
            const san = socket.getPeerCertificate().subjectaltname ?? '';
            socket.destroy();
            resolve([...san.matchAll(/IP Address:([0-9.]+)/g)].map((m) => m[1] as string));
          },
        );
        socket.on('error', reject);
      });
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
      await generateCerts({
        out: certs(),
        nodes: 3,
        users: [{ name: 'admin', groups: ['system:masters'] }],
        hosts: [1, 2, 3].map((i) => lab.address(i)),
      });
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
          '--http',
          `0.0.0.0:${HTTP_PORT}`,
          ...nodeTlsArgs(certs(), i),
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

    it('TLS: each node serves a certificate naming its own address, which peers and clients verify', async () => {
      await leaderOf([1, 2, 3]);
      for (const i of [1, 2, 3]) {
        const sans = await servedIpSans(i);
        assert.ok(sans.includes(lab.address(i)), `node ${i} certificate SANs ${sans.join(',')}`);
      }
    });

    it('the dashboard on any node shows the advertised addresses', async () => {
      const st = await leaderOf([1, 2, 3]);
      for (const i of [1, 2, 3]) {
        const page = await httpsGet(i, '/');
        assert.match(page, /<html/i);
        const seen = JSON.parse(await httpsGet(i, '/api/cluster/status')) as {
          nodes: { id: number; address: string }[];
        };
        assert.deepEqual(
          seen.nodes.map((n) => [n.id, n.address]),
          [1, 2, 3].map((j) => [j, addr(j)]),
        );
      }
      // The Node objects the dashboard's nodes page lists carry the same addresses.
      const nodes = await eventually('every Node reports its advertised address', async () => {
        const list = JSON.parse(await httpsGet(2, '/apis/jobctl.dev/v1/nodes')) as {
          items: { metadata: { name: string }; status?: { raft?: { address?: string } } }[];
        };
        const got = list.items.map((n) => n.status?.raft?.address).sort();
        return got.length === 3 && got.every(Boolean) ? got : undefined;
      });
      assert.deepEqual(nodes, [1, 2, 3].map(addr).sort());
      assert.ok(st.leader > 0);
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
    it('under random loss in every namespace (kernel DROP), writes still succeed and none is lost', async () => {
      await leaderOf([1, 2, 3]);
      for (const i of [1, 2, 3]) await lab.loss(i, 0.1);
      const acked: string[] = [];
      try {
        const c = client(1, 2, 3);
        for (let n = 0; n < 20; n++) {
          const name = `lossy-${n}`;
          // A write whose answer was lost may have committed: AlreadyExists then is its ack.
          await eventually(
            `${name} acknowledged under loss`,
            async () => {
              try {
                await c.create({
                  apiVersion: 'jobctl.dev/v1',
                  kind: 'Job',
                  metadata: { name },
                  spec: { image: 'busybox:latest', command: ['true'], suspend: true },
                });
                return true;
              } catch (err) {
                return /already exists/i.test(String(err)) ? true : undefined;
              }
            },
            120_000,
            250,
          );
          acked.push(name);
        }
        // The kernel did drop packets meanwhile (else this proved nothing).
        for (const i of [1, 2, 3]) assert.ok((await lab.dropped(i)) > 0, `node ${i} dropped none`);
      } finally {
        for (const i of [1, 2, 3]) await lab.heal(i);
      }
      assert.equal(acked.length, 20);
      for (const i of [1, 2, 3]) {
        const names = await eventually(`node ${i} has every acknowledged write`, async () => {
          const items = (await client(i).list('Job', { namespace: 'default' })).items;
          const have = new Set(items.map((j) => j.metadata.name));
          return acked.every((n) => have.has(n)) ? have : undefined;
        });
        assert.ok(acked.every((n) => names.has(n)));
      }
    });
  },
);
