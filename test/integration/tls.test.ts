// A real 3-node jobd cluster with TLS everywhere (certificates from `jobd
// certs`, fake runtime: this is about the control plane's connections):
// - works with the right certificates: the CLI, GrpcClient and REST over HTTPS;
// - refuses a client whose certificate comes from another CA, a client that
//   does not trust the cluster CA, plaintext clients, a raw gRPC client on the
//   Raft service (without a node certificate) and a jobd impostor whose
//   certificates come from another CA;
// - reloads certificates without a restart: a node's new certificate (same CA)
//   is served on new connections, a half-replaced set is not used, and a CA
//   bundle (old + new CA) lets clients of a rotated CA in.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { GrpcClient } from '../../pkg/transport/grpc-client.js';
import { jobdPath, nodeTlsArgs, userSecurity } from '../../pkg/node/local-cluster.js';
import { generateCerts } from '../../pkg/tls/certs.js';
import { E2ECluster, eventually } from '../support/cluster.js';

const job = (name: string) => ({
  apiVersion: 'jobctl.dev/v1',
  kind: 'Job',
  metadata: { name },
  spec: { command: ['true'] },
});

/** SHA-256 fingerprint of the certificate a TLS server at HOST:PORT serves now (new connection). */
function servedFingerprint(address: string, ca: Buffer, alpn: string[]): Promise<string> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port: Number(port), ca, ALPNProtocols: alpn }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}

/** GET over HTTPS; resolves status and body (rejects on TLS failure). */
function httpsGet(
  address: string,
  path: string,
  tls: { ca: Buffer; cert?: Buffer; key?: Buffer },
): Promise<{ status: number; body: string }> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), path, ...tls, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += String(c)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

/** A raw client-streaming call to Raft.Send with the given credentials: the status it ends with. */
function rawRaftCall(address: string, creds: grpc.ChannelCredentials): Promise<grpc.ServiceError> {
  const client = new grpc.Client(address, creds);
  return new Promise((resolve) => {
    const call = client.makeClientStreamRequest(
      '/jobctl.raft.v1.Raft/Send',
      (b: Buffer) => b,
      (b: Buffer) => b,
      { deadline: Date.now() + 10_000 },
      (err) => {
        client.close();
        resolve(err as grpc.ServiceError);
      },
    );
    call.on('error', () => {});
    call.end();
  });
}

const read = (path: string): Buffer => readFileSync(path);

