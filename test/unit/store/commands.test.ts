import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeCommand, ResourceStore, type BatchResult } from '../../../pkg/store/index.js';
import { err, Harness, input, jobInput, jobSpec, ok } from './fixtures.js';

// Finished Runs: deleting their owner removes it at once (an active Run only marks it).
const FINISHED = { phase: 'Succeeded' };

describe('revisions', () => {
  it('stamps each change with the next store revision, apart from the Raft index', () => {
    const h = new Harness();
    const a = ok(h.create(jobInput('a')));
    assert.equal(a.object.metadata.resourceVersion, '1');
    h.index = 9; // the shell may skip indexes (configuration entries)
    const b = ok(h.create(jobInput('b')));
    assert.equal(b.object.metadata.resourceVersion, '2');
    assert.equal(h.store.revision, 2);
    assert.equal(h.store.appliedIndex, 10);
    assert.equal(h.store.list('Job').resourceVersion, '2');
  });

  it('advances the applied index, not the revision, on a no-op, a failure or no change', () => {
    const h = new Harness();
    assert.equal(h.store.apply(1, new Uint8Array()), undefined);
    assert.equal(h.store.appliedIndex, 1);
    assert.equal(h.store.revision, 0);
    h.index = 1;
    err(h.delete('Job', 'default', 'nope'));
    assert.equal(h.store.appliedIndex, 2);
    assert.equal(h.store.revision, 0);
    ok(h.create(jobInput('a')));
    assert.equal(ok(h.apply(jobInput('a'))).outcome, 'unchanged');
    assert.equal(h.store.appliedIndex, 4);
    assert.equal(h.store.revision, 1);
  });

  it('throws (a shell bug) on an index that does not increase', () => {
    const h = new Harness();
    h.create(jobInput('a'));
    assert.throws(() => h.store.apply(1, encodeCommand({ op: 'update', object: jobInput('a') })));
  });

  it('turns undecodable entries into Invalid results, not throws', () => {
    const store = new ResourceStore();
    const garbage = store.apply(1, new Uint8Array([0xff, 0x00, 0x7b]));
    assert.equal(garbage?.ok, false);
    const unknownOp = store.apply(2, new TextEncoder().encode('{"op":"explode"}'));
    assert.deepEqual(unknownOp, {
      ok: false,
      reason: 'Invalid',
      message: 'unknown command op: explode',
    });
    const noMetadata = store.apply(
      3,
      new TextEncoder().encode('{"op":"create","now":"t","uid":"u","object":{}}'),
    );
    assert.equal(noMetadata?.ok, false);
    assert.equal(store.appliedIndex, 3);
    assert.equal(store.revision, 0);
  });
});

