// Watch parameters as client-go's reflectors and informers use them:
// resourceVersion=0, fieldSelector=metadata.name=X, allowWatchBookmarks,
// timeoutSeconds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API, NdjsonReader, job, withRest, type Json } from './helpers.js';

const JOBS = `${API}/namespaces/default/jobs`;

async function openWatch(url: string): Promise<NdjsonReader> {
  const res = await fetch(url);
  assert.equal(res.status, 200);
  return new NdjsonReader(res);
}

describe('REST watch, as client-go uses it', () => {
  it(
    'starts from resourceVersion=0 with the current objects as ADDED',
    withRest(async ({ base, client }) => {
      await client.create(job('a'));
      await client.update(job('a', { parallelism: 2 }));
      const events = await openWatch(`${base}${JOBS}?watch=true&resourceVersion=0`);
      assert.deepEqual(await events.take(1), ['ADDED a']);
      await client.create(job('b'));
      assert.deepEqual(await events.take(1), ['ADDED b']);
      await events.cancel();
    }),
  );

  it(
    'watches and lists one object by fieldSelector=metadata.name',
    withRest(async ({ base, client }) => {
      await client.create(job('a'));
      await client.create(job('b'));
      const list: Json = await (
        await fetch(`${base}${JOBS}?fieldSelector=metadata.name%3Db`)
      ).json();
      assert.deepEqual(
        list.items.map((o: { metadata: { name: string } }) => o.metadata.name),
        ['b'],
      );
      const events = await openWatch(
        `${base}${JOBS}?watch=true&fieldSelector=metadata.name%3Db&resourceVersion=${list.metadata.resourceVersion}`,
      );
      await client.update(job('a', { parallelism: 2 }));
      await client.update(job('b', { parallelism: 2 }));
      assert.deepEqual(await events.take(1), ['MODIFIED b']);
      await events.cancel();
    }),
  );

  it(
    'sends BOOKMARK events carrying the version delivered so far, when asked',
    withRest(
      async ({ base, client }) => {
        const a = await client.create(job('a'));
        const events = await openWatch(
          `${base}${JOBS}?watch=true&allowWatchBookmarks=true&resourceVersion=${a.metadata.resourceVersion}`,
        );
        const first = await events.next();
        assert.equal(first.type, 'BOOKMARK');
        assert.deepEqual(first.object, {
          kind: 'Job',
          apiVersion: 'jobctl.dev/v1',
          metadata: { resourceVersion: a.metadata.resourceVersion },
        });
        const b = await client.create(job('b'));
        let next = await events.next();
        while (next.type === 'BOOKMARK') next = await events.next();
        assert.equal(next.type, 'ADDED');
        next = await events.next();
        assert.equal(next.type, 'BOOKMARK');
        assert.equal(next.object.metadata.resourceVersion, b.metadata.resourceVersion);
        await events.cancel();
      },
      { watchHeartbeatMs: 50 },
    ),
  );

  it(
    'ends the stream after timeoutSeconds',
    withRest(async ({ base, client }) => {
      await client.create(job('a'));
      const events = await openWatch(`${base}${JOBS}?watch=true&timeoutSeconds=1`);
      assert.deepEqual(await events.take(1), ['ADDED a']);
      assert.equal(await events.next(), undefined, 'the stream ended');
    }),
  );
});
