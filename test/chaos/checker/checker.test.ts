// The chaos checker must be able to fail: known-bad histories (a stale read, a lost
// write, a duplicated or missing watch event, a Run started twice, diverging stores)
// are flagged, and good ones (concurrent ops in any order, ops in doubt) accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkCron,
  checkHistory,
  checkKey,
  minimalWindow,
  opsForKey,
  summaryLine,
} from './index.js';
import type { FinalState, History, Op, WatchRecord } from '../history.js';

let nextId = 0;
function op(p: Partial<Op> & Pick<Op, 'kind' | 'invokeMs'>): Op {
  return { id: nextId++, client: 0, key: 'k', result: 'ok', ...p } as Op;
}

function history(ops: Op[], extra: Partial<History> = {}): History {
  return { seed: 7, nodes: 3, runtime: 'fake', seconds: 1, ops, watches: [], faults: [], ...extra };
}

const final = (jobs: FinalState['jobs'], more: Partial<FinalState> = {}): FinalState => ({
  jobs,
  perNode: {},
  jobInfo: [],
  runs: [],
  starts: {},
  ...more,
});

test('a sequential create, update, get, delete history is linearizable', () => {
  const h = history([
    op({ kind: 'create', value: 'a', invokeMs: 0, completeMs: 1, out: { value: 'a', rv: 10 } }),
    op({ kind: 'update', value: 'b', invokeMs: 2, completeMs: 3, out: { value: 'b', rv: 12 } }),
    op({ kind: 'get', invokeMs: 4, completeMs: 5, out: { value: 'b', rv: 13 } }),
    op({ kind: 'delete', invokeMs: 6, completeMs: 7, out: { value: 'b', rv: 13 } }),
    op({ kind: 'get', invokeMs: 8, completeMs: 9, result: 'fail', error: 'NotFound' }),
  ]);
  const r = checkHistory(h);
  assert.deepEqual(r.anomalies, []);
  assert.equal(r.linearizable, true);
});

test('concurrent writes may be ordered either way', () => {
  const h = history([
    op({ kind: 'apply', value: 'a', invokeMs: 0, completeMs: 10, out: { value: 'a', rv: 5 } }),
    op({ kind: 'apply', value: 'b', invokeMs: 1, completeMs: 9, out: { value: 'b', rv: 4 } }),
    op({ kind: 'get', invokeMs: 11, completeMs: 12, out: { value: 'a', rv: 5 } }),
  ]);
  assert.equal(checkHistory(h).linearizable, true);
});

test('a stale read (an older value after a newer one was read) is flagged, with its window', () => {
  const ops = [
    op({ kind: 'apply', value: 'a', invokeMs: 0, completeMs: 1, out: { value: 'a', rv: 5 } }),
    op({ kind: 'apply', value: 'b', invokeMs: 2, completeMs: 3, out: { value: 'b', rv: 6 } }),
    op({ kind: 'get', invokeMs: 4, completeMs: 5, out: { value: 'b', rv: 6 } }),
    op({ kind: 'get', invokeMs: 6, completeMs: 7, out: { value: 'a', rv: 5 } }),
    op({ kind: 'get', invokeMs: 8, completeMs: 9, out: { value: 'b', rv: 6 } }),
  ];
  const r = checkHistory(history(ops));
  assert.equal(r.linearizable, false);
  assert.equal(r.nonLinearizable[0]?.key, 'k');
  const window = r.nonLinearizable[0]?.window ?? [];
  // The minimal failing prefix ends at the stale read; the window starts at the last
  // write completed before it.
  assert.equal(window[window.length - 1]?.id, ops[3]?.id);
  assert.equal(window[0]?.id, ops[1]?.id);
});

test('a stale read with the same value but an older revision is flagged', () => {
  const ops = [
    op({ kind: 'apply', value: 'a', invokeMs: 0, completeMs: 1, out: { value: 'a', rv: 5 } }),
    op({ kind: 'get', invokeMs: 2, completeMs: 3, out: { value: 'a', rv: 9 } }),
    op({ kind: 'get', invokeMs: 4, completeMs: 5, out: { value: 'a', rv: 5 } }),
  ];
  assert.equal(checkKey(opsForKey(ops, 'k')).ok, false);
});

