// GrpcClient.logs over real gRPC servers: a stream whose server goes away
// (forceShutdown, as kill -9; or stopping, closeWatches) goes on through the
// next server at the first byte not yet delivered; an error a server answers
// with surfaces as it is.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, describe, it } from 'node:test';
import type { LogsClient, LogsOptions } from '../../../pkg/client/index.js';
import { registerApi, type ApiServerHandle } from '../../../pkg/transport/api-grpc.js';
import { GrpcClient } from '../../../pkg/transport/grpc-client.js';
import { JobctlError, Reason, isReason } from '../../../pkg/util/errors.js';
import { servicesOf } from '../api/harness.js';

const OUTPUT = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join('');
const CHUNK = 16;

interface Server {
  readonly address: string;
  readonly server: grpc.Server;
  readonly handle: ApiServerHandle;
  readonly asked: LogsOptions[];
}

/** A server whose logs stream OUTPUT from `fromOffset - back` (an overlap); with `stall`, it stops after that many chunks. */
async function serve(o: { back?: number; stall?: number }): Promise<Server> {
  const server = new grpc.Server();
  const asked: LogsOptions[] = [];
  const logs: LogsClient = {
    saveCopy: () => Promise.reject(new Error('not used')),
    async *logs(opts) {
      asked.push(opts);
      const from = Math.max(0, (opts.fromOffset ?? 0) - (o.back ?? 0));
      opts.onInfo?.({ offset: from, run: 'r-0', runUid: 'u1' });
      let n = 0;
      for (let at = from; at < OUTPUT.length; at += CHUNK) {
        if (n++ === o.stall) {
          await new Promise<void>((resolve) =>
            opts.signal?.addEventListener('abort', () => resolve()),
          );
          return;
        }
        yield Buffer.from(OUTPUT.slice(at, at + CHUNK));
      }
    },
  };
  const handle = registerApi(server, {
    services: async () => servicesOf({} as never, { logs }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { address: `127.0.0.1:${port}`, server, handle, asked };
}

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.server.forceShutdown();
});

/** The client's whole stream; `midway` runs once `bytes` have arrived. */
async function read(
  client: GrpcClient,
  bytes = Infinity,
  midway = (): void => {},
): Promise<string> {
  let out = '';
  let done = false;
  for await (const c of client.logs({ namespace: 'default', job: 'j', follow: true })) {
    out += Buffer.from(c).toString();
    if (!done && out.length >= bytes) {
      done = true;
      midway();
    }
  }
  return out;
}

describe('GrpcClient.logs when its server goes away', () => {
  for (const [how, end] of [
    ['killed', (s: Server) => s.server.forceShutdown()],
    ['stopping', (s: Server) => s.handle.closeWatches()],
  ] as const) {
    it(`${how}: resumes on the next server at the exact byte`, async () => {
      const a = await serve({ stall: 3 });
      const b = await serve({ back: 7 });
      servers.push(a, b);
      const client = new GrpcClient({ servers: [a.address, b.address] });
      try {
        assert.equal(await read(client, 3 * CHUNK, () => end(a)), OUTPUT);
      } finally {
        client.close();
      }
      assert.equal(a.asked[0]?.job, 'j');
      const resumed = b.asked[0];
      assert.equal(resumed?.fromOffset, 3 * CHUNK);
      assert.equal(resumed?.run, 'r-0');
      assert.equal(resumed?.runUid, 'u1');
      assert.equal(resumed?.job, undefined);
    });
  }

  it('an error a server answers with surfaces; the next server is not asked', async () => {
    const server = new grpc.Server();
    const logs: LogsClient = {
      saveCopy: () => Promise.reject(new Error('not used')),
      async *logs(opts) {
        opts.onInfo?.({ offset: 0 });
        yield Buffer.from('a');
        throw new JobctlError(
          Reason.Unavailable,
          'cannot fetch the logs of run "r-0" from node "n2"',
        );
      },
    };
    registerApi(server, { services: async () => servicesOf({} as never, { logs }) });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const b = await serve({});
    servers.push(b);
    const client = new GrpcClient({ servers: [`127.0.0.1:${port}`, b.address] });
    try {
      await assert.rejects(read(client), (err: unknown) => {
        assert.ok(isReason(err, Reason.Unavailable));
        assert.match(String(err), /from node "n2"/);
        return true;
      });
      assert.equal(b.asked.length, 0);
    } finally {
      client.close();
      server.forceShutdown();
    }
  });
});
