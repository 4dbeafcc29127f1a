// SaveLogCopies over real gRPC: each copy kept or refused on its own (one
// refused copy costs the others nothing), and a caller not allowed to keep
// copies gets that as the status of the whole call.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, describe, it } from 'node:test';
import type { LogsClient, RunLogCopy } from '../../../pkg/client/index.js';
import { ApiClient, registerApi } from '../../../pkg/transport/api-grpc.js';
import { logCopyMessage } from '../../../pkg/transport/api-wire.js';
import { JobctlError, Reason, isReason } from '../../../pkg/util/errors.js';
import { servicesOf } from '../api/harness.js';

const copy = (runUid: string): RunLogCopy => ({
  namespace: 'default',
  run: `r-${runUid}`,
  runUid,
  node: 'n1',
  savedAt: '2026-01-01T00:00:00.000Z',
  offset: 0,
  cut: false,
  data: Buffer.from(`${runUid}\n`),
});

const servers: grpc.Server[] = [];
const clients: ApiClient[] = [];
after(() => {
  for (const c of clients) c.close();
  for (const s of servers) s.forceShutdown();
});

/** A node whose logs service keeps every copy but `bad` (Invalid) and refuses all when `denied` is among them. */
async function serve(kept: string[]): Promise<ApiClient> {
  const server = new grpc.Server();
  servers.push(server);
  const logs: LogsClient = {
    logs: () => {
      throw new Error('not used');
    },
    async saveCopy(c) {
      if (c.runUid === 'denied') throw new JobctlError(Reason.Forbidden, 'not a node');
      if (c.runUid === 'bad') throw new JobctlError(Reason.Invalid, 'invalid run uid "bad"');
      kept.push(`${c.runUid}:${Buffer.from(c.data).toString().trim()}`);
    },
  };
  registerApi(server, { services: async () => servicesOf({} as never, { logs }) });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  const client = new ApiClient(`127.0.0.1:${port}`);
  clients.push(client);
  return client;
}

describe('SaveLogCopies', () => {
  it('keeps each copy on its own and says, in order, which it did not keep', async () => {
    const kept: string[] = [];
    const client = await serve(kept);
    const errors = await client.saveLogCopies(
      ['a', 'bad', 'c'].map((u) => logCopyMessage(copy(u))),
    );
    assert.equal(errors.length, 3);
    assert.equal(errors[0], '');
    assert.match(errors[1] ?? '', /invalid run uid "bad"/);
    assert.equal(errors[2], '');
    assert.deepEqual(kept.sort(), ['a:a', 'c:c']);
  });

  it('a caller not allowed to keep copies: the call fails Forbidden', async () => {
    const client = await serve([]);
    await assert.rejects(client.saveLogCopies([logCopyMessage(copy('denied'))]), (err: unknown) =>
      isReason(err, Reason.Forbidden),
    );
  });
});
