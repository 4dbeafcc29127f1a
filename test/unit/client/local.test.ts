// LocalClient: the shared contract, plus what only the in-process client does
// (read barriers, timestamps from its clock, buffering, Gone, close).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalClient } from '../../../pkg/client/local.js';
import { DirectProposer, newTestClient } from '../../../pkg/client/testing.js';
import { ResourceStore, type WatchEvent } from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import { iter, job, rejectsWith, runClientContract, take } from './contract.js';

runClientContract({ newClient: async () => newTestClient().client });

describe('LocalClient', () => {
  it('stamps writes from its clock and uid generator', async () => {
    const clock = new FakeClock(Date.UTC(2025, 0, 2, 3, 4, 5));
    const { client } = newTestClient({ clock, newUid: () => 'fixed-uid' });
    const o = await client.create(job('a'));
    assert.equal(o.metadata.creationTimestamp, '2025-01-02T03:04:05.000Z');
    assert.equal(o.metadata.uid, 'fixed-uid');
    clock.advance(1500);
    const d = await client.delete('job', 'default', 'a');
    assert.equal(d.metadata.deletionTimestamp, '2025-01-02T03:04:06.500Z');
  });

  it('awaits the read barrier for linearizable reads only', async () => {
    const store = new ResourceStore();
    let barriers = 0;
    const client = new LocalClient({
      store,
      proposer: new DirectProposer(store),
      readBarrier: async () => {
        barriers++;
      },
    });
    await client.create(job('a'));
    await client.get('job', 'default', 'a');
    await client.list('job');
    assert.equal(barriers, 2);
    await client.get('job', 'default', 'a', { consistency: 'stale' });
    await client.list('job', { consistency: 'stale' });
    assert.equal(barriers, 2);
  });

  it("reads a later page without a barrier once the store has the first page's revision", async () => {
    const store = new ResourceStore();
    let barriers = 0;
    const client = new LocalClient({
      store,
      proposer: new DirectProposer(store),
      readBarrier: async () => {
        barriers++;
      },
    });
    for (const n of ['a', 'b', 'c']) await client.create(job(n));
    const first = await client.list('job', { limit: 1 });
    assert.equal(barriers, 1);
    const second = await client.list('job', { limit: 1, continue: first.continue });
    assert.equal(barriers, 1);
    assert.equal(second.items[0]?.metadata.name, 'b');
    // A token from a store further on (another node's) waits for the barrier.
    const ahead = new ResourceStore();
    const aheadClient = new LocalClient({ store: ahead, proposer: new DirectProposer(ahead) });
    for (const n of ['a', 'b', 'c', 'd', 'e']) await aheadClient.create(job(n));
    const token = (await aheadClient.list('job', { limit: 1 })).continue;
    await client.list('job', { limit: 1, continue: token });
    assert.equal(barriers, 2);
  });

  it('passes a failing read barrier on (e.g. no leader)', async () => {
    const store = new ResourceStore();
    const client = new LocalClient({
      store,
      proposer: new DirectProposer(store),
      readBarrier: () => Promise.reject(new JobctlError(Reason.Unavailable, 'no leader')),
    });
    await rejectsWith(client.get('job', 'default', 'a'), 'Unavailable', /no leader/);
  });

  it('passes proposer failures on unchanged', async () => {
    const store = new ResourceStore();
    const client = new LocalClient({
      store,
      proposer: { propose: () => Promise.reject(new JobctlError(Reason.Timeout, 'slow')) },
    });
    await rejectsWith(client.create(job('a')), 'Timeout', /slow/);
  });

  it('throws Gone from the iterator for a compacted revision', async () => {
    const { client } = newTestClient({ storeOptions: { historySize: 2 } });
    for (const n of ['a', 'b', 'c', 'd']) await client.create(job(n));
    const it = iter(client.watch('job', { resourceVersion: '1' }));
    await rejectsWith(it.next(), 'Gone', /too old resource version/);
  });

  it('throws Gone when the store is restored under a watch', async () => {
    const { client, store } = newTestClient();
    await client.create(job('a'));
    const snap = store.snapshot();
    const it = iter(client.watch('job'));
    assert.equal((await take(it, 1))[0]?.type, 'ADDED');
    store.restore(store.revision + 1, snap);
    await rejectsWith(it.next(), 'Gone', /relist/);
  });

  it('buffers events for a slow consumer, then gives up with Gone', async () => {
    const { client } = newTestClient({ watchBuffer: 3 });
    const { resourceVersion } = await client.list('job');
    const it = iter(client.watch('job', { resourceVersion }));
    const first = it.next(); // subscribes
    await client.create(job('a'));
    assert.equal((await first).value?.object.metadata.name, 'a');
    for (const n of ['b', 'c', 'd']) await client.create(job(n));
    const buffered = await take(it, 3);
    assert.deepEqual(
      buffered.map((e: WatchEvent) => e.object.metadata.name),
      ['b', 'c', 'd'],
    );
    for (const n of ['e', 'f', 'g', 'h']) await client.create(job(n));
    await take(it, 3);
    await rejectsWith(it.next(), 'Gone', /fell behind/);
  });

  it('replays any amount of history regardless of the live buffer bound', async () => {
    const { client } = newTestClient({ watchBuffer: 1 });
    for (const n of ['a', 'b', 'c']) await client.create(job(n));
    const names: string[] = [];
    const ac = new AbortController();
    for await (const e of client.watch('job', { signal: ac.signal })) {
      names.push(e.object.metadata.name);
      if (names.length === 3) ac.abort();
    }
    assert.deepEqual(names, ['a', 'b', 'c']);
  });

  it('ends open watches on close and refuses calls afterwards', async () => {
    const { client } = newTestClient();
    const it = iter(client.watch('job'));
    const pending = it.next();
    await new Promise((r) => setImmediate(r));
    client.close();
    assert.deepEqual(await pending, { done: true, value: undefined });
    await rejectsWith(client.get('job', 'default', 'a'), 'Unavailable', /closed/);
  });

  it('stops the store watch when the consumer leaves the loop', async () => {
    const { client, store } = newTestClient();
    await client.create(job('a'));
    for await (const _ of client.watch('job')) break;
    assert.equal(store.stats().watchers, 0);
  });
});
