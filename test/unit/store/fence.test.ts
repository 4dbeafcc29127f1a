// The fencing rule of node status reports (pkg/store/fence.ts): a fenced
// updateStatus is accepted only while the Run is bound to the reporting node,
// has the reported uid and is not final; refusals are Conflict on every replica.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BatchResult, type ResourceInput, type Run } from '../../../pkg/store/index.js';
import { err, Harness, input, ok } from './fixtures.js';

function runInput(name: string, nodeName: string, status: Record<string, unknown> = {}) {
  return input('Run', name, {
    spec: { jobName: 'j', jobUid: 'ju', attempt: 0, nodeName, container: {} },
    status,
  });
}

function created(h: Harness, object: ResourceInput): Run {
  return ok(h.create(object)).object as unknown as Run;
}

/** An agent's report: uid precondition plus the fence. */
function report(h: Harness, run: Run, nodeName: string, status: Record<string, unknown>) {
  const object: ResourceInput & { status: unknown } = {
    apiVersion: run.apiVersion,
    kind: 'Run',
    metadata: { name: run.metadata.name, namespace: run.metadata.namespace, uid: run.metadata.uid },
    status,
  };
  return h.run({ op: 'updateStatus', object, fence: { nodeName } });
}

describe('fenced status reports', () => {
  it('accepts a report from the bound node while the Run is not final', () => {
    const h = new Harness();
    const run = created(h, runInput('r', 'n1', { phase: 'Scheduled' }));
    const res = ok(report(h, run, 'n1', { phase: 'Running', containerID: 'c1' }));
    assert.deepEqual(res.object.status, { containerID: 'c1', phase: 'Running' });
    const done = ok(report(h, run, 'n1', { phase: 'Succeeded', exitCode: 0 }));
    assert.equal((done.object.status as { phase: string }).phase, 'Succeeded');
  });

  it('refuses a report from another node, naming both', () => {
    const h = new Harness();
    const run = created(h, runInput('r', 'n1', { phase: 'Scheduled' }));
    const e = err(report(h, run, 'n2', { phase: 'Running' }));
    assert.equal(e.reason, 'Conflict');
    assert.equal(e.message, 'status report from node "n2" refused: runs "r" is bound to node "n1"');
    assert.equal(h.store.get('Run', 'default', 'r')?.status.phase, 'Scheduled');
  });

  it('refuses a report on an unbound Run', () => {
    const h = new Harness();
    const run = created(h, runInput('r', ''));
    const e = err(report(h, run, 'n1', { phase: 'Running' }));
    assert.equal(e.reason, 'Conflict');
    assert.match(e.message, /is bound to no node/);
  });

  for (const phase of ['Lost', 'Cancelled', 'Succeeded', 'Failed']) {
    it(`refuses a report once the Run is ${phase}`, () => {
      const h = new Harness();
      const run = created(h, runInput('r', 'n1', { phase }));
      const e = err(report(h, run, 'n1', { phase: 'Succeeded', exitCode: 0 }));
      assert.equal(e.reason, 'Conflict');
      assert.equal(e.message, `status report from node "n1" refused: runs "r" is already ${phase}`);
      assert.equal(h.store.get('Run', 'default', 'r')?.status.phase, phase);
    });
  }

  it('refuses a report for another uid (a Run recreated under the same name)', () => {
    const h = new Harness();
    const old = created(h, runInput('r', 'n1'));
    ok(h.delete('Run', 'default', 'r'));
    ok(h.create(runInput('r', 'n1')));
    const e = err(report(h, old, 'n1', { phase: 'Running' }));
    assert.equal(e.reason, 'Conflict');
    assert.match(e.message, /UID in precondition/);
  });

  it('rejects a malformed fence as Invalid', () => {
    const h = new Harness();
    const run = created(h, runInput('r', 'n1'));
    const e = err(
      h.run({
        op: 'updateStatus',
        object: { ...runInput('r', 'n1'), metadata: { name: run.metadata.name }, status: {} },
        fence: { nodeName: '' },
      }),
    );
    assert.equal(e.reason, 'Invalid');
  });

  it('leaves unfenced status writes (controllers) unchanged', () => {
    const h = new Harness();
    ok(h.create(runInput('r', 'n1', { phase: 'Lost' })));
    const res = ok(h.updateStatus(runInput('r', 'n1'), { phase: 'Failed' }));
    assert.equal((res.object.status as { phase: string }).phase, 'Failed');
  });

  it('refuses items independently inside a non-atomic batch (one Raft entry)', () => {
    const h = new Harness();
    const a = created(h, runInput('a', 'n1'));
    const b = created(h, runInput('b', 'n1', { phase: 'Lost' }));
    const item = (run: Run) => ({
      op: 'updateStatus' as const,
      object: {
        apiVersion: run.apiVersion,
        kind: 'Run',
        metadata: { name: run.metadata.name, uid: run.metadata.uid },
        status: { phase: 'Succeeded' },
      },
      fence: { nodeName: 'n1' },
    });
    const res = h.run({ op: 'batch', commands: [item(a), item(b)] }) as BatchResult;
    assert.equal(res.ok, true);
    assert.equal(res.results[0]?.ok, true);
    assert.equal(res.results[1]?.ok, false);
    assert.equal(h.store.get('Run', 'default', 'a')?.status.phase, 'Succeeded');
    assert.equal(h.store.get('Run', 'default', 'b')?.status.phase, 'Lost');
  });
});
