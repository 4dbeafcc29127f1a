import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BucketRateLimiter,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  WorkQueue,
  defaultRateLimiter,
} from '../../../pkg/reconcile/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';

function queue(clock = new FakeClock()): { q: WorkQueue; clock: FakeClock } {
  return { q: new WorkQueue({ clock, rateLimiter: defaultRateLimiter(clock) }), clock };
}

describe('WorkQueue', () => {
  it('merges duplicate keys and hands them out in FIFO order', async () => {
    const { q } = queue();
    q.add('a');
    q.add('b');
    q.add('a');
    assert.equal(q.length, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.length, 0);
  });

  it('never hands a key to two workers: an add while processing waits for done()', async () => {
    const { q } = queue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    q.add('a');
    assert.equal(q.length, 0, 'not handed out while processing');
    let second: string | undefined;
    void q.get().then((x) => (second = x));
    await Promise.resolve();
    assert.equal(second, undefined);
    q.done(k as string);
    await Promise.resolve();
    assert.equal(second, 'a', 'requeued once on done');
    q.done('a');
    assert.equal(q.length, 0);
  });

  it('addAfter waits on the clock; the earliest deadline wins', () => {
    const { q, clock } = queue();
    q.addAfter('a', 100);
    q.addAfter('a', 300);
    q.addAfter('b', 50);
    assert.equal(q.length, 0);
    clock.advance(49);
    assert.equal(q.length, 0);
    clock.advance(1);
    assert.equal(q.length, 1);
    clock.advance(49);
    assert.equal(q.length, 1);
    clock.advance(1);
    assert.equal(q.length, 2);
    clock.advance(1000);
    assert.equal(q.length, 2, 'the later deadline for a was dropped');
    q.addAfter('c', 0);
    assert.equal(q.length, 3, 'no delay: added at once');
  });

  it('addRateLimited backs off per key (5 ms doubling) until forget', async () => {
    const { q, clock } = queue();
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      q.addRateLimited('a');
      const start = clock.monotonic();
      for (let ms = 0; q.length === 0 && ms < 1000; ms++) clock.advance(1);
      times.push(clock.monotonic() - start);
      q.done((await q.get()) as string);
    }
    assert.deepEqual(times, [5, 10, 20, 40]);
    assert.equal(q.retries('a'), 4);
    q.forget('a');
    assert.equal(q.retries('a'), 0);
  });

  it('shutDown wakes blocked workers and waits for keys in flight', async () => {
    const { q, clock } = queue();
    q.add('a');
    const k = await q.get();
    const blocked = q.get();
    q.addAfter('b', 10);
    let drained = false;
    const done = q.shutDown().then(() => (drained = true));
    assert.equal(await blocked, undefined);
    await Promise.resolve();
    assert.equal(drained, false);
    q.done(k as string);
    await done;
    clock.advance(100);
    assert.equal(q.length, 0, 'delayed adds were cancelled');
    assert.equal(await q.get(), undefined);
  });
});

describe('rate limiters', () => {
  it('per-key exponential: 5 ms doubling to the cap, per key', () => {
    const l = new ItemExponentialRateLimiter(5, 30);
    assert.deepEqual(
      [l.when('a'), l.when('a'), l.when('a'), l.when('a'), l.when('b')],
      [5, 10, 20, 30, 5],
    );
    l.forget('a');
    assert.equal(l.when('a'), 5);
  });

  it('token bucket: a burst at once, then evenly spaced, refilled by the clock', () => {
    const clock = new FakeClock();
    const b = new BucketRateLimiter(clock, 10, 3);
    assert.deepEqual([b.when('x'), b.when('y'), b.when('z')], [0, 0, 0]);
    assert.equal(b.when('x'), 100);
    assert.equal(b.when('x'), 200);
    clock.advance(1000);
    assert.equal(b.when('x'), 0);
  });

  it('combined: the stricter limiter wins', () => {
    const clock = new FakeClock();
    const l = new MaxOfRateLimiter(
      new ItemExponentialRateLimiter(5, 1000),
      new BucketRateLimiter(clock, 10, 1),
    );
    assert.equal(l.when('a'), 5); // bucket has a token; per-key says 5
    assert.equal(l.when('b'), 100); // bucket empty: 100 ms beats b's 5 ms
  });
});
