// The Event schema (manifests/crds/event.json): what the recorder writes is
// valid; a wrong type, a zero count or a missing involved object is not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateManifest } from '../../../pkg/api/validation/index.js';
import { involved, recorderEnv, storedEvents } from './helpers.js';

function validEvent(): Record<string, unknown> {
  return {
    apiVersion: 'jobctl.dev/v1',
    kind: 'Event',
    metadata: { name: 'hello-0123456789', namespace: 'default' },
    spec: {
      involvedObject: { kind: 'Job', namespace: 'default', name: 'hello', uid: 'u1' },
      type: 'Normal',
      reason: 'Scheduled',
      message: 'Run hello-0 scheduled to node-1',
      count: 1,
      firstTimestamp: '2025-01-01T00:00:00Z',
      lastTimestamp: '2025-01-01T00:00:00Z',
      source: { component: 'scheduler', node: 'node-1' },
    },
  };
}

describe('Event validation', () => {
  it('accepts a valid Event', () => {
    const r = validateManifest(validEvent());
    assert.equal(r.ok, true, JSON.stringify(r.errors));
  });

  it('accepts what the recorder writes (a Node event too)', async () => {
    const { tc, recorder } = recorderEnv();
    recorder.record(involved('Job', 'hello'), 'Warning', 'BackOff', 'Back-off 10s');
    recorder.record(involved('Node', 'node-1'), 'Warning', 'NodeNotReady', 'silent for 5s');
    await recorder.flush();
    const events = storedEvents(tc);
    assert.equal(events.length, 2);
    for (const e of events) {
      const r = validateManifest(JSON.parse(JSON.stringify(e)));
      assert.equal(r.ok, true, JSON.stringify(r.errors));
    }
  });

  it('rejects a bad type, a zero count and a missing involved object, all at once', () => {
    const bad = validEvent();
    const spec = bad.spec as Record<string, unknown>;
    spec.type = 'Error';
    spec.count = 0;
    delete spec.involvedObject;
    const r = validateManifest(bad);
    assert.equal(r.ok, false);
    const paths = r.errors.map((e) => e.path).sort();
    assert.deepEqual(paths, ['spec.count', 'spec.involvedObject', 'spec.type']);
    const typeError = r.errors.find((e) => e.path === 'spec.type');
    assert.match(typeError?.message ?? '', /Normal.*Warning/);
  });
});