describe('TLS everywhere (3 real nodes)', { timeout: 600_000 }, () => {
  let c: E2ECluster;
  /** A second, unrelated CA with a node and a user certificate. */
  let other: string;

  before(async () => {
    c = await E2ECluster.start({
      runtime: 'fake',
      tls: { users: [{ name: 'ci', groups: ['dev'] }] },
      http: true,
    });
    other = join(c.dir, 'other-ca');
    await generateCerts({
      out: other,
      nodes: 3,
      users: [{ name: 'eve', groups: ['system:masters'] }],
      caName: 'another CA',
    });
  });
  after(async () => {
    await c?.stop();
  });

  it('works with the right certificates: CLI, GrpcClient, REST over HTTPS', async () => {
    const applied = await c.cliOk(['apply', '-f', '-'], { input: JSON.stringify(job('over-tls')) });
    assert.match(applied, /job.jobctl.dev\/over-tls created/);
    const got = await c.cliOk(['get', 'jobs', 'over-tls', '-o', 'name']);
    assert.equal(got.trim(), 'job.jobctl.dev/over-tls');
    assert.match(await c.cliOk(['cluster', 'status']), /leader: \d/);

    const client = c.client();
    const list = await client.list('Job');
    assert.deepEqual(
      list.items.map((j) => j.metadata.name),
      ['over-tls'],
    );

    // REST: HTTPS with the same CA; a client certificate is optional.
    const ca = read(join(c.certsDir, 'ca.pem'));
    const http = c.member(1).http as string;
    const anon = await httpsGet(http, '/healthz', { ca });
    assert.equal(anon.status, 200);
    const sec = c.security('admin');
    const withCert = await httpsGet(http, '/apis/jobctl.dev/v1/namespaces/default/jobs', {
      ca,
      cert: read(sec?.cert as string),
      key: read(sec?.key as string),
    });
    assert.equal(withCert.status, 200);
    assert.match(withCert.body, /"over-tls"/);
  });

  it('refuses a client certificate from another CA (gRPC and REST), one clear line', async () => {
    const eve = userSecurity(other, 'eve');
    // It trusts the cluster CA, so the failure is the server refusing eve's certificate.
    const r = await c.cli(
      ['get', 'jobs', '--ca', join(c.certsDir, 'ca.pem'), '--cert', eve.cert as string, '--key', eve.key as string],
      { noTlsFlags: true },
    ); // prettier-ignore
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      r.stderr.trim(),
      'Error from server (Forbidden): client certificate is not signed by the cluster CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    );
    assert.equal(r.stderr.trim().split('\n').length, 1);

    const ca = read(join(c.certsDir, 'ca.pem'));
    const rest = await httpsGet(
      c.member(2).http as string,
      '/apis/jobctl.dev/v1/namespaces/default/jobs',
      {
        ca,
        cert: read(eve.cert as string),
        key: read(eve.key as string),
      },
    );
    assert.equal(rest.status, 401);
    assert.match(rest.body, /not signed by the cluster CA/);
  });

  it('refuses clients that do not trust the cluster CA, and plaintext clients', async () => {
    const wrongCa = await c.cli(['get', 'jobs', '--ca', join(other, 'ca.pem')], {
      noTlsFlags: true,
      server: c.servers([1]),
    });
    assert.equal(wrongCa.code, 3);
    assert.equal(
      wrongCa.stderr.trim(),
      `Unable to connect to the server at ${c.servers([1])}: certificate signed by unknown authority (is --ca the cluster CA?)`,
    );
    const plain = await c.cli(['get', 'jobs'], { noTlsFlags: true, server: c.servers([1]) });
    assert.equal(plain.code, 3);
    assert.match(
      plain.stderr,
      /^Unable to connect to the server at .*: connection closed during setup \(does the server require TLS\? pass --ca\)\n$/,
    );

    // GrpcClient without TLS: unreachable, never an answer.
    const plainClient = new GrpcClient({ servers: c.servers([1]), timeoutMs: 5000 });
    try {
      await assert.rejects(plainClient.list('Job'), /Unable to connect/);
    } finally {
      plainClient.close();
    }
    // Plain HTTP on the HTTPS port gets no API answer.
    const http = c.member(1).http as string;
    const res = await fetch(`http://${http}/apis/jobctl.dev/v1/namespaces/default/jobs`).then(
      (r) => r.status,
      () => 'refused',
    );
    assert.notEqual(res, 200);
  });

  it("serves Raft only to nodes: a user certificate and another CA's node certificate are refused", async () => {
    const ca = read(join(c.certsDir, 'ca.pem'));
    const admin = c.security('admin');
    const asAdmin = await rawRaftCall(
      c.member(1).address,
      grpc.credentials.createSsl(ca, read(admin?.key as string), read(admin?.cert as string)),
    );
    assert.equal(asAdmin.code, grpc.status.PERMISSION_DENIED);
    assert.match(asAdmin.details, /only cluster nodes .*O=system:nodes/);

    const forged = await rawRaftCall(
      c.member(1).address,
      grpc.credentials.createSsl(
        ca,
        read(join(other, 'node-2-key.pem')),
        read(join(other, 'node-2.pem')),
      ),
    );
    assert.equal(forged.code, grpc.status.PERMISSION_DENIED);
    assert.match(forged.details, /not signed by the cluster CA/);

    const plaintext = await rawRaftCall(c.member(1).address, grpc.credentials.createInsecure());
    assert.equal(plaintext.code, grpc.status.UNAVAILABLE);
  });

  it('refuses a jobd whose certificates come from another CA', async () => {
    // Node 3 is replaced by an impostor at the same address with another CA's files.
    await c.kill(3);
    const m3 = c.member(3);
    const log = join(c.dir, 'impostor.log');
    const out = createWriteStream(log);
    const impostor = spawn(
      process.execPath,
      [
        jobdPath(),
        '--id', '3',
        '--listen', m3.address,
        '--peers', c.members.map((m) => `${m.id}=${m.address}`).join(','),
        '--data-dir', join(c.dir, 'impostor'),
        '--runtime', 'fake',
        ...nodeTlsArgs(other, 3),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    ); // prettier-ignore
    impostor.stdout.pipe(out);
    impostor.stderr.pipe(out);
    try {
      // Its Raft streams to the cluster fail on the certificate, both ways.
      await eventually(
        'the impostor logging a broken peer stream',
        () => (/raft peer stream broken/.test(readFileSync(log, 'utf8')) ? true : undefined),
        60_000,
      );
      // The cluster (nodes 1 and 2) carries on and sees node 3 as unreachable.
      await c.cliOk(['apply', '-f', '-'], {
        input: JSON.stringify(job('while-impostor')),
        server: c.servers([1, 2]),
      });
      const status = JSON.parse(
        await c.cliOk(['cluster', 'status', '-o', 'json'], { server: c.servers([1, 2]) }),
      ) as { nodes: { id: number; health: string }[] };
      assert.equal(status.nodes.find((n) => n.id === 3)?.health, 'unreachable');
      // And the impostor never received the log: as seen with its own CA, it has no leader.
      const own = userSecurity(other, 'eve');
      const seen = await c.cli(
        ['cluster', 'status', '-o', 'json', '--ca', own.ca as string, '--cert', own.cert as string, '--key', own.key as string],
        { noTlsFlags: true, server: m3.address },
      ); // prettier-ignore
      assert.equal(seen.code, 0, seen.stderr);
      const me = (JSON.parse(seen.stdout) as { nodes: { id: number; commit: number }[] }).nodes;
      assert.equal(me.find((n) => n.id === 3)?.commit ?? 0, 0);
    } finally {
      impostor.kill('SIGKILL');
      await new Promise((r) => impostor.once('exit', r));
      out.end();
    }
    c.restart(3);
    await c.waitForLeader();
  });

  it('reloads a node certificate without a restart; a half-replaced set is not used', async () => {
    const ca = read(join(c.certsDir, 'ca.pem'));
    const m1 = c.member(1);
    const before1 = await servedFingerprint(m1.address, ca, ['h2']);
    const beforeRest = await servedFingerprint(m1.http as string, ca, ['http/1.1']);
    assert.equal(before1, beforeRest);

    // New node certificates signed by the same CA (the CA files are copied in).
    const fresh = join(c.dir, 'fresh');
    mkdirSync(fresh);
    copyFileSync(join(c.certsDir, 'ca.pem'), join(fresh, 'ca.pem'));
    copyFileSync(join(c.certsDir, 'ca-key.pem'), join(fresh, 'ca-key.pem'));
    await generateCerts({ out: fresh, nodes: 2 });
    const want = new X509Certificate(read(join(fresh, 'node-1.pem'))).fingerprint256;
    assert.notEqual(want, before1);

    // Replace node 1's files (key first, then certificate, as a tool would).
    writeFileSync(join(c.certsDir, 'node-1-key.pem'), read(join(fresh, 'node-1-key.pem')));
    writeFileSync(join(c.certsDir, 'node-1.pem'), read(join(fresh, 'node-1.pem')));
    await eventually('node 1 serving its new certificate (gRPC)', async () =>
      (await servedFingerprint(m1.address, ca, ['h2'])) === want ? true : undefined,
      30_000, 200,
    ); // prettier-ignore
    await eventually('node 1 serving its new certificate (HTTPS)', async () =>
      (await servedFingerprint(m1.http as string, ca, ['http/1.1'])) === want ? true : undefined,
      30_000, 200,
    ); // prettier-ignore
    // The cluster still works through node 1 (its peers accept the new certificate).
    await c.cliOk(['apply', '-f', '-'], {
      input: JSON.stringify(job('after-reload')),
      server: c.servers([1]),
    });
    assert.match(readFileSync(m1.logFile, 'utf8'), /TLS files reloaded/);

    // Node 2 gets a certificate that does not match its key: refused, old one kept.
    const m2 = c.member(2);
    const before2 = await servedFingerprint(m2.address, ca, ['h2']);
    writeFileSync(join(c.certsDir, 'node-2.pem'), read(join(fresh, 'node-2.pem')));
    await eventually(
      'node 2 logging that the changed files are not used',
      () =>
        /changed TLS files not used: --tls-key .*node-2-key.pem: does not match the certificate/.test(
          readFileSync(m2.logFile, 'utf8'),
        )
          ? true
          : undefined,
      30_000,
    );
    assert.equal(await servedFingerprint(m2.address, ca, ['h2']), before2);
    // Completing the set (the matching key) makes it current.
    writeFileSync(join(c.certsDir, 'node-2-key.pem'), read(join(fresh, 'node-2-key.pem')));
    const want2 = new X509Certificate(read(join(fresh, 'node-2.pem'))).fingerprint256;
    await eventually('node 2 serving its new certificate', async () =>
      (await servedFingerprint(m2.address, ca, ['h2'])) === want2 ? true : undefined,
      30_000, 200,
    ); // prettier-ignore
  });

  it("CA rotation: a bundle of old and new CA lets the new CA's clients in, without a restart", async () => {
    const rotated = join(c.dir, 'rotated');
    await generateCerts({
      out: rotated,
      nodes: 0,
      users: [{ name: 'rot', groups: ['system:masters'] }],
      caName: 'rotated CA',
    });
    const rot = userSecurity(rotated, 'rot');
    const args = ['get', 'jobs', '-o', 'name', '--ca', join(c.certsDir, 'ca.pem'), '--cert', rot.cert as string, '--key', rot.key as string]; // prettier-ignore
    // Before: the new CA is unknown to the cluster.
    const refused = await c.cli(args, { noTlsFlags: true });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not signed by the cluster CA/);
    // Step 1 of a rotation: every node trusts both CAs (one shared file here).
    const oldCa = readFileSync(join(c.certsDir, 'ca.pem'), 'utf8');
    const bundle = join(c.dir, 'bundle.pem');
    writeFileSync(bundle, oldCa + readFileSync(join(rotated, 'ca.pem'), 'utf8'));
    copyFileSync(bundle, join(c.certsDir, 'ca.pem'));
    await eventually(
      'a client of the rotated CA accepted',
      async () => {
        const r = await c.cli(args, { noTlsFlags: true });
        return r.code === 0 ? r : undefined;
      },
      60_000,
      500,
    );
    // Old-CA clients still work meanwhile.
    await c.cliOk(['get', 'jobs', '-o', 'name']);
  });

  it('jobd refuses incomplete or unreadable TLS flags with one line', () => {
    const base = ['--id', '1', '--listen', '127.0.0.1:1', '--peers', '1=127.0.0.1:1', '--data-dir', join(c.dir, 'x')]; // prettier-ignore
    const partial = spawnSync(process.execPath, [jobdPath(), ...base, '--tls-ca', join(c.certsDir, 'ca.pem')], { encoding: 'utf8' }); // prettier-ignore
    assert.equal(partial.status, 2);
    assert.equal(
      partial.stderr,
      'jobd: --tls-ca, --tls-cert and --tls-key go together: --tls-ca given without --tls-cert and --tls-key\n',
    );
    const missing = spawnSync(
      process.execPath,
      [jobdPath(), ...base, ...nodeTlsArgs(c.certsDir, 1).slice(0, 5), '/nonexistent/key.pem'],
      { encoding: 'utf8' },
    );
    assert.equal(missing.status, 2);
    assert.equal(
      missing.stderr,
      'jobd: --tls-key /nonexistent/key.pem: cannot read (no such file)\n',
    );
    const foreign = spawnSync(
      process.execPath,
      [jobdPath(), ...base, '--tls-ca', join(c.certsDir, 'ca.pem'), '--tls-cert', join(other, 'node-1.pem'), '--tls-key', join(other, 'node-1-key.pem')],
      { encoding: 'utf8' },
    ); // prettier-ignore
    assert.equal(foreign.status, 2);
    assert.match(
      foreign.stderr,
      /^jobd: --tls-cert .*other-ca\/node-1\.pem: not signed by the CA in .*ca\.pem\n$/,
    );
  });
});
