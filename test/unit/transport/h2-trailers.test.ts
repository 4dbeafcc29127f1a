// A server stream's trailers sent in the same write turn as its DATA
// (pkg/transport/h2-trailers.ts): a grpc-js client gets every answer with its
// status and trailing metadata, and from the second answer on (the first
// records Node's encoding of the trailers) the stream has closed, trailers
// sent, before an immediate queued when Node asked for them has run. With
// stream.sendTrailers() the trailers leave an event-loop iteration later,
// after that immediate.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { createServer, type Http2Server, type OutgoingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { sendTrailersNow, trailersNowAvailable } from '../../../pkg/transport/h2-trailers.js';

const TRAILERS: OutgoingHttpHeaders = Object.freeze({
  'grpc-status': grpc.status.OK,
  'grpc-message': '',
  'x-answer': 'yes',
});

/** What the server saw of each answer, in order. */
interface Answer {
  /** 'closed' when the stream closed before the immediate queued at 'wantTrailers', else 'immediate'. */
  first: 'closed' | 'immediate';
  available: boolean;
}

let server: Http2Server;
let client: grpc.Client;
const answers: Answer[] = [];

before(async () => {
  server = createServer();
  server.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      const body = Buffer.from('hello');
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      let first: Answer['first'] | undefined;
      stream.once('close', () => {
        first ??= 'closed';
      });
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc+proto' },
        { waitForTrailers: true },
      );
      stream.once('wantTrailers', () => {
        const available = trailersNowAvailable(stream);
        setImmediate(() => {
          first ??= 'immediate';
          answers.push({ first, available });
        });
        sendTrailersNow(stream, TRAILERS);
      });
      stream.end(frame);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

after(() => {
  client.close();
  server.close();
});

/** One unary call: the answer's bytes and its trailing metadata. */
async function call(): Promise<{ body: string; answer: string[] }> {
  let status!: Promise<grpc.StatusObject>;
  const body = await new Promise<string>((resolve, reject) => {
    const c = client.makeUnaryRequest(
      '/test.T/M',
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from('hi'),
      (err, res) => (err ? reject(err) : resolve(String(res))),
    );
    status = new Promise((r) => c.once('status', r));
  });
  const s = await status;
  return { body, answer: s.metadata.get('x-answer').map(String) };
}

describe('trailers in the same write turn as the DATA', () => {
  it('answers every call with its status and trailing metadata', async () => {
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await call(), { body: 'hello', answer: ['yes'] });
    }
  });

  it('has the stream closed (trailers sent) before the next immediate, from the second answer on', async () => {
    answers.length = 0;
    for (let i = 0; i < 5; i++) await call();
    const deadline = Date.now() + 10_000;
    while (answers.length < 5 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.equal(answers.length, 5);
    // This Node has the native handle the fast path needs; when a Node
    // changes that, answers still work (the test above) but this fails.
    assert.ok(answers.every((a) => a.available));
    assert.deepEqual(
      answers.map((a) => a.first),
      ['closed', 'closed', 'closed', 'closed', 'closed'],
    );
  });
});
