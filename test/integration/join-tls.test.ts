// Joining a TLS cluster with certificates of another CA (docs/operations.md,
// "Adding a node"; docs/security.md): the joiner is refused during the TLS
// handshake, `jobd --join` exits 1 with one line saying which side refused
// and which flag to look at, and the cluster is unharmed (the same three
// voters, no learner, writes still accepted). A joiner with the right
// certificates then joins, so the refusal was about the CA and nothing else.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ClusterStatus } from '../../pkg/client/index.js';
import { LocalCluster, freePorts, jobdPath } from '../../pkg/node/local-cluster.js';
import { generateCerts } from '../../pkg/tls/certs.js';
import { CliRunner } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

interface Exit {
  readonly code: number;
  readonly stderr: string;
}

function jobd(args: readonly string[]): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(process.execPath, [jobdPath(), ...args], { timeout: 120_000 }, (err, _o, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }),
    );
  });
}

describe('joining a TLS cluster with another CA', { timeout: 600_000 }, () => {
  let dir: string;
  let cluster: LocalCluster;
  let cli: CliRunner;
  const certs = (): string => join(dir, 'certs');
  const other = (): string => join(dir, 'other-ca');

  const status = async (): Promise<ClusterStatus | undefined> => {
    const r = await cli.run([
      '--ca',
      join(certs(), 'ca.pem'),
      '--cert',
      join(certs(), 'admin.pem'),
      '--key',
      join(certs(), 'admin-key.pem'),
      'cluster',
      'status',
      '-o',
      'json',
    ]);
    return r.code === 0 ? (JSON.parse(r.stdout) as ClusterStatus) : undefined;
  };

  /** A join of node 4 with the given TLS files; its data dir must stay without a cluster. */
  const joinWith = async (ca: string, cert: string, key: string): Promise<Exit> => {
    const [port] = (await freePorts(1)) as [number];
    return jobd([
      '--id',
      '4',
      '--listen',
      `127.0.0.1:${port}`,
      '--join',
      cluster.member(1).address,
      '--data-dir',
      join(dir, `refused-${port}`),
      '--runtime',
      'fake',
      '--tls-ca',
      ca,
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ]);
  };

  const assertUnharmed = async (): Promise<void> => {
    const st = await eventually('cluster status', status, 30_000, 250);
    assert.deepEqual(
      st.nodes.map((n) => [n.id, n.membership]),
      [
        [1, 'voter'],
        [2, 'voter'],
        [3, 'voter'],
      ],
    );
    const client = cluster.resourceClient();
    const name = `after-refusal-${Date.now()}`;
    try {
      // The cluster still takes writes. Applied, not created, so that a write whose
      // deadline passed on a loaded machine (it may still commit) can be sent again;
      // the last error is in the time-out's message.
      await eventually(
        `Job ${name} applied`,
        () =>
          client.apply({
            apiVersion: 'jobctl.dev/v1',
            kind: 'Job',
            metadata: { name },
            spec: { image: 'busybox:latest', command: ['true'] },
          }),
        60_000,
        250,
      );
    } finally {
      client.close();
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-join-tls-'));
    await generateCerts({
      out: certs(),
      nodes: 4,
      users: [{ name: 'admin', groups: ['system:masters'] }],
    });
    await generateCerts({ out: other(), nodes: 4, caName: 'another CA' });
    cluster = await LocalCluster.start({
      nodes: 3,
      baseDir: dir,
      extraArgs: ['--runtime', 'fake'],
      tls: { dir: certs() },
    });
    cli = new CliRunner({ server: cluster.servers(), dir });
    await cluster.waitForLeader({ timeoutMs: 60_000 });
  });

  after(async () => {
    cli?.killAll();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a joiner trusting another CA does not trust the cluster: one line, nothing changes', async () => {
    const r = await joinWith(
      join(other(), 'ca.pem'),
      join(other(), 'node-4.pem'),
      join(other(), 'node-4-key.pem'),
    );
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      `jobd: cannot join ${cluster.member(1).address}: no member answers ` +
        '(certificate signed by unknown authority (is --tls-ca the cluster CA?))\n',
    );
    await assertUnharmed();
  });

  it('a certificate another CA signed, with the cluster CA: refused before dialing (exit 2)', async () => {
    const r = await joinWith(
      join(certs(), 'ca.pem'),
      join(other(), 'node-4.pem'),
      join(other(), 'node-4-key.pem'),
    );
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      `jobd: --tls-cert ${join(other(), 'node-4.pem')}: not signed by the CA in ${join(certs(), 'ca.pem')}\n`,
    );
    await assertUnharmed();
  });

  it('a certificate the cluster does not trust (joiner trusts both CAs) is refused by the cluster: one line, nothing changes', async () => {
    const bundle = join(dir, 'both-cas.pem');
    writeFileSync(
      bundle,
      readFileSync(join(other(), 'ca.pem'), 'utf8') + readFileSync(join(certs(), 'ca.pem'), 'utf8'),
    );
    const r = await joinWith(bundle, join(other(), 'node-4.pem'), join(other(), 'node-4-key.pem'));
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr,
      `jobd: cannot join ${cluster.member(1).address}: ` +
        'client certificate is not signed by the cluster CA (SELF_SIGNED_CERT_IN_CHAIN)\n',
    );
    await assertUnharmed();
  });

  it('the same node with the cluster CA joins', async () => {
    await cluster.join(4, [1]);
    await eventually(
      'node 4 a voter',
      async () => {
        const st = await status();
        return st?.nodes.find((n) => n.id === 4)?.membership === 'voter' ? st : undefined;
      },
      120_000,
      500,
    );
  });
});