describe('create', () => {
  it('fills in metadata from the command and defaults the namespace', () => {
    const h = new Harness();
    const { object, outcome } = ok(h.create(jobInput('hello', { labels: { team: 'data' } })));
    assert.equal(outcome, 'created');
    assert.deepEqual(object.metadata, {
      annotations: {},
      creationTimestamp: '2025-01-01T00:00:00.000Z',
      generation: 1,
      labels: { team: 'data' },
      name: 'hello',
      namespace: 'default',
      ownerReferences: [],
      resourceVersion: '1',
      uid: 'uid-1',
    });
    assert.deepEqual(object.spec, jobSpec());
    assert.deepEqual(object.status, {});
    assert.equal(object.apiVersion, 'jobctl.dev/v1');
  });

  it('refuses a duplicate name with AlreadyExists', () => {
    const h = new Harness();
    h.create(jobInput('hello'));
    assert.deepEqual(err(h.create(jobInput('hello'))), {
      ok: false,
      reason: 'AlreadyExists',
      message: 'jobs "hello" already exists',
    });
    // Same name in another namespace is another object.
    ok(h.create(jobInput('hello', { namespace: 'other' })));
  });

  it('names from generateName plus the proposer-chosen suffix', () => {
    const h = new Harness();
    const obj = { ...jobInput(''), metadata: { generateName: 'hello-' } };
    const { object } = ok(h.create(obj, 'x7k2p'));
    assert.equal(object.metadata.name, 'hello-x7k2p');
    assert.equal(object.metadata.generateName, 'hello-');
    assert.equal(err(h.create(obj)).reason, 'Invalid'); // no suffix: the proposer must choose
  });

  it('stores cluster-scoped kinds with namespace ""', () => {
    const h = new Harness();
    const { object } = ok(h.create(input('Node', 'node-1', { namespace: 'ignored' })));
    assert.equal(object.metadata.namespace, '');
    assert.equal(h.store.get('Node', '', 'node-1')?.metadata.uid, object.metadata.uid);
    assert.equal(h.store.get('nodes', 'whatever', 'node-1')?.metadata.uid, object.metadata.uid);
  });

  it('refuses bad names, labels and kinds with kubectl-shaped Invalid messages', () => {
    const h = new Harness();
    assert.match(
      err(h.create(jobInput('Bad_Name'))).message,
      /^Job "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label/,
    );
    assert.match(
      err(h.create(jobInput('ok', { labels: { 'bad key!': 'x' } }))).message,
      /^Job "ok" is invalid: metadata.labels: Invalid value: name part of "bad key!"/,
    );
    assert.equal(
      err(h.create({ ...jobInput('x'), kind: 'Pod' })).message,
      'no matches for kind "Pod" in version "jobctl.dev/v1"',
    );
    assert.match(err(h.create(jobInput(''))).message, /metadata.name: Required value/);
    assert.equal(h.store.counts().Job, 0);
  });

  it('returns deep-frozen objects that callers cannot mutate', () => {
    const h = new Harness();
    const { object } = ok(h.create(jobInput('a', { labels: { x: 'y' } })));
    const got = h.store.get('Job', 'default', 'a');
    assert.ok(got);
    assert.throws(() => {
      (got.metadata.labels as Record<string, string>).x = 'z';
    }, TypeError);
    assert.throws(() => {
      got.spec.command.push('oops');
    }, TypeError);
    assert.equal(object.metadata.labels.x, 'y');
  });
});

describe('update and generation', () => {
  it('bumps generation only when spec changes', () => {
    const h = new Harness();
    ok(h.create(jobInput('a')));
    const labelsOnly = ok(h.update(jobInput('a', { labels: { x: 'y' } })));
    assert.equal(labelsOnly.outcome, 'configured');
    assert.equal(labelsOnly.object.metadata.generation, 1);
    assert.equal(labelsOnly.object.metadata.resourceVersion, '2');
    const specChange = ok(
      h.update(jobInput('a', { labels: { x: 'y' }, spec: jobSpec({ parallelism: 4 }) })),
    );
    assert.equal(specChange.object.metadata.generation, 2);
    const status = ok(h.updateStatus(jobInput('a'), { phase: 'Running', active: 1 }));
    assert.equal(status.object.metadata.generation, 2);
    assert.deepEqual(status.object.status, { active: 1, phase: 'Running' });
    // update keeps status; updateStatus keeps spec
    const again = ok(h.update(jobInput('a', { spec: jobSpec({ parallelism: 5 }) })));
    assert.deepEqual(again.object.status, { active: 1, phase: 'Running' });
    assert.equal(again.object.metadata.generation, 3);
    assert.equal((again.object.spec as { parallelism: number }).parallelism, 5);
  });

  it('makes no write (no new revision, no event) when nothing changes', () => {
    const h = new Harness();
    ok(h.create(jobInput('a', { labels: { x: 'y' } })));
    // Same content, different key order: still unchanged.
    const spec = Object.fromEntries(Object.entries(jobSpec()).reverse());
    const same = ok(h.update(jobInput('a', { labels: { x: 'y' }, spec })));
    assert.equal(same.outcome, 'unchanged');
    assert.equal(same.object.metadata.resourceVersion, '1');
    const sameStatus = ok(h.updateStatus(jobInput('a'), {}));
    assert.equal(sameStatus.outcome, 'unchanged');
  });

  it('refuses a stale resourceVersion with Conflict and accepts the current one', () => {
    const h = new Harness();
    ok(h.create(jobInput('a')));
    ok(h.update(jobInput('a', { labels: { v: '2' } })));
    const stale = err(h.update(jobInput('a', { labels: { v: '3' }, resourceVersion: '1' })));
    assert.deepEqual(stale, {
      ok: false,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on jobs "a": the object has been modified; please apply your changes to the latest version and try again',
    });
    assert.equal(
      err(h.updateStatus(jobInput('a', { resourceVersion: '1' }), { phase: 'Running' })).reason,
      'Conflict',
    );
    ok(h.update(jobInput('a', { labels: { v: '3' }, resourceVersion: '2' })));
  });

  it('refuses a uid precondition that names another incarnation', () => {
    const h = new Harness();
    ok(h.create(jobInput('a')));
    const obj = jobInput('a');
    const r = err(h.update({ ...obj, metadata: { ...obj.metadata, uid: 'uid-old' } }));
    assert.equal(r.reason, 'Conflict');
    assert.equal(
      r.message,
      'Precondition failed: UID in precondition: uid-old, UID in object meta: uid-1',
    );
  });

  it('refuses changes to immutable Job fields on update', () => {
    const h = new Harness();
    ok(h.create(jobInput('a')));
    const r = err(h.update(jobInput('a', { spec: jobSpec({ image: 'alpine' }) })));
    assert.equal(r.message, 'Job "a" is invalid: spec.image: field is immutable');
  });

  it('gives NotFound for a missing object', () => {
    const h = new Harness();
    assert.deepEqual(err(h.update(jobInput('x'))), {
      ok: false,
      reason: 'NotFound',
      message: 'jobs "x" not found',
    });
    assert.equal(err(h.updateStatus(input('Node', 'n1'), {})).message, 'nodes "n1" not found');
  });
});