test('a read of a deleted key, after the delete was acknowledged, is flagged', () => {
  const ops = [
    op({ kind: 'create', value: 'a', invokeMs: 0, completeMs: 1, out: { value: 'a', rv: 5 } }),
    op({ kind: 'delete', invokeMs: 2, completeMs: 3, out: { value: 'a', rv: 5 } }),
    op({
      kind: 'list',
      key: undefined,
      invokeMs: 4,
      completeMs: 5,
      items: { k: { value: 'a', rv: 5 } },
    }),
  ];
  assert.equal(checkHistory(history(ops)).linearizable, false);
});

test('a write in doubt may or may not have happened', () => {
  const took = [
    op({ kind: 'apply', value: 'a', invokeMs: 0, completeMs: 1, out: { value: 'a', rv: 5 } }),
    op({ kind: 'apply', value: 'b', invokeMs: 2, result: 'unknown', error: 'Timeout' }),
    op({ kind: 'get', invokeMs: 10, completeMs: 11, out: { value: 'b', rv: 7 } }),
  ];
  assert.equal(checkHistory(history(took)).linearizable, true);
  const didNot = [
    op({ kind: 'apply', value: 'a', invokeMs: 0, completeMs: 1, out: { value: 'a', rv: 5 } }),
    op({ kind: 'apply', value: 'b', invokeMs: 2, result: 'unknown', error: 'Timeout' }),
    op({ kind: 'get', invokeMs: 10, completeMs: 11, out: { value: 'a', rv: 5 } }),
  ];
  assert.equal(checkHistory(history(didNot)).linearizable, true);
});

test('an acknowledged write missing after healing is a lost write', () => {
  const h = history(
    [
      op({ kind: 'create', value: 'a', invokeMs: 0, completeMs: 1, out: { value: 'a', rv: 5 } }),
      op({ kind: 'update', value: 'b', invokeMs: 2, completeMs: 3, out: { value: 'b', rv: 6 } }),
    ],
    { final: final({ k: { value: 'a', rv: 5 } }) },
  );
  const r = checkHistory(h);
  assert.equal(r.ackedLost.length, 1);
  assert.equal(r.ackedLost[0]?.op.value, 'b');
  assert.equal(r.linearizable, false);
  assert.match(summaryLine(h, r), /"acked_lost":1,"linearizable":false/);
  // A later write in doubt could have overwritten it: not counted as lost.
  const h2 = history(
    [
      op({ kind: 'update', value: 'b', invokeMs: 2, completeMs: 3, out: { value: 'b', rv: 6 } }),
      op({ kind: 'delete', invokeMs: 4, result: 'unknown', error: 'Timeout' }),
    ],
    { final: final({}) },
  );
  assert.equal(checkHistory(h2).ackedLost.length, 0);
});

function watch(events: [string, number, string?][], startRv = 0): WatchRecord {
  return {
    watcher: 0,
    segments: [
      {
        startRv,
        initial: {},
        events: events.map(([key, rv, value], i) => ({
          type: 'MODIFIED',
          key,
          rv,
          value: value ?? 'x',
          atMs: i,
        })),
      },
    ],
  };
}

test('a duplicated watch event, an out-of-order one and a missing one are flagged', () => {
  const dup = checkHistory(
    history([], {
      watches: [
        watch([
          ['k', 5],
          ['k', 5],
          ['k', 6],
        ]),
      ],
    }),
  );
  assert.deepEqual(
    dup.watch.map((w) => w.kind),
    ['duplicate'],
  );
  const order = checkHistory(
    history([], {
      watches: [
        watch([
          ['k', 6],
          ['k', 5],
        ]),
      ],
    }),
  );
  assert.deepEqual(
    order.watch.map((w) => w.kind),
    ['out-of-order'],
  );
  // Another watcher saw revision 6 of k; this one jumped from 5 to 7.
  const gap = checkHistory(
    history([], {
      watches: [
        watch([
          ['k', 5],
          ['k', 7],
        ]),
        { ...watch([['k', 6]], 5), watcher: 1 },
      ],
    }),
  );
  assert.deepEqual(
    gap.watch.map((w) => `${w.watcher}:${w.kind}`),
    ['0:gap'],
  );
  const good = checkHistory(
    history([], {
      watches: [
        watch([
          ['k', 5],
          ['j', 6],
          ['k', 7],
        ]),
      ],
    }),
  );
  assert.deepEqual(good.watch, []);
});

