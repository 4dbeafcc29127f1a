import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KvStateMachine, encodeKvCommand } from '../../../pkg/node/kv.js';

describe('KvStateMachine', () => {
  it('applies puts and deletes deterministically with revisions', () => {
    const a = new KvStateMachine();
    const b = new KvStateMachine();
    const cmds = [
      encodeKvCommand({ op: 'put', key: 'x', value: '1' }),
      encodeKvCommand({ op: 'put', key: 'x', value: '2' }),
      encodeKvCommand({ op: 'delete', key: 'y' }),
      encodeKvCommand({ op: 'put', key: 'y', value: '3' }),
    ];
    const ra = cmds.map((c, i) => a.apply(i + 1, c));
    const rb = cmds.map((c, i) => b.apply(i + 1, c));
    assert.deepEqual(ra, rb);
    assert.deepEqual(ra[0], { op: 'put', revision: 1, created: true });
    assert.deepEqual(ra[1], { op: 'put', revision: 2, created: false });
    assert.deepEqual(ra[2], { op: 'delete', revision: 3, found: false });
    assert.deepEqual(a.get('x'), { value: '2', revision: 2 });
    assert.deepEqual(a.snapshot(), b.snapshot());
  });

  it('returns a result, not a throw, for a garbled command', () => {
    const kv = new KvStateMachine();
    assert.equal(kv.apply(1, new Uint8Array([0xff, 0x00])).op, 'invalid');
  });

  it('restores from a snapshot', () => {
    const a = new KvStateMachine();
    a.apply(1, encodeKvCommand({ op: 'put', key: 'k', value: 'v' }));
    const b = new KvStateMachine();
    b.apply(1, encodeKvCommand({ op: 'put', key: 'other', value: 'z' }));
    b.restore(1, a.snapshot());
    assert.deepEqual(b.get('k'), { value: 'v', revision: 1 });
    assert.equal(b.get('other'), undefined);
    assert.throws(() => b.mustGet('nope'), /not found/);
  });
});
