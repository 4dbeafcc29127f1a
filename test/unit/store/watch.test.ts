import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobctlError } from '../../../pkg/util/errors.js';
import type { WatchEvent } from '../../../pkg/store/index.js';
import { Harness, input, jobInput, jobSpec, ok } from './fixtures.js';

/** Events as compact strings: TYPE ns/name@rv. */
function collector() {
  const seen: string[] = [];
  const listener = (e: WatchEvent) =>
    seen.push(
      `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}@${e.object.metadata.resourceVersion}`,
    );
  return { seen, listener };
}

describe('watch', () => {
  it('delivers live changes in commit order with the revision of each change', () => {
    const h = new Harness();
    const { seen, listener } = collector();
    h.store.watch('Job', { resourceVersion: '0' }, listener);
    ok(h.create(jobInput('a')));
    ok(h.update(jobInput('a', { spec: jobSpec({ parallelism: 2 }) })));
    ok(h.create(jobInput('b', { namespace: 'other' })));
    ok(h.delete('Job', 'default', 'a'));
    ok(h.create(input('Run', 'r'))); // another kind: not delivered
    assert.deepEqual(seen, [
      'ADDED default/a@1',
      'MODIFIED default/a@2',
      'ADDED other/b@3',
      'DELETED default/a@4',
    ]);
  });

  it('without a resourceVersion, starts with the current objects as ADDED', () => {
    const h = new Harness();
    ok(h.create(jobInput('b')));
    ok(h.create(jobInput('a')));
    const { seen, listener } = collector();
    h.store.watch('jobs', {}, listener);
    ok(h.create(jobInput('c')));
    assert.deepEqual(seen, ['ADDED default/a@2', 'ADDED default/b@1', 'ADDED default/c@3']);
  });

  it('resumes from a version: everything after it, then live, nothing twice', () => {
    const h = new Harness();
    for (const n of ['a', 'b', 'c']) ok(h.create(jobInput(n)));
    ok(h.updateStatus(jobInput('a'), { phase: 'Running' }));
    const { seen, listener } = collector();
    h.store.watch('Job', { resourceVersion: '2' }, listener);
    assert.deepEqual(seen, ['ADDED default/c@3', 'MODIFIED default/a@4']);
    ok(h.delete('Job', 'default', 'b'));
    assert.deepEqual(seen.slice(2), ['DELETED default/b@5']);
    // Resuming from the last seen version replays nothing.
    const again = collector();
    h.store.watch('Job', { resourceVersion: '5' }, again.listener);
    assert.deepEqual(again.seen, []);
  });

  it('from a revision this replica has not reached yet, repeats nothing while catching up', () => {
    // Regression (chaos suite, issue 5): a client resumed its watch from revision V on
    // a node that had just restarted (or lagged); as that node re-applied its log up
    // to V, every change up to V was delivered again, out of order.
    const leader = new Harness();
    const lagging = new Harness();
    for (const n of ['a', 'b', 'c']) {
      ok(leader.create(jobInput(n)));
      if (n !== 'c') ok(lagging.create(jobInput(n)));
    }
    ok(leader.updateStatus(jobInput('a'), { phase: 'Running' }));
    const { seen, listener } = collector();
    // The client saw everything up to revision 4 (on the leader) and resumes on the lagging node.
    lagging.store.watch('Job', { resourceVersion: '4' }, listener);
    ok(lagging.create(jobInput('c')));
    ok(lagging.updateStatus(jobInput('a'), { phase: 'Running' }));
    assert.deepEqual(seen, []);
    ok(lagging.delete('Job', 'default', 'b'));
    assert.deepEqual(seen, ['DELETED default/b@5']);
  });

  it('delivers every change of a multi-write entry when resuming from just before it', () => {
    const h = new Harness();
    ok(h.create(jobInput('a')));
    ok(h.create(jobInput('b')));
    h.run({
      op: 'batch',
      commands: [
        { op: 'updateStatus', object: { ...jobInput('a'), status: { phase: 'Running' } } },
        { op: 'updateStatus', object: { ...jobInput('b'), status: { phase: 'Running' } } },
      ],
    });
    const { seen, listener } = collector();
    h.store.watch('Job', { resourceVersion: '2' }, listener);
    assert.deepEqual(seen, ['MODIFIED default/a@3', 'MODIFIED default/b@4']);
    // Each change has its own revision: resuming after the first gets only the second.
    const rest = collector();
    h.store.watch('Job', { resourceVersion: '3' }, rest.listener);
    assert.deepEqual(rest.seen, ['MODIFIED default/b@4']);
  });

  it('filters by namespace and label selector; leaving the selector is DELETED, entering is ADDED', () => {
    const h = new Harness();
    const { seen, listener } = collector();
    h.store.watch(
      'Job',
      { resourceVersion: '0', namespace: 'default', labelSelector: 'team=data' },
      listener,
    );
    ok(h.create(jobInput('a', { labels: { team: 'data' } }))); // 1 ADDED
    ok(h.create(jobInput('b', { labels: { team: 'web' } }))); // 2 not matching
    ok(h.create(jobInput('c', { namespace: 'x', labels: { team: 'data' } }))); // 3 other ns
    ok(h.update(jobInput('a', { labels: { team: 'web' } }))); // 4 leaves: DELETED
    ok(h.update(jobInput('b', { labels: { team: 'data' } }))); // 5 enters: ADDED
    ok(h.updateStatus(jobInput('b'), { phase: 'Running' })); // 6 MODIFIED
    ok(h.delete('Job', 'default', 'a')); // 7 not matching any more
    ok(h.delete('Job', 'default', 'b')); // 8 DELETED
    assert.deepEqual(seen, [
      'ADDED default/a@1',
      'DELETED default/a@4',
      'ADDED default/b@5',
      'MODIFIED default/b@6',
      'DELETED default/b@8',
    ]);
  });

  it('DELETED for an object leaving the selector carries its last matching state', () => {
    const h = new Harness();
    const events: WatchEvent[] = [];
    h.store.watch('Job', { resourceVersion: '0', labelSelector: 'team=data' }, (e) =>
      events.push(e),
    );
    ok(h.create(jobInput('a', { labels: { team: 'data' } })));
    ok(h.update(jobInput('a', { labels: { team: 'web' } })));
    const last = events[1];
    assert.equal(last?.type, 'DELETED');
    assert.deepEqual(last?.object.metadata.labels, { team: 'data' });
    assert.equal(last?.object.metadata.resourceVersion, '2');
    assert.ok(Object.isFrozen(last?.object.metadata));
  });

  it('filters by field selector (an agent watching Runs bound to its node)', () => {
    const h = new Harness();
    const { seen, listener } = collector();
    h.store.watch('Run', { resourceVersion: '0', fieldSelector: 'spec.nodeName=node-1' }, listener);
    ok(h.create(input('Run', 'r1', { spec: { nodeName: '' } })));
    ok(h.update(input('Run', 'r1', { spec: { nodeName: 'node-1' } })));
    ok(h.create(input('Run', 'r2', { spec: { nodeName: 'node-2' } })));
    assert.deepEqual(seen, ['ADDED default/r1@2']);
  });

  it('gives Gone for a version older than the history window', () => {
    const h = new Harness({ historySize: 3 });
    for (const n of ['a', 'b', 'c', 'd', 'e']) ok(h.create(jobInput(n)));
    // Ring holds revisions 3,4,5: watches from 2 onwards are exact.
    const { seen, listener } = collector();
    h.store.watch('Job', { resourceVersion: '2' }, listener);
    assert.deepEqual(seen, ['ADDED default/c@3', 'ADDED default/d@4', 'ADDED default/e@5']);
    assert.throws(
      () => h.store.watch('Job', { resourceVersion: '1' }, () => {}),
      (e: unknown) =>
        e instanceof JobctlError &&
        e.reason === 'Gone' &&
        e.message === 'too old resource version: 1 (oldest available: 2); relist and watch again',
    );
  });

  it('evicts per change: a watch from just before the oldest change held is still exact', () => {
    const h = new Harness({ historySize: 3 });
    ok(h.create(jobInput('a')));
    ok(h.create(jobInput('b')));
    h.run({
      op: 'batch',
      commands: [
        { op: 'updateStatus', object: { ...jobInput('a'), status: { phase: 'Running' } } },
        { op: 'updateStatus', object: { ...jobInput('b'), status: { phase: 'Running' } } },
      ],
    }); // ring: 2, 3, 4
    ok(h.create(jobInput('c'))); // evicts 2 -> ring 3, 4, 5
    ok(h.create(jobInput('d'))); // evicts 3 -> ring 4, 5, 6
    assert.throws(
      () => h.store.watch('Job', { resourceVersion: '2' }, () => {}),
      /oldest available: 3/,
    );
    const { seen, listener } = collector();
    h.store.watch('Job', { resourceVersion: '3' }, listener);
    assert.deepEqual(seen, ['MODIFIED default/b@4', 'ADDED default/c@5', 'ADDED default/d@6']);
  });

  it('refuses a malformed resourceVersion or selector', () => {
    const h = new Harness();
    for (const opts of [
      { resourceVersion: 'abc' },
      { resourceVersion: '-1' },
      { labelSelector: 'a in' },
    ]) {
      assert.throws(
        () => h.store.watch('Job', opts, () => {}),
        (e: unknown) => e instanceof JobctlError && e.reason === 'Invalid',
      );
    }
  });

  it('stops a cancelled watch', () => {
    const h = new Harness();
    const { seen, listener } = collector();
    const handle = h.store.watch('Job', { resourceVersion: '0' }, listener);
    ok(h.create(jobInput('a')));
    handle.cancel();
    handle.cancel();
    ok(h.create(jobInput('b')));
    assert.deepEqual(seen, ['ADDED default/a@1']);
    assert.equal(handle.active, false);
    assert.equal(h.store.stats().watchers, 0);
  });

  it('survives a listener that throws: the store goes on, that watch stops and is told why', () => {
    const h = new Harness();
    const errors: unknown[] = [];
    const bad = h.store.watch(
      'Job',
      { resourceVersion: '0', onError: (e) => errors.push(e) },
      () => {
        throw new Error('boom');
      },
    );
    const good = collector();
    h.store.watch('Job', { resourceVersion: '0' }, good.listener);
    ok(h.create(jobInput('a')));
    ok(h.create(jobInput('b')));
    assert.equal(bad.active, false);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /boom/);
    assert.deepEqual(good.seen, ['ADDED default/a@1', 'ADDED default/b@2']);
    assert.equal(h.store.counts().Job, 2);
  });

  it('lets a listener read the store and sees the whole entry applied', () => {
    const h = new Harness();
    ok(h.create(jobInput('a')));
    ok(h.create(jobInput('b')));
    const observed: string[] = [];
    h.store.watch('Job', { resourceVersion: '2' }, (e) => {
      observed.push(
        `${e.object.metadata.name}:${h.store.revision}:${h.store.get('Job', 'default', 'b')?.status.phase}`,
      );
    });
    h.run({
      op: 'batch',
      commands: [
        { op: 'updateStatus', object: { ...jobInput('a'), status: { phase: 'Running' } } },
        { op: 'updateStatus', object: { ...jobInput('b'), status: { phase: 'Failed' } } },
      ],
    });
    assert.deepEqual(observed, ['a:4:Failed', 'b:4:Failed']);
  });

  it('delivers frozen objects', () => {
    const h = new Harness();
    const events: WatchEvent[] = [];
    h.store.watch('Job', { resourceVersion: '0' }, (e) => events.push(e));
    ok(h.create(jobInput('a', { labels: { x: 'y' } })));
    assert.throws(() => {
      (events[0]?.object.metadata.labels as Record<string, string>).x = 'z';
    }, TypeError);
  });
});
