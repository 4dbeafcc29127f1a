// Long loops share the event loop: the turn budget lets a loop run for a slice
// and then yield, and the controller workers and the informer spend it, so a
// timer due meanwhile (a Raft tick, in a real node) runs in the middle of a
// long drain or list instead of after it. Each reconcile or object below moves
// a FakeClock by 1 ms, standing for the time real work takes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newTestClient } from '../../../pkg/client/testing.js';
import {
  Controller,
  DEFAULT_SLICE_MS,
  Informer,
  TurnBudget,
} from '../../../pkg/reconcile/index.js';
import { API_VERSION } from '../../../pkg/store/index.js';
import { FakeClock } from '../../../pkg/util/clock.js';
import { until } from './helpers.js';

/** Resolves once a macrotask (what a due timer or a socket read is) has run. */
function macrotask(): { ran: () => boolean } {
  let ran = false;
  setImmediate(() => (ran = true));
  return { ran: () => ran };
}

describe('TurnBudget', () => {
  it('lets a slice run, then yields until a later turn, where a new slice begins', async () => {
    let now = 0;
    const budget = new TurnBudget({ monotonic: () => now }, 10);
    assert.equal(budget.spend(), undefined, 'the first spend of a turn opens a slice');
    now = 9;
    assert.equal(budget.spend(), undefined);
    now = 10;
    const other = macrotask();
    const turn = budget.spend();
    assert.ok(turn, 'the slice is used up');
    await turn;
    assert.ok(other.ran(), 'the macrotask queued before ran first');
    now = 100;
    assert.equal(budget.spend(), undefined, 'a new turn opens a new slice');
  });

  it('never yields while the clock stands still', () => {
    const budget = new TurnBudget({ monotonic: () => 5 }, 10);
    for (let i = 0; i < 10_000; i++) assert.equal(budget.spend(), undefined);
  });
});

describe('spending the budget', () => {
  it('a controller draining keys whose reconciles do no I/O lets the event loop turn', async () => {
    const clock = new FakeClock();
    let done = 0;
    const controller = new Controller({
      name: 'busy',
      clock,
      workers: 4,
      reconciler: {
        reconcile: () => {
          clock.advance(1);
          done++;
          return Promise.resolve({});
        },
      },
    });
    for (let i = 0; i < 1_000; i++) controller.add(`k${i}`);
    const other = macrotask();
    controller.start();
    await until(() => other.ran(), 'the macrotask');
    assert.ok(
      done < 1_000 && done >= DEFAULT_SLICE_MS,
      `a macrotask ran after ${done} of 1,000 reconciles`,
    );
    await until(() => done === 1_000, 'all keys');
    await controller.stop();
  });

  it('an informer hands a long first list to its handlers in slices', async () => {
    const clock = new FakeClock();
    const { client } = newTestClient({ clock });
    for (let i = 0; i < 300; i++) {
      await client.create({
        apiVersion: API_VERSION,
        kind: 'Node',
        metadata: { name: `n${i}` },
        spec: {},
        status: {},
      });
    }
    const inf = new Informer({ client, kind: 'Node', clock });
    let added = 0;
    inf.addHandler({
      onAdd: () => {
        clock.advance(1);
        added++;
      },
    });
    const ac = new AbortController();
    const run = inf.run(ac.signal);
    const other = macrotask();
    await until(() => other.ran(), 'the macrotask');
    assert.ok(added < 300, `a macrotask ran after ${added} of 300 objects`);
    await inf.waitForSync();
    assert.equal(added, 300);
    ac.abort();
    await run;
  });
});
