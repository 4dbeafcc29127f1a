// ContainerTable: entries by Run uid, filed under their Run's work-queue key
// (withKey runs on every reconcile, from an index rather than a scan).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ContainerTable } from '../../../pkg/agent/containers.js';

const uids = (ts: readonly { runUid: string }[]): string[] => ts.map((t) => t.runUid).sort();

describe('ContainerTable', () => {
  it('files entries under their Run key, an old uid of the same name included', () => {
    const table = new ContainerTable();
    table.ensure('u1', 'default/a-0');
    table.ensure('u2', 'default/b-0');
    // A Run deleted and recreated under the same name: both uids under one key.
    table.ensure('u3', 'default/a-0');
    assert.deepEqual(uids(table.withKey('default/a-0')), ['u1', 'u3']);
    assert.deepEqual(uids(table.withKey('default/b-0')), ['u2']);
    assert.deepEqual(table.withKey('default/none'), []);
  });

  it('moves an entry to its new key, and forgets it once deleted', () => {
    const table = new ContainerTable();
    // Adopted from the runtime before its Run was seen: no key yet.
    const [adopted] = table.merge(
      [{ containerId: 'c1', runUid: 'u1', labels: {}, state: 'running', oomKilled: false }],
      table.sequence,
    );
    assert.ok(adopted);
    assert.equal(adopted.key, undefined);
    table.setKey(adopted, 'default/a-0');
    assert.deepEqual(uids(table.withKey('default/a-0')), ['u1']);
    table.setKey(adopted, 'other/a-0');
    assert.deepEqual(table.withKey('default/a-0'), []);
    assert.deepEqual(uids(table.withKey('other/a-0')), ['u1']);
    table.delete('u1');
    assert.deepEqual(table.withKey('other/a-0'), []);
    assert.equal(table.get('u1'), undefined);
  });
});