test('a watch whose replay differs from the final store is flagged', () => {
  const h = history([], {
    watches: [watch([['k', 5, 'a']])],
    final: final({ k: { value: 'b', rv: 6 } }),
  });
  assert.deepEqual(
    checkHistory(h).watch.map((w) => w.kind),
    ['final-mismatch'],
  );
});

test('diverging stores, unfinished Jobs, wrong completions and double starts are flagged', () => {
  const h = history([], {
    final: final(
      {},
      {
        perNode: { '1': { 'jobs/a': 5 }, '2': { 'jobs/a': 4 } },
        jobInfo: [
          { name: 'a', completions: 2, phase: 'Succeeded', suspended: false },
          { name: 'b', completions: 1, phase: 'Running', suspended: false },
        ],
        runs: [
          { name: 'a-0', uid: 'u0', job: 'a', phase: 'Succeeded' },
          { name: 'a-1', uid: 'u1', job: 'a', phase: 'Lost' },
        ],
        starts: { u0: 2, u1: 1 },
      },
    ),
  });
  const r = checkHistory(h);
  assert.equal(r.storeDiffs.length, 1);
  assert.deepEqual(r.unfinishedJobs, ['b (Running)']);
  assert.equal(r.wrongCompletions.length, 1);
  assert.deepEqual(r.duplicateStarts, [{ runUid: 'u0', starts: 2, lost: false }]);
  assert.equal(r.lostRuns, 1);
  assert.match(summaryLine(h, r), /"duplicate_starts":1,"lost_runs":1\}$/);
});

test('the CronJob: a slot fired twice, a misnamed or unfinished Job, a lost slot are flagged', () => {
  const M = Date.UTC(2026, 0, 1, 12, 0);
  const at = (m: number): string => new Date(M + m * 60_000).toISOString();
  const job = (m: number, phase = 'Succeeded', name = `tick-${M / 60_000 + m}`) => ({
    name,
    slot: at(m),
    phase,
  });
  const good = {
    name: 'tick',
    createdAt: at(-0.5),
    dueSlot: at(2),
    lastSlotTime: at(2),
    // Slot 1 was missed during a fault: allowed, the latest ran.
    jobs: [job(0), job(2)],
  };
  assert.deepEqual(checkCron(good), []);
  assert.deepEqual(checkCron({ ...good, jobs: [...good.jobs, job(2, 'Succeeded', 'tick-x')] }), [
    `job tick-x made for slot ${at(2)}, expected name tick-${M / 60_000 + 2}`,
    `slot ${at(2)} fired 2 times: tick-${M / 60_000 + 2}, tick-x`,
  ]);
  assert.deepEqual(checkCron({ ...good, jobs: [job(0), job(2, 'Running')] }), [
    `job tick-${M / 60_000 + 2} never finished (Running)`,
  ]);
  assert.deepEqual(checkCron({ ...good, lastSlotTime: at(1) }), [
    `lastSlotTime ${at(1)} behind the slot due at healing ${at(2)}`,
  ]);
  assert.deepEqual(checkCron({ ...good, jobs: [job(0)] }), [
    `the slot at lastSlotTime (${at(2)}) has no Job`,
  ]);
  const h = history([], { final: final({}, { cron: { ...good, lastSlotTime: at(1) } }) });
  assert.deepEqual(checkHistory(h).anomalies, [
    `cronjob: lastSlotTime ${at(1)} behind the slot due at healing ${at(2)}`,
  ]);
});

test('minimalWindow of a long history ends at the first op that breaks it', () => {
  const ops: Op[] = [];
  for (let i = 0; i < 50; i++)
    ops.push(
      op({
        kind: 'apply',
        value: `v${i}`,
        invokeMs: i * 2,
        completeMs: i * 2 + 1,
        out: { value: `v${i}`, rv: i + 1 },
      }),
    );
  const bad = op({ kind: 'get', invokeMs: 200, completeMs: 201, out: { value: 'v3', rv: 4 } });
  ops.push(bad);
  for (let i = 0; i < 10; i++)
    ops.push(
      op({
        kind: 'get',
        invokeMs: 202 + i * 2,
        completeMs: 203 + i * 2,
        out: { value: 'v49', rv: 50 },
      }),
    );
  const kops = opsForKey(ops, 'k');
  assert.equal(checkKey(kops).ok, false);
  const w = minimalWindow(kops);
  assert.equal(w[w.length - 1]?.op.id, bad.id);
  assert.equal(w.length, 2);
});
