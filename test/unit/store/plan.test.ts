// The scheduler's plan command: every bind re-checked against the state it
// meets (node exists, ready, not cordoned, selector, cpu/memory/runs counting
// the non-final Runs bound there and the plan's own earlier binds; the Run
// still Pending, unbound, not cancelled), each answered on its own, and the
// node usage the re-check reads kept exact through undo, deletes and restore;
// and a Queue's limits (maxRunning, maxRunningPerNamespace) counted the same way.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ResourceStore,
  type BatchResult,
  type CommandResult,
  type PlanBind,
  type Resource,
  type Run,
} from '../../../pkg/store/index.js';
import { Harness, input, ok } from './fixtures.js';

function node(
  name: string,
  o: {
    cpu?: string;
    runs?: number;
    ready?: boolean;
    unschedulable?: boolean;
    labels?: Record<string, string>;
  } = {},
) {
  const alloc = { cpu: o.cpu ?? '1', memory: '1Gi', ...(o.runs ? { runs: o.runs } : {}) };
  return {
    ...input('Node', name, {
      labels: o.labels,
      spec: o.unschedulable ? { unschedulable: true } : {},
      status: {
        conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
        allocatable: alloc,
        capacity: alloc,
      },
    }),
    metadata: { name, labels: o.labels },
  };
}

function run(
  name: string,
  o: {
    cpu?: string;
    selector?: Record<string, string>;
    cancelled?: boolean;
    queue?: string;
    namespace?: string;
  } = {},
) {
  return input('Run', name, {
    namespace: o.namespace,
    spec: {
      ...(o.queue ? { queue: o.queue } : {}),
      jobName: name,
      jobUid: 'j',
      attempt: 0,
      nodeName: '',
      ...(o.cancelled ? { cancelled: true, cancelReason: 'Suspended' } : {}),
      ...(o.selector ? { nodeSelector: o.selector } : {}),
      container: { image: 'busybox', resources: { cpu: o.cpu ?? '500m', memory: '64Mi' } },
    },
    status: { phase: 'Pending', message: '0/1 nodes available: 1 insufficient cpu' },
  });
}

function bind(h: Harness, name: string, nodeName: string): PlanBind {
  const r = h.store.get('Run', 'default', name);
  assert.ok(r, name);
  return { namespace: 'default', name, uid: r.metadata.uid, node: nodeName };
}

function answers(result: CommandResult): string[] {
  assert.ok(result.ok && result.outcome === 'batch', 'a plan answers like a batch');
  return (result as BatchResult).results.map((r) =>
    r.ok ? `ok ${(r.object as Run).spec.nodeName}` : `${r.reason}: ${r.message}`,
  );
}

