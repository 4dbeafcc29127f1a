// GrpcClient retries an apply on the next server after its connection
// dropped; the first server may still apply it (a leader killed after
// replicating the entry). A refusal from the next server ("no leader") must
// then not become the call's answer, which would say the write did not happen.
import assert from 'node:assert/strict';
import { createServer, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { GrpcClient, UnreachableError } from '../../../pkg/transport/grpc-client.js';
import { reasonMetadataKey } from '../../../pkg/transport/errors.js';
import { API_VERSION } from '../../../pkg/store/index.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';

/** An HTTP/2 server on 127.0.0.1 whose every gRPC call gets `serve`. */
async function h2(
  serve: Parameters<Http2Server['on']>[1],
): Promise<{ address: string; server: Http2Server }> {
  const server = createServer();
  server.on('stream', serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const job = {
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name: 'j' },
  spec: { command: ['true'] },
};

describe('GrpcClient: a write in doubt', () => {
  let dropping: Awaited<ReturnType<typeof h2>>;
  let refusing: Awaited<ReturnType<typeof h2>>;
  before(async () => {
    // Takes the call, then the connection dies under it.
    dropping = await h2((stream) => stream.session?.destroy());
    // Answers every call: Unavailable, no leader (a trailers-only response).
    refusing = await h2((stream) =>
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc',
          'grpc-status': '14',
          'grpc-message': 'raft proposal dropped: no leader',
          [reasonMetadataKey]: Reason.Unavailable,
        },
        { endStream: true },
      ),
    );
  });
  after(() => {
    dropping.server.close();
    refusing.server.close();
  });

  it('stays in doubt when the server after a dropped call refuses with Unavailable', async () => {
    const c = new GrpcClient({ servers: [dropping.address, refusing.address], timeoutMs: 5000 });
    try {
      await assert.rejects(c.apply(job), (err: unknown) => {
        assert.ok(err instanceof UnreachableError, String(err));
        assert.doesNotMatch(err.message, /proposal dropped/);
        return true;
      });
    } finally {
      c.close();
    }
  });

  it('passes the refusal on when no earlier attempt may have reached a server', async () => {
    const c = new GrpcClient({ servers: [refusing.address, dropping.address], timeoutMs: 5000 });
    try {
      await assert.rejects(c.apply(job), (err: unknown) => {
        assert.ok(err instanceof JobctlError && !(err instanceof UnreachableError), String(err));
        assert.equal(err.reason, Reason.Unavailable);
        assert.match(err.message, /raft proposal dropped: no leader/);
        return true;
      });
    } finally {
      c.close();
    }
  });
});
