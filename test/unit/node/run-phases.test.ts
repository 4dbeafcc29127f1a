// The jobctl_runs gauge's counts (pkg/node/run-phases.ts), kept from the
// store's changes instead of a walk per scrape: right after Runs are added,
// change phase, are deleted and recreated, and after a snapshot restore.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runPhaseFeed } from '../../../pkg/node/run-phases.js';
import { Harness, input, ok } from '../store/fixtures.js';

function runInput(name: string, status: Record<string, unknown> = {}) {
  return input('Run', name, {
    spec: { jobName: 'j', jobUid: 'ju', attempt: 0, nodeName: 'n1', container: {} },
    status,
  });
}

/** The counts as the gauge reports them, zeros left out. */
function counts(feed: ReturnType<typeof runPhaseFeed>): Record<string, number> {
  return Object.fromEntries([...feed.counts.entries()].filter(([, n]) => n !== 0));
}

/** What a walk over every Run gives (the gauge's old way), for comparison. */
function walked(h: Harness): Record<string, number> {
  const out: Record<string, number> = {};
  for (const run of h.store.list('Run').items) {
    const phase = (run.status as { phase?: string } | undefined)?.phase ?? 'Pending';
    out[phase] = (out[phase] ?? 0) + 1;
  }
  return out;
}

describe('Runs per phase (jobctl_runs)', () => {
  it('counts the Runs stored before it starts, then follows adds, phase changes and deletes', () => {
    const h = new Harness();
    ok(h.create(runInput('a', { phase: 'Running' })));
    ok(h.create(runInput('b')));
    const feed = runPhaseFeed(h.store);
    void feed.start?.();
    assert.deepEqual(counts(feed), { Running: 1, Pending: 1 });

    ok(h.create(runInput('c', { phase: 'Scheduled' })));
    assert.deepEqual(counts(feed), { Running: 1, Pending: 1, Scheduled: 1 });

    ok(h.updateStatus(runInput('b'), { phase: 'Running' }));
    ok(h.updateStatus(runInput('a'), { phase: 'Succeeded', exitCode: 0 }));
    assert.deepEqual(counts(feed), { Running: 1, Scheduled: 1, Succeeded: 1 });
    // A status write that keeps the phase changes no count.
    ok(h.updateStatus(runInput('b'), { phase: 'Running', containerID: 'c1' }));
    assert.deepEqual(counts(feed), { Running: 1, Scheduled: 1, Succeeded: 1 });

    ok(h.delete('Run', 'default', 'a'));
    assert.deepEqual(counts(feed), { Running: 1, Scheduled: 1 });
    // The same name again is another Run (another uid), counted once.
    ok(h.create(runInput('a', { phase: 'Failed' })));
    assert.deepEqual(counts(feed), { Running: 1, Scheduled: 1, Failed: 1 });
    assert.deepEqual(counts(feed), walked(h));
    void feed.stop?.();
    ok(h.delete('Run', 'default', 'b'));
    assert.deepEqual(counts(feed), { Running: 1, Scheduled: 1, Failed: 1 }, 'stopped: no more');
  });

  it('starts over from the restored state after a snapshot restore', async () => {
    const h = new Harness();
    ok(h.create(runInput('a', { phase: 'Running' })));
    const snap = h.store.snapshot();
    const at = h.index;
    const feed = runPhaseFeed(h.store);
    void feed.start?.();
    ok(h.create(runInput('b', { phase: 'Scheduled' })));
    ok(h.updateStatus(runInput('a'), { phase: 'Succeeded', exitCode: 0 }));
    assert.deepEqual(counts(feed), { Scheduled: 1, Succeeded: 1 });

    h.store.restore(at, snap);
    // The watch stops with the restore and is taken again in a microtask.
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.deepEqual(counts(feed), { Running: 1 });
    h.index = at;
    ok(h.create(runInput('c')));
    assert.deepEqual(counts(feed), { Running: 1, Pending: 1 });
    assert.deepEqual(counts(feed), walked(h));
    void feed.stop?.();
  });
});
