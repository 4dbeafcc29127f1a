// jobd pins V8's heap growing factor (pkg/node/heap-growth.ts) unless the
// operator chose one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { heapGrowthChosen, limitHeapGrowth } from '../../../pkg/node/heap-growth.js';

describe('heap growth', () => {
  it("sees the operator's own choice as a node flag or in NODE_OPTIONS, either spelling", () => {
    assert.equal(heapGrowthChosen(['--heap-growing-percent=20'], ''), true);
    assert.equal(heapGrowthChosen([], '--max-old-space-size=512 --heap_growing_percent=80'), true);
    assert.equal(heapGrowthChosen(['--cpu-prof'], '--max-old-space-size=512'), false);
  });

  it("leaves the operator's choice alone and pins the factor otherwise", () => {
    assert.equal(limitHeapGrowth(['--heap-growing-percent=20'], ''), false);
    assert.equal(limitHeapGrowth([], ''), true);
  });
});
