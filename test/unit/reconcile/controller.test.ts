import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Controller,
  MemoryLogger,
  TerminalError,
  type Result,
} from '../../../pkg/reconcile/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { flush, until } from './helpers.js';

/** A reconciler whose calls block until the test releases them. */
function gated() {
  const calls: string[] = [];
  const inFlight = new Map<string, number>();
  let maxPerKey = 0;
  const gates: (() => void)[] = [];
  let behaviour: (key: string, n: number) => Result | Promise<Result> = () => ({});
  return {
    calls,
    get maxPerKey() {
      return maxPerKey;
    },
    release() {
      for (const g of gates.splice(0)) g();
    },
    set(fn: typeof behaviour) {
      behaviour = fn;
    },
    reconciler: {
      async reconcile(key: string): Promise<Result> {
        calls.push(key);
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        maxPerKey = Math.max(maxPerKey, inFlight.get(key) ?? 0);
        await new Promise<void>((r) => gates.push(r));
        inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
        return behaviour(key, calls.filter((c) => c === key).length);
      },
    },
  };
}

describe('Controller', () => {
  it('never reconciles one key concurrently, across many workers', async () => {
    const clock = new FakeClock();
    const g = gated();
    const c = new Controller({ name: 't', reconciler: g.reconciler, clock, workers: 4 });
    c.start();
    c.add('a');
    c.add('b');
    await until(() => g.calls.length === 2);
    c.add('a'); // while a is in flight
    c.add('a');
    await flush();
    assert.deepEqual(g.calls, ['a', 'b']);
    g.release();
    await until(() => g.calls.length === 3, 'a again');
    assert.deepEqual(g.calls, ['a', 'b', 'a']);
    g.release();
    await flush();
    assert.equal(g.maxPerKey, 1);
    await c.stop();
  });

  it('a throw requeues with back-off; success forgets it', async () => {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    let n = 0;
    const c = new Controller({
      name: 't',
      clock,
      logger,
      reconciler: {
        async reconcile() {
          n++;
          if (n <= 3) throw new Error('boom');
          return {};
        },
      },
    });
    c.start();
    c.add('a');
    await until(() => n === 1);
    for (const [wait, expect] of [
      [5, 2],
      [10, 3],
      [20, 4],
    ] as const) {
      clock.advance(wait - 1);
      await flush();
      assert.equal(n, expect - 1, `not before ${wait} ms`);
      clock.advance(1);
      await until(() => n === expect, `retry after ${wait} ms`);
    }
    assert.equal(c.queue.retries('a'), 0, 'success forgot the back-off');
    assert.equal(c.stats.errors, 3);
    assert.ok(logger.lines.some((l) => l.msg.includes('requeueing')));
    await c.stop();
  });

  it('TerminalError is logged and not retried', async () => {
    const clock = new FakeClock();
    const logger = new MemoryLogger();
    let n = 0;
    const c = new Controller({
      name: 't',
      clock,
      logger,
      reconciler: {
        async reconcile() {
          n++;
          throw new TerminalError('bad object');
        },
      },
    });
    c.start();
    c.add('a');
    await until(() => c.stats.terminalErrors === 1);
    clock.advance(60_000);
    await flush();
    assert.equal(n, 1);
    assert.equal(logger.lines.filter((l) => l.level === 'error').length, 1);
    await c.stop();
  });

  it('requeueAfter adds the key again after that long', async () => {
    const clock = new FakeClock();
    let n = 0;
    const c = new Controller({
      name: 't',
      clock,
      reconciler: {
        async reconcile() {
          n++;
          return n === 1 ? { requeueAfter: 1_000 } : {};
        },
      },
    });
    c.start();
    c.add('a');
    await until(() => n === 1);
    clock.advance(999);
    await flush();
    assert.equal(n, 1);
    clock.advance(1);
    await until(() => n === 2);
    clock.advance(10_000);
    await flush();
    assert.equal(n, 2);
    await c.stop();
  });

  it('stop() waits for the reconcile in flight', async () => {
    const clock = new FakeClock();
    const g = gated();
    const c = new Controller({ name: 't', reconciler: g.reconciler, clock });
    c.start();
    c.add('a');
    await until(() => g.calls.length === 1);
    let stopped = false;
    const s = c.stop().then(() => (stopped = true));
    await flush();
    assert.equal(stopped, false);
    g.release();
    await s;
    assert.equal(stopped, true);
  });
});
