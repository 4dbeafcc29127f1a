// The dashboard's browser modules are compiled apart from the Node-side tree
// and cannot import pkg/store, so they keep a copy of the final Run phases.
// This test keeps that copy equal to the store's one definition.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINAL_RUN_PHASES } from '../../../pkg/store/index.js';

interface DashboardTypes {
  readonly FINAL_RUN_PHASES: ReadonlySet<string>;
}
// dist/test/unit/dashboard/types.test.js -> dist/pkg/dashboard/types.js
const dashboard = (await import(
  new URL('../../../pkg/dashboard/types.js', import.meta.url).href
)) as DashboardTypes;

describe('dashboard types', () => {
  it('knows the same final Run phases as the store', () => {
    assert.deepEqual([...dashboard.FINAL_RUN_PHASES].sort(), [...FINAL_RUN_PHASES].sort());
  });
});
