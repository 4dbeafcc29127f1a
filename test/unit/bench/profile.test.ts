// hack/bench/profile.ts on a hand-made CPU profile.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { summarise } from '../../../hack/bench/profile.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
  scriptId: '0',
  columnNumber: 0,
});

// (root) -> (idle); (root) -> processImmediate -> runLoop -> fdatasync;
// (root) -> processTicksAndRejections -> encode
const profile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 6] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('processImmediate', 'node:internal/timers', 437), children: [4] },
    {
      id: 4,
      callFrame: frame('runLoop', 'file:///x/dist/pkg/raft/node.js', 381),
      children: [5],
    },
    { id: 5, callFrame: frame('fdatasync') },
    { id: 6, callFrame: frame('processTicksAndRejections'), children: [7] },
    { id: 7, callFrame: frame('encode', 'file:///x/node_modules/p/e.js', 9) },
  ],
  startTime: 0,
  endTime: 10_000,
  // Each sample lasts 1 ms (the next delta); the first two fall in the first 2 ms.
  samples: [2, 2, 5, 5, 5, 7, 2, 5, 7, 2],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

describe('profile summary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-profile-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'p.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));

  it('splits wall time into idle and busy, by function and by event-loop entry', () => {
    const s = summarise(file);
    // The last sample has no following delta: 9 ms are attributed.
    assert.equal(s.wall_ms, 9);
    assert.equal(s.idle_ms, 3);
    assert.equal(s.busy_ms, 6);
    assert.deepEqual(s.self, [
      ['fdatasync :1', 4],
      ['encode node_modules/p/e.js:10', 2],
    ]);
    assert.deepEqual(s.entries, [
      ['processImmediate node:internal/timers:438', 4],
      ['processTicksAndRejections :1', 2],
    ]);
  });

  it("adds up jobctl functions' inclusive time: what they call counts for them", () => {
    // runLoop (dist/pkg) is on the stack of the 4 fdatasync samples; encode is
    // not jobctl's own code.
    assert.deepEqual(summarise(file).total, [['runLoop dist/pkg/raft/node.js:382', 4]]);
  });

  it('keeps only the window asked for', () => {
    assert.equal(summarise(file, { skipMs: 2 }).idle_ms, 1);
    assert.equal(summarise(file, { lastMs: 4 }).busy_ms, 3);
    // Samples at 3..5 ms: fdatasync, fdatasync, encode.
    assert.equal(summarise(file, { skipMs: 3, untilMs: 5 }).busy_ms, 3);
  });

  it('charges each busy sample to the first component on its stack; they add up to busy', () => {
    const s = summarise(file);
    assert.deepEqual(s.components, [
      ['Raft core and node loop', 4],
      ['other (no jobctl frame)', 2],
    ]);
    assert.equal(
      s.components.reduce((a, [, ms]) => a + ms, 0),
      s.busy_ms,
    );
  });
});
