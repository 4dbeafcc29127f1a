import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  ObjectResult,
  OwnerReference,
  Resource,
  WatchEvent,
} from '../../../pkg/store/index.js';
import { err, Harness, input, jobInput, ok } from './fixtures.js';

// Finished Runs: deleting their owner removes it at once (an active Run only marks it).
const FINISHED = { phase: 'Succeeded' };

function ref(o: Resource, controller = true): OwnerReference {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    controller,
  };
}

describe('delete', () => {
  it('removes the object and returns its final state with deletionTimestamp', () => {
    const h = new Harness();
    ok(h.create(jobInput('a')));
    const r = ok(h.delete('Job', 'default', 'a'));
    assert.equal(r.outcome, 'deleted');
    assert.equal(r.object.metadata.resourceVersion, '2');
    assert.equal(r.object.metadata.deletionTimestamp, '2025-01-01T00:00:01.000Z');
    assert.equal(h.store.get('Job', 'default', 'a'), undefined);
    assert.deepEqual(err(h.delete('Job', 'default', 'a')), {
      ok: false,
      reason: 'NotFound',
      message: 'jobs "a" not found',
    });
  });

  it('only marks a Job that owns an active Run; deleting it again once the Run ended removes both', () => {
    const h = new Harness();
    const job = ok(h.create(jobInput('j'))).object;
    ok(
      h.create(input('Run', 'j-0', { ownerReferences: [ref(job)], status: { phase: 'Running' } })),
    );
    const events: WatchEvent[] = [];
    h.store.watch('Job', { resourceVersion: String(h.store.revision) }, (e) => events.push(e));
    const marked = ok(h.delete('Job', 'default', 'j'));
    assert.equal(marked.outcome, 'deleted');
    assert.deepEqual(marked.deleted, [], 'nothing is gone yet');
    const mark = marked.object.metadata.deletionTimestamp;
    assert.ok(mark);
    assert.equal(h.store.get('Job', 'default', 'j')?.metadata.deletionTimestamp, mark);
    assert.ok(h.store.get('Run', 'default', 'j-0'));
    assert.deepEqual(
      events.map((e) => e.type),
      ['MODIFIED'],
    );
    // Again while the Run is active: no change, no event.
    const again = ok(h.delete('Job', 'default', 'j'));
    assert.equal(again.object.metadata.resourceVersion, marked.object.metadata.resourceVersion);
    assert.equal(events.length, 1);
    ok(h.updateStatus(input('Run', 'j-0'), { phase: 'Cancelled', reason: 'Deleted' }));
    const gone = ok(h.delete('Job', 'default', 'j'));
    assert.deepEqual(
      gone.deleted?.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Run/j-0', 'Job/j'],
    );
    assert.equal(h.store.get('Job', 'default', 'j'), undefined);
    assert.deepEqual(
      events.map((e) => e.type),
      ['MODIFIED', 'DELETED'],
    );
  });

  it('marks a CronJob and its running Jobs, and removes the CronJob with the last of them', () => {
    const h = new Harness();
    const cj = ok(
      h.create(input('CronJob', 'nightly', { spec: { schedule: '@daily', jobTemplate: {} } })),
    ).object;
    const running = ok(h.create(jobInput('nightly-1', { ownerReferences: [ref(cj)] }))).object;
    const done = ok(h.create(jobInput('nightly-0', { ownerReferences: [ref(cj)] }))).object;
    ok(
      h.create(
        input('Run', 'nightly-1-0', {
          ownerReferences: [ref(running)],
          status: { phase: 'Running' },
        }),
      ),
    );
    ok(h.create(input('Run', 'nightly-0-0', { ownerReferences: [ref(done)], status: FINISHED })));

    const marked = ok(h.delete('CronJob', 'default', 'nightly'));
    assert.deepEqual(marked.deleted, [], 'nothing is gone while a Job of it runs');
    const marks = (name: string, kind = 'Job') =>
      h.store.get(kind, 'default', name)?.metadata.deletionTimestamp !== undefined;
    assert.ok(marks('nightly', 'CronJob'));
    assert.ok(marks('nightly-1'), 'the running Job is marked, so its controller stops it');
    assert.ok(!marks('nightly-0'), 'a finished Job is left to go with the CronJob');
    assert.ok(h.store.get('Run', 'default', 'nightly-1-0'));

    // The job controller stops the Run, then deletes its Job again.
    ok(h.updateStatus(input('Run', 'nightly-1-0'), { phase: 'Cancelled', reason: 'Deleted' }));
    const gone = ok(h.delete('Job', 'default', 'nightly-1'));
    assert.deepEqual(
      gone.deleted?.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Run/nightly-1-0', 'Job/nightly-1', 'Run/nightly-0-0', 'Job/nightly-0', 'CronJob/nightly'],
    );
    for (const [kind, name] of [
      ['CronJob', 'nightly'],
      ['Job', 'nightly-0'],
      ['Run', 'nightly-0-0'],
    ] as const)
      assert.equal(h.store.get(kind, 'default', name), undefined, `${kind}/${name}`);
  });

  it('removes a CronJob whose Jobs all finished at once, with them', () => {
    const h = new Harness();
    const cj = ok(
      h.create(input('CronJob', 'nightly', { spec: { schedule: '@daily', jobTemplate: {} } })),
    ).object;
    const done = ok(h.create(jobInput('nightly-0', { ownerReferences: [ref(cj)] }))).object;
    ok(h.create(input('Run', 'nightly-0-0', { ownerReferences: [ref(done)], status: FINISHED })));
    const r = ok(h.delete('CronJob', 'default', 'nightly'));
    assert.deepEqual(
      r.deleted?.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Run/nightly-0-0', 'Job/nightly-0', 'CronJob/nightly'],
    );
  });

  it('checks uid and resourceVersion preconditions', () => {
    const h = new Harness();
    const a = ok(h.create(jobInput('a'))).object;
    assert.equal(err(h.delete('Job', 'default', 'a', { uid: 'other' })).reason, 'Conflict');
    assert.equal(err(h.delete('Job', 'default', 'a', { resourceVersion: '0' })).reason, 'Conflict');
    ok(h.delete('Job', 'default', 'a', { uid: a.metadata.uid, resourceVersion: '1' }));
  });

  it('cascades Job -> Runs -> their dependents, dependents first, in one entry', () => {
    const h = new Harness();
    const job = ok(h.create(jobInput('j'))).object;
    const other = ok(h.create(jobInput('k'))).object;
    const r1 = ok(
      h.create(input('Run', 'j-1', { status: FINISHED, ownerReferences: [ref(job)] })),
    ).object;
    ok(h.create(input('Run', 'j-0', { status: FINISHED, ownerReferences: [ref(job)] })));
    ok(h.create(input('Run', 'k-0', { status: FINISHED, ownerReferences: [ref(other)] })));
    // A grandchild (Run owning a Run stands in for a future kind, e.g. Event).
    ok(h.create(input('Run', 'j-1-log', { status: FINISHED, ownerReferences: [ref(r1)] })));
    const events: WatchEvent[] = [];
    h.store.watch('Run', { resourceVersion: String(h.store.revision) }, (e) => events.push(e));
    const jobEvents: WatchEvent[] = [];
    h.store.watch('Job', { resourceVersion: String(h.store.revision) }, (e) => jobEvents.push(e));

    const before = h.store.revision;
    const r = ok(h.delete('Job', 'default', 'j'));
    assert.deepEqual(
      r.deleted?.map((o) => `${o.kind}/${o.metadata.name}`),
      ['Run/j-0', 'Run/j-1-log', 'Run/j-1', 'Job/j'],
    );
    // One entry, one revision per deleted object, in the order of deletion.
    assert.deepEqual(
      r.deleted?.map((o) => Number(o.metadata.resourceVersion) - before),
      [1, 2, 3, 4],
    );
    assert.ok(r.deleted?.every((o) => o.metadata.deletionTimestamp));
    assert.deepEqual(
      events.map((e) => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`),
      [`DELETED j-0@${before + 1}`, `DELETED j-1-log@${before + 2}`, `DELETED j-1@${before + 3}`],
    );
    assert.deepEqual(
      jobEvents.map((e) => e.type),
      ['DELETED'],
    );
    assert.deepEqual(
      h.store.list('Run').items.map((o) => o.metadata.name),
      ['k-0'],
    );
    assert.deepEqual(h.store.counts(), {
      Job: 1,
      Run: 1,
      Node: 0,
      CronJob: 0,
      Event: 0,
      SandboxPolicy: 0,
      Queue: 0,
      Token: 0,
      RoleBinding: 0,
      ClusterRoleBinding: 0,
    });
  });

  it('keeps a dependent that still has another live owner, dropping the dead reference', () => {
    const h = new Harness();
    const a = ok(h.create(jobInput('a'))).object;
    const b = ok(h.create(jobInput('b'))).object;
    ok(
      h.create(
        input('Run', 'shared', { status: FINISHED, ownerReferences: [ref(a), ref(b, false)] }),
      ),
    );
    ok(h.delete('Job', 'default', 'a'));
    const shared = h.store.get('Run', 'default', 'shared');
    assert.deepEqual(shared?.metadata.ownerReferences, [ref(b, false)]);
    ok(h.delete('Job', 'default', 'b'));
    assert.equal(h.store.get('Run', 'default', 'shared'), undefined);
  });

  it('survives ownership cycles', () => {
    const h = new Harness();
    // x is owned by a uid that y will get; y is owned by x.
    const x = ok(
      h.create(
        input('Run', 'x', {
          status: FINISHED,
          ownerReferences: [{ apiVersion: 'jobctl.dev/v1', kind: 'Run', name: 'y', uid: 'uid-2' }],
        }),
      ),
    ).object;
    ok(h.create(input('Run', 'y', { status: FINISHED, ownerReferences: [ref(x)] })));
    const r = ok(h.delete('Run', 'default', 'x')) as ObjectResult;
    assert.deepEqual(
      r.deleted?.map((o) => o.metadata.name),
      ['y', 'x'],
    );
    assert.equal(h.store.counts().Run, 0);
  });

  it('cascades from cluster-scoped owners too', () => {
    const h = new Harness();
    const node = ok(h.create(input('Node', 'n1'))).object;
    ok(h.create(input('Run', 'r', { status: FINISHED, ownerReferences: [ref(node)] })));
    ok(h.delete('nodes', '', 'n1'));
    assert.equal(h.store.counts().Run, 0);
  });
});
