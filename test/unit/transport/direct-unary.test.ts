// The unary API methods served off the HTTP/2 stream (pkg/transport/direct-unary.ts):
// they no longer pass through grpc-js's call chain (its interceptors see only
// the streams), and a grpc-js client sees the same answers as before: values,
// errors with their reason, a refusal, a compressed request (left to grpc-js),
// an answer the client no longer waits for.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { connect } from 'node:http2';
import { after, describe, it } from 'node:test';
import type { ResourceClient } from '../../../pkg/client/index.js';
import { callUnary, registerApi, type ApiServerDeps } from '../../../pkg/transport/api-grpc.js';
import { decodeObject } from '../../../pkg/transport/api-wire.js';
import { H2cUnaryChannel } from '../../../pkg/transport/h2c-unary.js';
import { channelOptions } from '../../../pkg/transport/channel-options.js';
import { JobctlClient, JobctlService } from '../../../pkg/transport/gen/api.js';
import { JobctlError, Reason, isReason } from '../../../pkg/util/errors.js';
import { servicesOf } from '../api/harness.js';

const servers: grpc.Server[] = [];
const clients: grpc.Client[] = [];
after(() => {
  for (const c of clients) c.close();
  for (const s of servers) s.forceShutdown();
});

const job = {
  apiVersion: 'jobctl.io/v1',
  kind: 'Job',
  metadata: { name: 'a', namespace: 'default' },
};

/** Gets answer `job` for name "a", NotFound for any other, and hang (never answer) for "slow". */
const resources = {
  async get(_kind: string, _ns: string, name: string) {
    if (name === 'slow') return new Promise(() => undefined);
    if (name !== 'a') throw new JobctlError(Reason.NotFound, `jobs "${name}" not found`);
    return job;
  },
} as unknown as ResourceClient;

/** A server with the API and an interceptor that names every call grpc-js runs. */
async function serve(
  more: Partial<ApiServerDeps> = {},
  clientOptions: grpc.ChannelOptions = {},
): Promise<{ client: JobctlClient; address: string; throughGrpcJs: string[] }> {
  const throughGrpcJs: string[] = [];
  const server = new grpc.Server({
    interceptors: [
      (method, call) => {
        throughGrpcJs.push(method.path);
        return new grpc.ServerInterceptingCall(call);
      },
    ],
  });
  servers.push(server);
  registerApi(server, { services: async () => servicesOf(resources), direct: {}, ...more });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const address = `127.0.0.1:${port}`;
  const client = new JobctlClient(address, grpc.credentials.createInsecure(), {
    ...channelOptions,
    ...clientOptions,
  });
  clients.push(client);
  return { client, address, throughGrpcJs };
}

const get = (
  s: { client: JobctlClient; address: string },
  name: string,
  timeoutMs = 5000,
): Promise<unknown> =>
  callUnary(
    s.client,
    s.address,
    JobctlService.get,
    { kind: 'Job', namespace: 'default', name, consistency: '' },
    Date.now() + timeoutMs,
  ).then((r) => decodeObject(r.object));

describe('unary API calls served off the stream', () => {
  it('answers and fails as before, without grpc-js running the call', async () => {
    const s = await serve();
    assert.deepEqual(await get(s, 'a'), job);
    await assert.rejects(
      get(s, 'b'),
      (err: unknown) => isReason(err, Reason.NotFound) && /jobs "b" not found/.test(String(err)),
    );
    assert.deepEqual(s.throughGrpcJs, []);
  });

  it('refuses what `refuse` refuses, with Forbidden and its message', async () => {
    const s = await serve({
      direct: { refuse: (path) => (path.endsWith('/Get') ? 'not you' : undefined) },
    });
    await assert.rejects(
      get(s, 'a'),
      (err: unknown) => isReason(err, Reason.Forbidden) && /not you/.test(String(err)),
    );
  });

  it('leaves a compressed request to grpc-js, which decompresses it', async () => {
    const s = await serve({}, { 'grpc.default_compression_algorithm': 2 /* gzip */ });
    assert.deepEqual(await get(s, 'a'), job);
    assert.deepEqual(s.throughGrpcJs, [JobctlService.get.path]);
  });

  it("answers the CLI's own HTTP/2 client (h2c-unary.ts) as grpc-js did", async () => {
    const s = await serve();
    const channel = new H2cUnaryChannel({ address: s.address }, 5000);
    const method = {
      path: JobctlService.get.path,
      encode: (r: Parameters<typeof JobctlService.get.requestSerialize>[0]) =>
        JobctlService.get.requestSerialize(r),
      decode: (b: Uint8Array) => JobctlService.get.responseDeserialize(Buffer.from(b)),
    };
    try {
      const res = await channel.call(method, {
        kind: 'Job',
        namespace: 'default',
        name: 'a',
        consistency: '',
      });
      assert.deepEqual(decodeObject(res?.object), job);
    } finally {
      channel.close();
    }
    assert.deepEqual(s.throughGrpcJs, []);
  });

  it('a call the client gave up on ends quietly; the connection serves the next', async () => {
    const s = await serve();
    await assert.rejects(get(s, 'slow', 200), (err: unknown) => isReason(err, Reason.Timeout));
    assert.deepEqual(await get(s, 'a'), job);
  });

  it('answers a malformed body with INTERNAL and one line, and keeps serving', async () => {
    const s = await serve();
    const session = connect(`http://${s.address}`);
    session.on('error', () => undefined);
    /** The grpc-status and grpc-message a raw request with `body` gets. */
    const raw = (body: Buffer): Promise<[string, string]> =>
      new Promise((resolve, reject) => {
        const req = session.request({
          ':method': 'POST',
          ':path': JobctlService.get.path,
          'content-type': 'application/grpc',
          te: 'trailers',
        });
        let status: [string, string] | undefined;
        const take = (h: Record<string, unknown>): void => {
          if (h['grpc-status'] !== undefined)
            status = [String(h['grpc-status']), decodeURI(String(h['grpc-message']))];
        };
        req.on('response', take);
        req.on('trailers', take);
        req.on('data', () => undefined);
        req.on('close', () => (status ? resolve(status) : reject(new Error('no status'))));
        req.end(body);
      });
    const frame = (flag: number, bytes: Buffer): Buffer => {
      const out = Buffer.alloc(5 + bytes.length);
      out[0] = flag;
      out.writeUInt32BE(bytes.length, 1);
      bytes.copy(out, 5);
      return out;
    };
    const msg = Buffer.from(
      JobctlService.get.requestSerialize({
        kind: 'Job',
        namespace: 'default',
        name: 'a',
        consistency: '',
      }),
    );
    try {
      assert.deepEqual(await raw(Buffer.alloc(0)), ['13', 'No message received']);
      assert.deepEqual(await raw(Buffer.concat([frame(0, msg), frame(0, msg)])), [
        '13',
        'More than one message in a unary request',
      ]);
      assert.deepEqual(await raw(frame(1, msg)), [
        '13',
        'Compressed message with no grpc-encoding',
      ]);
      const [code, message] = await raw(frame(0, Buffer.from([0xff, 0xff, 0xff])));
      assert.equal(code, '13');
      assert.match(message, /^Error deserializing request: /);
      assert.deepEqual(await raw(frame(0, msg)), ['0', '']);
    } finally {
      session.close();
    }
    assert.deepEqual(await get(s, 'a'), job);
    assert.deepEqual(s.throughGrpcJs, []);
  });
});