describe('apply', () => {
  it('says created, then unchanged, then configured', () => {
    const h = new Harness();
    const first = ok(h.apply(jobInput('hello', { labels: { team: 'data' } })));
    assert.equal(first.outcome, 'created');
    const second = ok(h.apply(jobInput('hello', { labels: { team: 'data' } })));
    assert.equal(second.outcome, 'unchanged');
    assert.equal(second.object.metadata.resourceVersion, '1');
    const third = ok(
      h.apply(jobInput('hello', { labels: { team: 'data' }, spec: jobSpec({ parallelism: 3 }) })),
    );
    assert.equal(third.outcome, 'configured');
    assert.equal(third.object.metadata.generation, 2);
    assert.equal(third.object.metadata.uid, first.object.metadata.uid);
    const labels = ok(h.apply(jobInput('hello', { spec: jobSpec({ parallelism: 3 }) })));
    assert.equal(labels.outcome, 'configured');
    assert.equal(labels.object.metadata.generation, 2);
    assert.deepEqual(labels.object.metadata.labels, {});
  });

  it('leaves status alone', () => {
    const h = new Harness();
    ok(h.apply(jobInput('a')));
    ok(h.updateStatus(jobInput('a'), { phase: 'Running' }));
    const r = ok(
      h.apply(jobInput('a', { spec: jobSpec({ suspend: true }), status: { phase: 'X' } })),
    );
    assert.equal(r.outcome, 'configured');
    assert.deepEqual(r.object.status, { phase: 'Running' });
  });

  for (const [field, value] of [
    ['image', 'alpine:3'],
    ['command', ['true']],
    ['env', [{ name: 'A', value: 'b' }]],
    ['workingDir', '/tmp'],
    ['resources', { cpu: '1', memory: '256Mi' }],
    ['sandbox', { network: 'bridge', readOnlyRootFilesystem: true, user: '65534:65534' }],
  ] as const) {
    it(`refuses a change of spec.${field} unless forced`, () => {
      const h = new Harness();
      const created = ok(h.apply(jobInput('a')));
      const changed = jobInput('a', { spec: { ...jobSpec(), [field]: value } });
      assert.deepEqual(err(h.apply(changed)), {
        ok: false,
        reason: 'Invalid',
        message: `Job "a" is invalid: spec.${field}: field is immutable (use --force to recreate)`,
      });
      const forced = ok(h.apply(changed, true));
      assert.equal(forced.outcome, 'configured');
      assert.notEqual(forced.object.metadata.uid, created.object.metadata.uid);
      assert.equal(forced.object.metadata.generation, 1);
      assert.deepEqual((forced.object.spec as Record<string, unknown>)[field], value);
    });
  }

  it('lists every immutable field changed at once', () => {
    const h = new Harness();
    ok(h.apply(jobInput('a')));
    const r = err(h.apply(jobInput('a', { spec: jobSpec({ image: 'x', command: ['y'] }) })));
    assert.equal(
      r.message,
      'Job "a" is invalid: [spec.image: field is immutable, spec.command: field is immutable] (use --force to recreate)',
    );
  });

  it('allows changing mutable Job fields (parallelism, suspend, deadlines) without force', () => {
    const h = new Harness();
    ok(h.apply(jobInput('a')));
    const r = ok(
      h.apply(
        jobInput('a', {
          spec: jobSpec({
            parallelism: 2,
            suspend: true,
            activeDeadlineSeconds: 60,
            ttlSecondsAfterFinished: 5,
          }),
        }),
      ),
    );
    assert.equal(r.outcome, 'configured');
  });

  it('with force, recreates and cascades to dependents of the old incarnation', () => {
    const h = new Harness();
    const job = ok(h.apply(jobInput('a'))).object;
    ok(h.create(input('Run', 'a-1', { status: FINISHED, ownerReferences: [ownerRef(job)] })));
    ok(h.apply(jobInput('a', { spec: jobSpec({ image: 'alpine' }) }), true));
    assert.equal(h.store.get('Run', 'default', 'a-1'), undefined);
  });

  it('honours a resourceVersion precondition when given', () => {
    const h = new Harness();
    ok(h.apply(jobInput('a')));
    ok(h.apply(jobInput('a', { labels: { x: '1' } })));
    assert.equal(
      err(h.apply(jobInput('a', { labels: { x: '2' }, resourceVersion: '1' }))).reason,
      'Conflict',
    );
  });
});

