// Per-client rate limits: the token bucket (refill, burst, per-key isolation,
// bounded memory, --rate-limit parsing) and its use by both surfaces: gRPC calls
// over the limit end with RESOURCE_EXHAUSTED / TooManyRequests before the handler
// runs; REST answers 429 with a Status and Retry-After, health routes never limited.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { GrpcClient } from '../../../pkg/transport/grpc-client.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import { registerApi } from '../../../pkg/transport/api-grpc.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import {
  clientHost,
  parseRateLimit,
  ClientRateLimiter,
  DEFAULT_RATE_LIMIT,
} from '../../../pkg/util/rate-limit.js';
import { servicesOf } from './harness.js';
import { call, startRest, API } from './rest/helpers.js';

describe('ClientRateLimiter', () => {
  it('allows a burst, then refills at qps; clients are independent', async () => {
    const clock = new FakeClock();
    const rl = new ClientRateLimiter({ qps: 10, burst: 3, clock });
    assert.deepEqual(
      [rl.take('a'), rl.take('a'), rl.take('a')].map((d) => d.ok),
      [true, true, true],
    );
    const refused = rl.take('a');
    assert.equal(refused.ok, false);
    assert.equal(!refused.ok && refused.retryAfterMs, 100);
    assert.equal(rl.take('b').ok, true, 'another client has its own bucket');
    await clock.advance(100);
    assert.equal(rl.take('a').ok, true, 'one token after 1/qps s');
    assert.equal(rl.take('a').ok, false);
    await clock.advance(60_000);
    for (let i = 0; i < 3; i++) assert.equal(rl.take('a').ok, true);
    assert.equal(rl.take('a').ok, false, 'the burst caps what idling saves up');
  });

  it('check() throws TooManyRequests with the client, the limit and when to retry', () => {
    const rl = new ClientRateLimiter({ qps: 0.5, burst: 1, clock: new FakeClock() });
    rl.check('10.0.0.1');
    assert.throws(
      () => rl.check('10.0.0.1'),
      (err: unknown) =>
        err instanceof JobctlError &&
        err.reason === Reason.TooManyRequests &&
        err.message ===
          'rate limit exceeded for client 10.0.0.1 (0.5 requests/s, burst 1); retry after 2s',
    );
  });

  it('qps 0 disables it', () => {
    const rl = new ClientRateLimiter({ qps: 0 });
    for (let i = 0; i < 10_000; i++) assert.equal(rl.take('x').ok, true);
    assert.equal(rl.size, 0);
  });

  it('keeps memory bounded under a flood of distinct clients', () => {
    const clock = new FakeClock();
    const rl = new ClientRateLimiter({ qps: 1, burst: 1, clock });
    for (let i = 0; i < 250_000; i++) rl.take(`c${i}`);
    assert.ok(rl.size <= 100_000, `buckets: ${rl.size}`);
  });

  it('parses --rate-limit QPS[:BURST]', () => {
    assert.deepEqual(parseRateLimit('200:400'), { qps: 200, burst: 400 });
    assert.deepEqual(parseRateLimit('50'), { qps: 50 });
    assert.deepEqual(parseRateLimit('0'), { qps: 0 });
    assert.deepEqual(parseRateLimit('0.5:2'), { qps: 0.5, burst: 2 });
    assert.deepEqual(DEFAULT_RATE_LIMIT, { qps: 200, burst: 400 });
    for (const bad of ['', 'fast', '-1', '10:', '10:0', '1:2:3']) {
      assert.throws(() => parseRateLimit(bad), /--rate-limit: /, bad);
    }
  });

  it('keys by host, not port', () => {
    assert.equal(clientHost('ipv4:127.0.0.1:51234'), '127.0.0.1');
    assert.equal(clientHost('ipv6:[::1]:51234'), '::1');
    assert.equal(clientHost('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(clientHost('::1'), '::1');
    assert.equal(clientHost(undefined), 'unknown');
  });
});

function bind(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

describe('rate limits on the API surfaces', () => {
  it('gRPC: calls over the limit get TooManyRequests, unary and streams alike', async () => {
    const t = newTestClient();
    let served = 0;
    const counting = new Proxy(t.client, {
      get(target, prop, recv) {
        const v = Reflect.get(target, prop, recv) as unknown;
        if (prop === 'list' && typeof v === 'function') {
          return (...args: unknown[]) => {
            served++;
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return v;
      },
    });
    const server = new grpc.Server();
    const limiter = new ClientRateLimiter({ qps: 0.001, burst: 3 });
    registerApi(server, {
      services: async () => servicesOf(counting),
      limit: { limiter },
    });
    const port = await bind(server);
    const client = new GrpcClient({ servers: [`127.0.0.1:${port}`], timeoutMs: 5000 });
    try {
      for (let i = 0; i < 3; i++) await client.list('jobs');
      await assert.rejects(client.list('jobs'), (err: unknown) => {
        assert.ok(err instanceof JobctlError, String(err));
        assert.equal(err.reason, Reason.TooManyRequests);
        assert.match(err.message, /rate limit exceeded for client 127\.0\.0\.1 .*retry after \d+s/);
        return true;
      });
      assert.equal(served, 3, 'the refused call never reached the handler');
      // A stream (Watch) is refused the same way when it starts.
      const it = client.watch('jobs')[Symbol.asyncIterator]();
      await assert.rejects(it.next(), (err: unknown) => {
        assert.ok(err instanceof JobctlError);
        assert.equal(err.reason, Reason.TooManyRequests);
        return true;
      });
    } finally {
      client.close();
      server.forceShutdown();
      t.client.close();
    }
  });

  it('REST: 429 with a Status and Retry-After; health routes are not limited', async () => {
    const limiter = new ClientRateLimiter({ qps: 0.001, burst: 2 });
    const h = await startRest({ rateLimiter: limiter });
    try {
      for (let i = 0; i < 2; i++) {
        assert.equal((await call(`${h.base}${API}/namespaces/default/jobs`)).status, 200);
      }
      const r = await call(`${h.base}${API}/namespaces/default/jobs`);
      assert.equal(r.status, 429);
      assert.equal(r.body.kind, 'Status');
      assert.equal(r.body.reason, 'TooManyRequests');
      assert.match(r.body.message, /^rate limit exceeded for client 127\.0\.0\.1 /);
      const retry = Number(r.headers.get('retry-after'));
      assert.ok(retry >= 1, `Retry-After: ${r.headers.get('retry-after')}`);
      assert.equal(r.body.details.retryAfterSeconds, retry);
      for (let i = 0; i < 5; i++) {
        assert.equal((await call(`${h.base}/healthz`)).status, 200);
        assert.equal((await call(`${h.base}/readyz`)).status, 200);
      }
    } finally {
      await h.close();
    }
  });
});
