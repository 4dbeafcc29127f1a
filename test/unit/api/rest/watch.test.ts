// ?watch=true: NDJSON events as writes happen, resume from a resourceVersion,
// Gone as an ERROR event, and a disconnect that cancels the server-side watch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceOf, WatchEvent } from '../../../../pkg/store/index.js';
import { JobctlError, Reason } from '../../../../pkg/util/errors.js';
import {
  API,
  NdjsonReader,
  assertStatus,
  call,
  job,
  stubClient,
  waitFor,
  withRest,
  type Json,
} from './helpers.js';

const JOBS = `${API}/namespaces/default/jobs`;

/** Opens a watch; the caller cancels it. */
async function openWatch(url: string): Promise<{ res: Response; events: NdjsonReader }> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  assert.equal(res.headers.get('transfer-encoding'), 'chunked');
  return { res, events: new NdjsonReader(res) };
}

describe('REST watch', () => {
  it(
    'streams ADDED, MODIFIED and DELETED as writes happen',
    withRest(async ({ base, client, test }) => {
      await client.create(job('before'));
      const { events } = await openWatch(`${base}${JOBS}?watch=true`);
      // Without a resourceVersion, current objects come first as ADDED.
      assert.deepEqual(await events.take(1), ['ADDED before']);
      await client.create(job('a'));
      assert.deepEqual(await events.take(1), ['ADDED a']);
      await client.update(job('a', { parallelism: 2 }));
      const modified = await events.next();
      assert.equal(modified.type, 'MODIFIED');
      assert.equal(modified.object.spec.parallelism, 2);
      await client.delete('job', 'default', 'a');
      assert.deepEqual(await events.take(1), ['DELETED a']);
      // A write in another namespace is not seen by this watch.
      await client.create(job('elsewhere', {}, { namespace: 'other' }));
      await client.create(job('b'));
      assert.deepEqual(await events.take(1), ['ADDED b']);
      assert.equal(test!.store.stats().watchers, 1);
      await events.cancel();
    }),
  );

  it(
    'resumes from a resourceVersion, across all namespaces, with a label selector',
    withRest(async ({ base, client }) => {
      const a = await client.create(job('a', {}, { labels: { w: 'yes' } }));
      await client.create(job('b', {}, { namespace: 'other', labels: { w: 'yes' } }));
      await client.create(job('c'));
      await client.update(job('a', { parallelism: 2 }, { labels: { w: 'yes' } }));
      const rv = a.metadata.resourceVersion;
      const { events } = await openWatch(
        `${base}${API}/jobs?watch=1&resourceVersion=${rv}&labelSelector=w%3Dyes`,
      );
      assert.deepEqual(await events.take(2), ['ADDED b', 'MODIFIED a']);
      await client.create(job('d', {}, { labels: { w: 'yes' } }));
      assert.deepEqual(await events.take(1), ['ADDED d']);
      await events.cancel();
    }),
  );

  it(
    'sends an ERROR event with a 410 Status and ends when the version is too old',
    withRest(
      async ({ base, client }) => {
        for (let i = 0; i < 6; i++) await client.create(job(`j${i}`));
        const { events } = await openWatch(`${base}${JOBS}?watch=true&resourceVersion=1`);
        const err = await events.next();
        assert.equal(err.type, 'ERROR');
        assert.equal(err.object.kind, 'Status');
        assert.equal(err.object.code, 410);
        assert.equal(err.object.reason, 'Expired');
        assert.equal(await events.next(), undefined, 'the stream ends after the error');
      },
      { testClient: { storeOptions: { historySize: 2 } } },
    ),
  );

  it(
    'cancels the server-side watch when the client disconnects',
    withRest(async ({ base, test }) => {
      const store = test!.store;
      const { events } = await openWatch(`${base}${JOBS}?watch=true`);
      const second = await openWatch(`${base}${API}/nodes?watch=true`);
      await waitFor(() => store.stats().watchers === 2, 'two watchers');
      await events.cancel();
      await waitFor(() => store.stats().watchers === 1, 'the first watch to be cancelled');
      const ac = new AbortController();
      const third = await fetch(`${base}${JOBS}?watch=true`, { signal: ac.signal });
      assert.equal(third.status, 200);
      await waitFor(() => store.stats().watchers === 2, 'the third watcher');
      ac.abort();
      await waitFor(() => store.stats().watchers === 1, 'the aborted watch to be cancelled');
      await second.events.cancel();
      await waitFor(() => store.stats().watchers === 0, 'no watchers');
    }),
  );

  it('aborts the client watch signal on disconnect (any ResourceClient)', async () => {
    let aborted = false;
    let started = false;
    const client = stubClient({
      // A watch that yields nothing and ends only when its signal is aborted.
      watch: (_kind, opts) => ({
        [Symbol.asyncIterator]: () => ({
          next: async (): Promise<IteratorResult<never>> => {
            started = true;
            await new Promise<void>((resolve) =>
              opts?.signal?.addEventListener('abort', () => resolve(), { once: true }),
            );
            aborted = true;
            return { done: true, value: undefined };
          },
        }),
      }),
    });
    await withRest(
      async ({ base }) => {
        const { events } = await openWatch(`${base}${JOBS}?watch=true`);
        await waitFor(() => started, 'the watch to start');
        await events.cancel();
        await waitFor(() => aborted, 'the signal to be aborted');
      },
      { client },
    )();
  });

  it(
    'writes heartbeat newlines on an idle stream',
    withRest(
      async ({ base }) => {
        const { events } = await openWatch(`${base}${JOBS}?watch=true`);
        await events.heartbeat();
        await events.heartbeat();
        await events.cancel();
      },
      { watchHeartbeatMs: 10 },
    ),
  );

  it(
    'ends cleanly after timeoutSeconds',
    withRest(async ({ base }) => {
      const { events } = await openWatch(`${base}${JOBS}?watch=true&timeoutSeconds=1`);
      assert.equal(await events.next(), undefined);
    }),
  );

  it(
    'refuses bad selectors and versions with 422 before streaming',
    withRest(async ({ base }) => {
      assertStatus(
        await call(`${base}${JOBS}?watch=true&labelSelector=a%20in`),
        422,
        'Invalid',
        /label selector/,
      );
      assertStatus(
        await call(`${base}${JOBS}?watch=true&fieldSelector=spec.image%3Dx`),
        422,
        'Invalid',
        /field selector/,
      );
      assertStatus(
        await call(`${base}${JOBS}?watch=true&resourceVersion=abc`),
        422,
        'Invalid',
        /resourceVersion/,
      );
    }),
  );

  it('reports a failure after streaming began as an ERROR event with its code', async () => {
    const client = stubClient({
      watch: <K extends string>() => ({
        async *[Symbol.asyncIterator](): AsyncGenerator<WatchEvent<ResourceOf<K>>> {
          yield {
            type: 'ADDED',
            object: { ...(job('a') as Json), metadata: { name: 'a' } },
          } as WatchEvent<ResourceOf<K>>;
          throw new JobctlError(Reason.Unavailable, 'leader lost');
        },
      }),
    });
    await withRest(
      async ({ base }) => {
        const { events } = await openWatch(`${base}${JOBS}?watch=true`);
        assert.deepEqual(await events.take(1), ['ADDED a']);
        const err = await events.next();
        assert.equal(err.type, 'ERROR');
        assert.equal(err.object.code, 503);
        assert.equal(err.object.reason, 'Unavailable');
        assert.equal(err.object.message, 'leader lost');
        assert.equal(await events.next(), undefined);
      },
      { client },
    )();
  });
});