describe('batch', () => {
  it('applies items in order in one entry, each with its own result and revision', () => {
    const h = new Harness();
    ok(h.create(input('Run', 'r1', { spec: { nodeName: 'n1' } })));
    ok(h.create(input('Run', 'r2', { spec: { nodeName: 'n1' } })));
    const result = h.run({
      op: 'batch',
      commands: [
        { op: 'updateStatus', object: { ...input('Run', 'r1'), status: { phase: 'Running' } } },
        { op: 'updateStatus', object: { ...input('Run', 'gone'), status: { phase: 'Running' } } },
        { op: 'updateStatus', object: { ...input('Run', 'r2'), status: { phase: 'Succeeded' } } },
        { op: 'updateStatus', object: { ...input('Run', 'r1'), status: { phase: 'Succeeded' } } },
      ],
    }) as BatchResult;
    assert.equal(result.ok, true);
    assert.equal(result.outcome, 'batch');
    assert.deepEqual(
      result.results.map((r) => (r.ok ? r.outcome : r.reason)),
      ['configured', 'NotFound', 'configured', 'configured'],
    );
    assert.equal(h.store.get('Run', 'default', 'r1')?.status.phase, 'Succeeded');
    assert.deepEqual(
      result.results.map((r) => (r.ok ? r.object.metadata.resourceVersion : '-')),
      ['3', '-', '4', '5'],
    );
    assert.equal(h.store.get('Run', 'default', 'r1')?.metadata.resourceVersion, '5');
    assert.equal(h.store.get('Run', 'default', 'r2')?.metadata.resourceVersion, '4');
    assert.equal(h.store.revision, 5);
    assert.equal(h.store.appliedIndex, 3);
  });

  it('with atomic, undoes every earlier item when one fails', () => {
    const h = new Harness();
    const job = ok(h.create(jobInput('j'))).object;
    ok(
      h.create(
        input('Run', 'j-0', {
          status: FINISHED,
          ownerReferences: [
            { apiVersion: 'jobctl.dev/v1', kind: 'Job', name: 'j', uid: job.metadata.uid },
          ],
        }),
      ),
    );
    ok(h.create(jobInput('k')));
    const before = new TextDecoder().decode(h.store.snapshot());
    const events: unknown[] = [];
    h.store.watch('Job', { resourceVersion: '3' }, (e) => events.push(e));
    h.store.watch('Run', { resourceVersion: '3' }, (e) => events.push(e));
    const result = h.run({
      op: 'batch',
      atomic: true,
      commands: [
        { op: 'create', now: 't', uid: 'u-new', object: jobInput('new') },
        { op: 'updateStatus', object: { ...jobInput('k'), status: { phase: 'Running' } } },
        { op: 'update', object: jobInput('k', { labels: { a: 'b' } }) },
        { op: 'delete', now: 't', kind: 'Job', namespace: 'default', name: 'j' },
        {
          op: 'apply',
          now: 't',
          uid: 'u-k2',
          force: true,
          object: jobInput('k', { spec: jobSpec({ image: 'x' }) }),
        },
        { op: 'update', object: jobInput('missing') },
      ],
    });
    assert.deepEqual(result, {
      ok: false,
      reason: 'NotFound',
      message: 'batch item 6: jobs "missing" not found',
    });
    // The revisions the undone items took are handed out again.
    assert.equal(new TextDecoder().decode(h.store.snapshot()), before);
    assert.equal(h.store.revision, 3);
    assert.deepEqual(events, []);
    // Indexes were restored too: the cascade from j still reaches its Run.
    ok(h.delete('Job', 'default', 'j'));
    assert.equal(h.store.counts().Run, 0);
    // And a successful atomic batch applies everything.
    const good = h.run({
      op: 'batch',
      atomic: true,
      commands: [{ op: 'update', object: jobInput('k', { labels: { a: 'b' } }) }],
    }) as BatchResult;
    assert.deepEqual(
      good.results.map((r) => r.ok),
      [true],
    );
  });

  it('refuses nested batches per item', () => {
    const h = new Harness();
    const result = h.run({
      op: 'batch',
      commands: [
        { op: 'batch', commands: [] } as never,
        { op: 'create', now: 't', uid: 'u', object: jobInput('a') },
      ],
    }) as BatchResult;
    assert.deepEqual(
      result.results.map((r) => r.ok),
      [false, true],
    );
  });
});

