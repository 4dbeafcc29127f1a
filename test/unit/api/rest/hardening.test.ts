// A public port must survive anything a socket can send: garbage, truncated
// requests, slow headers. After each abuse the server still answers /healthz.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { createRestApp, listenRest, parseAddress } from '../../../../pkg/api/rest/index.js';
import { newTestClient } from '../../../../pkg/client/testing.js';
import { SeededRng } from '../../../../pkg/util/rng.js';
import { NdjsonReader, call, job, withRest } from './helpers.js';

/** Sends `data` on a fresh connection and resolves with what came back once the server closes it. */
function exchange(port: number, data: Buffer | string, endAfterWrite = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(data);
      if (endAfterWrite) socket.end();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset after the server gave up on us is an acceptable ending.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE')
        resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(err);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

function randomBytes(rng: SeededRng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(0, 256);
  return b;
}

describe('REST hardening', () => {
  it(
    'survives random bytes and malformed requests on the raw port',
    withRest(async ({ base, rest }) => {
      const rng = new SeededRng(20240611);
      // What was sent, and the status line that must come back: a plain 4xx
      // response, never silence, a reset or a crash dump.
      const abuse: [what: string, data: Buffer | string, status: number][] = [
        ...Array.from({ length: 20 }, (_, i): [string, Buffer, number] => [
          `${1 + i * 97} random bytes`,
          randomBytes(rng, 1 + i * 97),
          400,
        ]),
        ['no Host header', 'GET / HTTP/1.1\r\n\r\n', 400],
        [
          'negative Content-Length',
          'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
          400,
        ],
        [
          'bad chunk size',
          'POST /apis/jobctl.dev/v1/namespaces/default/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n',
          400,
        ],
        [
          'body shorter than its Content-Length',
          'POST /apis/jobctl.dev/v1/namespaces/default/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nContent-Type: application/json\r\n\r\n{"trunc',
          400,
        ],
        [
          '20,000-byte path and 2,000 headers',
          `GET /${'a'.repeat(20000)} HTTP/1.1\r\nHost: x\r\n${'X-A: b\r\n'.repeat(2000)}\r\n`,
          431,
        ],
        ['control bytes in the path', 'GET /\x00\x01 HTTP/1.1\r\nHost: x\r\n\r\n', 400],
        ['unknown protocol', 'BREW /healthz HTCPCP/1.0\r\n\r\n', 400],
      ];
      for (const [what, data, status] of abuse) {
        const answer = await exchange(rest.port, data);
        assert.match(
          answer,
          new RegExp(`^HTTP/1\\.1 ${status} `),
          `${what}: got ${JSON.stringify(answer.slice(0, 80))}`,
        );
        const health = await call(`${base}/healthz`);
        assert.equal(health.status, 200, `after ${what}`);
      }
    }),
  );

  it('closes a connection whose headers never finish (slowloris)', async () => {
    const { client } = newTestClient();
    const app = createRestApp({ client, isReady: () => true });
    const rest = await listenRest(app, '127.0.0.1:0', {
      headersTimeoutMs: 200,
      requestTimeoutMs: 300,
      timeoutCheckIntervalMs: 50,
    });
    try {
      // Never sends the blank line that ends the headers; the server must hang up.
      const answer = await exchange(
        rest.port,
        'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n',
        false,
      );
      assert.match(answer, /^(HTTP\/1\.1 408 |$)/);
      const health = await call(`http://127.0.0.1:${rest.port}/healthz`);
      assert.equal(health.status, 200);
    } finally {
      await rest.close();
      client.close();
    }
  });

  it('keeps a watch open past the server request timeout (a long response, not a long request)', async () => {
    const { client } = newTestClient();
    const app = createRestApp({
      client,
      isReady: () => true,
      watchHeartbeatMs: 10,
      requestTimeoutMs: 50,
    });
    const rest = await listenRest(app, '127.0.0.1:0', {
      headersTimeoutMs: 100,
      requestTimeoutMs: 150,
      timeoutCheckIntervalMs: 20,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${rest.port}/apis/jobctl.dev/v1/jobs?watch=true`);
      const events = new NdjsonReader(res);
      // 40 heartbeats 10 ms apart span several times both request timeouts.
      for (let i = 0; i < 40; i++) await events.heartbeat();
      await client.create(job('late'));
      assert.deepEqual(await events.take(1), ['ADDED late']);
      await events.cancel();
    } finally {
      await rest.close();
      client.close();
    }
  });

  it('closes open watch streams on close()', async () => {
    const { client, store } = newTestClient();
    const app = createRestApp({ client, isReady: () => true });
    const rest = await listenRest(app, '127.0.0.1:0');
    const res = await fetch(`http://127.0.0.1:${rest.port}/apis/jobctl.dev/v1/jobs?watch=true`);
    assert.equal(res.status, 200);
    await rest.close();
    // The stream ends (or errors) instead of hanging, and the store watch is gone.
    await res.text().catch(() => '');
    assert.equal(store.stats().watchers, 0);
    client.close();
  });

  it('parses listen addresses', () => {
    assert.deepEqual(parseAddress('127.0.0.1:8081'), { host: '127.0.0.1', port: 8081 });
    assert.deepEqual(parseAddress('[::1]:80'), { host: '::1', port: 80 });
    assert.deepEqual(parseAddress(':8081'), { host: '0.0.0.0', port: 8081 });
    assert.deepEqual(parseAddress('8081'), { host: '127.0.0.1', port: 8081 });
    assert.deepEqual(parseAddress('localhost:0'), { host: 'localhost', port: 0 });
    assert.throws(() => parseAddress('nope'), /invalid HTTP address/);
    assert.throws(() => parseAddress('1.2.3.4:99999'), /invalid HTTP address/);
  });
});