describe('plan command', () => {
  it("binds and marks Scheduled in one change per Run, counting the plan's own binds", () => {
    const h = new Harness();
    ok(h.create(node('n1')));
    for (const r of ['a', 'b', 'c']) ok(h.create(run(r)));
    const before = h.store.revision;
    const result = h.run({ op: 'plan', binds: ['a', 'b', 'c'].map((r) => bind(h, r, 'n1')) });
    assert.deepEqual(answers(result), [
      'ok n1',
      'ok n1',
      'Conflict: bind of runs "c" to node "n1" refused: no longer fits: insufficient cpu',
    ]);
    assert.equal(h.store.revision, before + 2, 'one revision per bind applied');
    const a = h.store.get('Run', 'default', 'a') as Run;
    assert.equal(a.spec.nodeName, 'n1');
    assert.equal(a.status.phase, 'Scheduled');
    assert.equal(a.status.message, undefined, 'the unschedulable message is cleared');
    const c = h.store.get('Run', 'default', 'c') as Run;
    assert.equal(c.spec.nodeName, '');
    assert.equal(c.status.phase, 'Pending');
  });

  it('counts non-final Runs already bound, and frees what finished', () => {
    const h = new Harness();
    ok(h.create(node('n1', { runs: 2 })));
    for (const r of ['a', 'b', 'c']) ok(h.create(run(r, { cpu: '100m' })));
    assert.deepEqual(
      answers(h.run({ op: 'plan', binds: [bind(h, 'a', 'n1'), bind(h, 'b', 'n1')] })),
      ['ok n1', 'ok n1'],
    );
    assert.deepEqual(answers(h.run({ op: 'plan', binds: [bind(h, 'c', 'n1')] })), [
      'Conflict: bind of runs "c" to node "n1" refused: no longer fits: too many runs',
    ]);
    const a = h.store.get('Run', 'default', 'a') as Run;
    ok(h.updateStatus(a, { phase: 'Succeeded' }));
    assert.deepEqual(answers(h.run({ op: 'plan', binds: [bind(h, 'c', 'n1')] })), ['ok n1']);
    // A deleted bound Run frees its room too.
    ok(h.delete('Run', 'default', 'b'));
    ok(h.create(run('d', { cpu: '100m' })));
    assert.deepEqual(answers(h.run({ op: 'plan', binds: [bind(h, 'd', 'n1')] })), ['ok n1']);
  });

  it('refuses what no longer fits the node or the Run, and applies the rest', () => {
    const h = new Harness();
    ok(h.create(node('ok')));
    ok(h.create(node('down', { ready: false })));
    ok(h.create(node('cordoned', { unschedulable: true })));
    ok(h.create(node('hdd', { labels: { disk: 'hdd' } })));
    ok(h.create(run('a')));
    ok(h.create(run('b')));
    ok(h.create(run('c')));
    ok(h.create(run('d', { selector: { disk: 'ssd' } })));
    ok(h.create(run('e', { cancelled: true })));
    ok(h.create(run('f')));
    ok(h.create(run('g')));
    const stale = { ...bind(h, 'g', 'ok'), uid: 'not-g' };
    const result = h.run({
      op: 'plan',
      binds: [
        bind(h, 'a', 'down'),
        bind(h, 'b', 'cordoned'),
        bind(h, 'c', 'gone'),
        bind(h, 'd', 'hdd'),
        bind(h, 'e', 'ok'),
        bind(h, 'f', 'ok'),
        stale,
        { namespace: 'default', name: 'nope', uid: 'x', node: 'ok' },
      ],
    });
    assert.deepEqual(answers(result), [
      'Conflict: bind of runs "a" to node "down" refused: no longer fits: node(s) were not ready',
      'Conflict: bind of runs "b" to node "cordoned" refused: no longer fits: node(s) were unschedulable',
      'Conflict: bind of runs "c" to node "gone" refused: no such node',
      'Conflict: bind of runs "d" to node "hdd" refused: no longer fits: node(s) didn\'t match nodeSelector',
      'Conflict: bind of runs "e" to node "ok" refused: cancelled',
      'ok ok',
      'Conflict: Precondition failed: UID in precondition: not-g, UID in object meta: ' +
        (h.store.get('Run', 'default', 'g') as Resource).metadata.uid,
      'NotFound: runs "nope" not found',
    ]);
    // Already bound: a second plan for the same Run (a pipelined pass that lagged) is refused.
    assert.deepEqual(answers(h.run({ op: 'plan', binds: [bind(h, 'f', 'ok')] })), [
      'Conflict: bind of runs "f" to node "ok" refused: already bound to node "ok"',
    ]);
  });

  it('refuses malformed plans and binds as Invalid, and a plan inside a batch', () => {
    const h = new Harness();
    const bad = h.run({ op: 'plan', binds: 'x' as unknown as PlanBind[] });
    assert.equal(bad.ok, false);
    assert.deepEqual(answers(h.run({ op: 'plan', binds: [{ name: 'a' } as PlanBind] })), [
      'Invalid: a bind needs namespace, name, uid and node (strings)',
    ]);
    const nested = h.run({ op: 'batch', commands: [{ op: 'plan', binds: [] } as never] });
    assert.ok(nested.ok && nested.outcome === 'batch');
    assert.equal((nested as BatchResult).results[0]?.ok, false);
  });

  it('re-checks the same way after a restore and after an atomic batch was undone', () => {
    const h = new Harness();
    ok(h.create(node('n1')));
    for (const r of ['a', 'b', 'c']) ok(h.create(run(r)));
    answers(h.run({ op: 'plan', binds: [bind(h, 'a', 'n1')] }));
    // An atomic batch that binds b by hand, then fails: undone, b's room is free again.
    const b = h.store.get('Run', 'default', 'b') as Run;
    const failed = h.run({
      op: 'batch',
      atomic: true,
      commands: [
        { op: 'update', object: { ...b, spec: { ...b.spec, nodeName: 'n1' } } },
        { op: 'update', object: input('Run', 'missing') },
      ],
    });
    assert.equal(failed.ok, false);
    const copy = new ResourceStore();
    copy.restore(h.index, h.store.snapshot());
    const plan = { op: 'plan' as const, binds: [bind(h, 'b', 'n1'), bind(h, 'c', 'n1')] };
    const mine = answers(h.run(plan));
    const theirs = answers(copy.applyCommand(h.index, plan));
    assert.deepEqual(mine, [
      'ok n1',
      'Conflict: bind of runs "c" to node "n1" refused: no longer fits: insufficient cpu',
    ]);
    assert.deepEqual(theirs, mine, 'a restored replica decides the same');
    assert.equal(copy.revision, h.store.revision);
  });

  it("refuses a bind that would take a Queue past its limits, counting bound Runs and the plan's own", () => {
    const h = new Harness();
    ok(h.create(node('n1', { cpu: '8' })));
    ok(
      h.create(
        input('Queue', 'batch', {
          spec: { maxRunning: 2, maxRunningPerNamespace: 1, priority: 0 },
        }),
      ),
    );
    ok(h.create(run('a', { queue: 'batch' })));
    ok(h.create(run('b', { queue: 'batch' })));
    ok(h.create(run('c', { queue: 'batch', namespace: 'team' })));
    ok(h.create(run('d', { queue: 'batch', namespace: 'other' })));
    ok(h.create(run('e', { queue: 'gone' })));
    const bindIn = (ns: string, name: string): PlanBind => {
      const r = h.store.get('Run', ns, name);
      assert.ok(r, name);
      return { namespace: ns, name, uid: r.metadata.uid, node: 'n1' };
    };
    assert.deepEqual(
      answers(
        h.run({
          op: 'plan',
          binds: [
            bindIn('default', 'a'),
            bindIn('default', 'b'),
            bindIn('team', 'c'),
            bindIn('other', 'd'),
            bindIn('default', 'e'),
          ],
        }),
      ),
      [
        'ok n1',
        'Conflict: bind of runs "b" to node "n1" refused: queue batch allows 1 running per namespace (1 running in default)',
        'ok n1',
        'Conflict: bind of runs "d" to node "n1" refused: queue batch is full (2/2 running)',
        'Conflict: bind of runs "e" to node "n1" refused: queue "gone" not found',
      ],
    );
    // a finishes: its slot is free again, also on a restored replica.
    const a = h.store.get('Run', 'default', 'a') as Run;
    ok(h.run({ op: 'updateStatus', object: { ...a, status: { phase: 'Succeeded' } } }));
    const copy = new ResourceStore();
    copy.restore(h.index, h.store.snapshot());
    const plan = { op: 'plan' as const, binds: [bindIn('other', 'd')] };
    assert.deepEqual(answers(h.run(plan)), ['ok n1']);
    assert.deepEqual(
      answers(copy.applyCommand(h.index, plan)),
      ['ok n1'],
      'a restored replica too',
    );
  });
});