function ownerRef(o: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; uid: string };
}) {
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    name: o.metadata.name,
    uid: o.metadata.uid,
    controller: true,
  };
}

describe('dry run', () => {
  it('predicts apply outcomes and objects without writing anything', () => {
    const h = new Harness();
    const before = () => new TextDecoder().decode(h.store.snapshot());
    const now = '2025-02-01T00:00:00.000Z';
    const create = h.store.dryRun({ op: 'apply', now, uid: 'u-new', object: jobInput('a') });
    assert.equal(ok(create).outcome, 'created');
    assert.equal(ok(create).object.metadata.uid, 'u-new');
    assert.equal(h.store.get('Job', 'default', 'a'), undefined);

    ok(h.apply(jobInput('a')));
    const snap = before();
    const events: unknown[] = [];
    h.store.watch('Job', { resourceVersion: '1' }, (e) => events.push(e));
    const same = ok(h.store.dryRun({ op: 'apply', now, uid: 'u2', object: jobInput('a') }));
    assert.equal(same.outcome, 'unchanged');
    const changed = ok(
      h.store.dryRun({
        op: 'apply',
        now,
        uid: 'u2',
        object: jobInput('a', { spec: jobSpec({ parallelism: 9 }) }),
      }),
    );
    assert.equal(changed.outcome, 'configured');
    assert.equal(changed.object.metadata.generation, 2);
    const refused = h.store.dryRun({
      op: 'apply',
      now,
      uid: 'u2',
      object: jobInput('a', { spec: jobSpec({ image: 'x' }) }),
    });
    assert.equal(err(refused).reason, 'Invalid');
    const forced = ok(
      h.store.dryRun({
        op: 'apply',
        now,
        uid: 'u2',
        force: true,
        object: jobInput('a', { spec: jobSpec({ image: 'x' }) }),
      }),
    );
    assert.equal(forced.outcome, 'configured');
    assert.equal(forced.object.metadata.uid, 'u2');
    const del = ok(
      h.store.dryRun({ op: 'delete', now, kind: 'Job', namespace: 'default', name: 'a' }),
    );
    assert.equal(del.outcome, 'deleted');
    assert.equal(before(), snap);
    assert.deepEqual(events, []);
    assert.equal(h.store.revision, 1);
  });
});
