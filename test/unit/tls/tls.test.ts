// pkg/tls without a cluster: certificates made by `jobd certs` (real openssl),
// the checks a node's TLS files go through (one line naming the file), the
// reload of changed files, the identity a verified certificate gives, the
// --users and --tls-* parsing, and the CLI's words for TLS failures.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { parseTlsFlags } from '../../../pkg/node/config.js';
import { generateCerts, parseUsers } from '../../../pkg/tls/certs.js';
import { tlsFailureDetail } from '../../../pkg/tls/errors.js';
import { serverCredentials } from '../../../pkg/transport/grpc-tls.js';
import { ReloadingTls, loadTlsMaterial, type TlsPaths } from '../../../pkg/tls/files.js';
import {
  grpcPeerIdentity,
  httpPeerIdentity,
  identityOf,
  isNodeIdentity,
} from '../../../pkg/tls/identity.js';

let dir: string;
let otherDir: string;
const node = (d: string, id: number): TlsPaths => ({
  ca: join(d, 'ca.pem'),
  cert: join(d, `node-${id}.pem`),
  key: join(d, `node-${id}-key.pem`),
});

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobctl-tls-unit-'));
  otherDir = join(dir, 'other');
  await generateCerts({
    out: dir,
    nodes: 2,
    users: [{ name: 'ci', groups: ['dev', 'ops'] }],
    hosts: ['10.0.0.7', 'jobd.example'],
  });
  await generateCerts({ out: otherDir, nodes: 1 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('jobd certs', () => {
  it('makes a CA, node certificates (CN node-N, O system:nodes, SANs) and user certificates (CN user, O groups)', () => {
    const n1 = new X509Certificate(readFileSync(join(dir, 'node-1.pem')));
    assert.equal(n1.subject, 'CN=node-1\nO=system:nodes');
    assert.equal(
      n1.subjectAltName,
      'IP Address:127.0.0.1, DNS:localhost, IP Address:10.0.0.7, DNS:jobd.example',
    );
    const ca = new X509Certificate(readFileSync(join(dir, 'ca.pem')));
    assert.ok(ca.ca);
    assert.ok(n1.verify(ca.publicKey));
    const ci = new X509Certificate(readFileSync(join(dir, 'ci.pem')));
    assert.equal(ci.subject, 'CN=ci\nO=dev\nO=ops');
    assert.ok(ci.checkIssued(ca));
    // Another run reuses the CA: more certificates for the same cluster.
    assert.ok(loadTlsMaterial(node(dir, 2)));
  });

  it('parses --users NAME[:GROUP[+GROUP]]', () => {
    assert.deepEqual(parseUsers('admin:system:masters, ci:dev+ops,bob'), [
      { name: 'admin', groups: ['system:masters'] },
      { name: 'ci', groups: ['dev', 'ops'] },
      { name: 'bob', groups: [] },
    ]);
    assert.throws(() => parseUsers('a/b:x'), /"a\/b" is not a valid user name/);
  });
});

describe('TLS files of a node', () => {
  it('accepts a consistent set', () => {
    const m = loadTlsMaterial(node(dir, 1));
    assert.match(m.fingerprint, /^[0-9A-F:]+$/);
  });

  it('refuses each kind of bad set with one line naming the file', () => {
    const p = node(dir, 1);
    assert.throws(
      () => loadTlsMaterial({ ...p, key: '/nonexistent/k.pem' }),
      /^SecurityConfigError: --tls-key \/nonexistent\/k\.pem: cannot read \(no such file\)$/,
    );
    assert.throws(
      () => loadTlsMaterial({ ...p, key: node(dir, 2).key }),
      /--tls-key .*node-2-key\.pem: does not match the certificate .*node-1\.pem/,
    );
    assert.throws(
      () => loadTlsMaterial({ ...p, cert: node(otherDir, 1).cert, key: node(otherDir, 1).key }),
      /--tls-cert .*other\/node-1\.pem: not signed by the CA in .*ca\.pem/,
    );
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'hello\n');
    assert.throws(
      () => loadTlsMaterial({ ...p, ca: junk }),
      /--tls-ca .*junk\.pem: not a PEM file/,
    );
  });

  it('--tls-ca, --tls-cert and --tls-key go together', () => {
    assert.equal(parseTlsFlags(undefined, undefined, undefined), undefined);
    assert.deepEqual(parseTlsFlags('a', 'b', 'c'), { ca: 'a', cert: 'b', key: 'c' });
    assert.throws(
      () => parseTlsFlags('a', undefined, 'c'),
      /^JobctlError: --tls-ca, --tls-cert and --tls-key go together: --tls-ca and --tls-key given without --tls-cert$/,
    );
  });
});

describe('ReloadingTls', () => {
  it('takes a changed consistent set, keeps the old one for an inconsistent set, ignores a rewrite', async () => {
    const p: TlsPaths = {
      ca: join(dir, 'ca.pem'),
      cert: join(dir, 'live-cert.pem'),
      key: join(dir, 'live-key.pem'),
    };
    copyFileSync(node(dir, 1).cert, p.cert);
    copyFileSync(node(dir, 1).key, p.key);
    const errors: string[] = [];
    const tls = new ReloadingTls(p, { onError: (m) => errors.push(m) });
    const first = tls.current.fingerprint;
    const seen: string[] = [];
    tls.onChange((m) => seen.push(m.fingerprint));
    const identities: Buffer[] = [];
    tls.addIdentityCertificateListener((u) => u && identities.push(u.certificate));
    await new Promise((r) => process.nextTick(r));
    assert.equal(identities.length, 1, 'the current identity is delivered to a new listener');

    writeFileSync(p.cert, readFileSync(node(dir, 1).cert));
    assert.equal(await tls.check(), false, 'same content: nothing to do');

    // Half replaced: node 2's certificate with node 1's key.
    writeFileSync(p.cert, readFileSync(node(dir, 2).cert));
    assert.equal(await tls.check(), false);
    assert.equal(tls.current.fingerprint, first);
    assert.equal(errors.length, 1);
    assert.match(
      errors[0] as string,
      /changed TLS files not used: --tls-key .*live-key\.pem: does not match/,
    );
    assert.equal(await tls.check(), false);
    assert.equal(errors.length, 1, 'the same bad content is reported once');

    writeFileSync(p.key, readFileSync(node(dir, 2).key));
    assert.equal(await tls.check(), true);
    assert.notEqual(tls.current.fingerprint, first);
    assert.deepEqual(seen, [tls.current.fingerprint]);
    assert.equal(identities.length, 2);
    assert.deepEqual(identities[1], readFileSync(node(dir, 2).cert));
    tls.close();
  });
});

describe('identity of a verified certificate', () => {
  const cert = (subject: Record<string, string | string[]>): PeerCertificate =>
    ({ subject, raw: Buffer.from('x') }) as unknown as PeerCertificate;

  it('CN is the user, each O a group', () => {
    assert.deepEqual(identityOf(cert({ CN: 'ci', O: ['dev', 'ops'] })), {
      user: 'ci',
      groups: ['dev', 'ops'],
    });
    assert.deepEqual(identityOf(cert({ CN: 'admin', O: 'system:masters' })), {
      user: 'admin',
      groups: ['system:masters'],
    });
    assert.equal(identityOf(cert({ O: 'x' })), undefined);
    assert.ok(isNodeIdentity(identityOf(cert({ CN: 'node-1', O: 'system:nodes' }))));
  });

  it('gRPC: from the call auth context (present only when verified)', () => {
    const call = (c?: PeerCertificate) => ({ getAuthContext: () => ({ sslPeerCertificate: c }) });
    assert.deepEqual(grpcPeerIdentity(call(cert({ CN: 'ci', O: 'dev' }))), {
      user: 'ci',
      groups: ['dev'],
    });
    assert.equal(grpcPeerIdentity(call()), undefined);
  });

  it('gRPC: a connection’s certificate is read once, then remembered for its later calls', () => {
    let reads = 0;
    // The shape grpc-js gives a server call: its HTTP/2 stream, session and TLS socket.
    const callOn = (socket: object, c?: PeerCertificate) => ({
      stream: { session: { socket } },
      getAuthContext: () => {
        reads++;
        return { sslPeerCertificate: c };
      },
    });
    const first = { encrypted: true, authorized: true };
    const second = { encrypted: true, authorized: true };
    const ci = cert({ CN: 'ci', O: 'dev' });
    const bob = cert({ CN: 'bob' });
    assert.deepEqual(grpcPeerIdentity(callOn(first, ci)), { user: 'ci', groups: ['dev'] });
    assert.deepEqual(grpcPeerIdentity(callOn(first, ci)), { user: 'ci', groups: ['dev'] });
    assert.equal(reads, 1);
    // Another connection is another certificate.
    assert.deepEqual(grpcPeerIdentity(callOn(second, bob)), { user: 'bob', groups: [] });
    assert.equal(reads, 2);
    // An unverified connection is asked every time (and grpc-js says nothing).
    const forged = { encrypted: true, authorized: false };
    assert.equal(grpcPeerIdentity(callOn(forged)), undefined);
    assert.equal(grpcPeerIdentity(callOn(forged)), undefined);
    assert.equal(reads, 4);
  });

  it('gRPC over real TLS: the identity of every call, the certificate read once per connection', async () => {
    const pem = (f: string) => readFileSync(join(dir, f));
    const raw = (b: Buffer) => b;
    const echo = {
      path: '/t.T/Who',
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: raw,
      responseDeserialize: raw,
    };
    const server = new grpc.Server();
    server.addService(
      { who: echo },
      {
        who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
          cb(null, Buffer.from(JSON.stringify(grpcPeerIdentity(call) ?? null))),
      },
    );
    // The node's own server credentials: a client certificate asked for, not required.
    const nodeTls = new ReloadingTls(node(dir, 1));
    const creds = serverCredentials(nodeTls);
    const port = await new Promise<number>((res, rej) =>
      server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? rej(e) : res(p))),
    );
    const Client = grpc.makeGenericClientConstructor({ who: echo }, 'T');
    const client = new Client(
      `localhost:${port}`,
      grpc.credentials.createSsl(pem('ca.pem'), pem('ci-key.pem'), pem('ci.pem')),
    );
    const who = () =>
      new Promise<unknown>((res, rej) =>
        client.makeUnaryRequest(echo.path, raw, raw, Buffer.alloc(0), (e, v) =>
          e ? rej(e) : res(JSON.parse(String(v))),
        ),
      );
    const original = TLSSocket.prototype.getPeerCertificate;
    let reads = 0;
    TLSSocket.prototype.getPeerCertificate = function (this: TLSSocket, ...a: [true]) {
      reads++;
      return original.apply(this, a);
    } as typeof original;
    try {
      assert.deepEqual(await who(), { user: 'ci', groups: ['dev', 'ops'] });
      const afterFirst = reads;
      for (let i = 0; i < 5; i++)
        assert.deepEqual(await who(), { user: 'ci', groups: ['dev', 'ops'] });
      assert.equal(reads, afterFirst, 'no certificate read after the first call of the connection');
    } finally {
      TLSSocket.prototype.getPeerCertificate = original;
      client.close();
      server.forceShutdown();
      nodeTls.close();
    }
  });

  it('HTTP: only from an authorized TLS socket', () => {
    const req = (authorized: boolean) =>
      ({
        socket: { authorized, getPeerCertificate: () => cert({ CN: 'ci', O: 'dev' }) },
      }) as never;
    assert.deepEqual(httpPeerIdentity(req(true)), { user: 'ci', groups: ['dev'] });
    assert.equal(httpPeerIdentity(req(false)), undefined);
    assert.equal(httpPeerIdentity({ socket: {} } as never), undefined);
  });
});

describe('CLI words for TLS failures', () => {
  const cases: [string, string | undefined][] = [
    [
      'No connection established. Last error: Error: self-signed certificate in certificate chain. Resolution note: ',
      'certificate signed by unknown authority (is --ca the cluster CA?)',
    ],
    [
      'No connection established. Last error: Error: unable to verify the first certificate',
      'certificate signed by unknown authority (is --ca the cluster CA?)',
    ],
    [
      "No connection established. Last error: Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames: IP: 10.1.2.3 is not in the cert's list: 127.0.0.1",
      'the server certificate is not valid for 10.1.2.3',
    ],
    [
      'No connection established. Last error: Error: 80:error:0A00010B:SSL routines:ssl3_get_record:wrong version number',
      'the server does not use TLS (connect without --ca/--cert/--key)',
    ],
    [
      'No connection established. Last error: Failed to connect (2026-01-01T00:00:00Z). Resolution note: ',
      'connection closed during setup (does the server require TLS? pass --ca)',
    ],
    ['No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1', undefined],
  ];
  for (const [detail, want] of cases) {
    it(want ?? 'leaves other failures alone', () => assert.equal(tlsFailureDetail(detail), want));
  }
});
