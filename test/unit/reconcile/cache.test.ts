// The informer cache: lookups by key and by namespace/name, listing, and
// secondary indexes whose values hold one object or several.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cache } from '../../../pkg/reconcile/index.js';
import type { ObjectLike } from '../../../pkg/reconcile/index.js';

interface Obj extends ObjectLike {
  spec: { owner?: string; node?: string };
}

function obj(namespace: string, name: string, spec: Obj['spec'] = {}, rv = '1'): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Thing',
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      resourceVersion: rv,
      generation: 1,
      creationTimestamp: '2026-01-01T00:00:00.000Z',
      labels: {},
      annotations: {},
      ownerReferences: [],
    },
    spec,
  };
}

const names = (objs: readonly Obj[]): string[] =>
  objs.map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort();

describe('Cache', () => {
  it('finds objects by key and by namespace and name, cluster-scoped ones too', () => {
    const c = new Cache<Obj>();
    assert.equal(c.upsert(obj('a', 'x')), undefined);
    c.upsert(obj('b', 'x'));
    c.upsert(obj('', 'node-1'));
    assert.equal(c.size, 3);
    assert.equal(c.getByKey('a/x')?.metadata.namespace, 'a');
    assert.equal(c.get('b', 'x')?.metadata.namespace, 'b');
    assert.equal(c.getByKey('node-1')?.metadata.name, 'node-1');
    assert.equal(c.get('', 'node-1')?.metadata.name, 'node-1');
    assert.equal(c.getByKey('a/node-1'), undefined);
    assert.equal(c.getByKey('c/x'), undefined);
    assert.deepEqual(c.keys().sort(), ['a/x', 'b/x', 'node-1']);
    assert.deepEqual(names(c.list()), ['/node-1', 'a/x', 'b/x']);
  });

  it('replaces an object in place and returns the one it replaced; remove returns it too', () => {
    const c = new Cache<Obj>();
    const first = obj('a', 'x', {}, '1');
    c.upsert(first);
    assert.equal(c.upsert(obj('a', 'x', {}, '2')), first);
    assert.equal(c.size, 1);
    assert.equal(c.getByKey('a/x')?.metadata.resourceVersion, '2');
    assert.equal(c.remove('a/x')?.metadata.resourceVersion, '2');
    assert.equal(c.remove('a/x'), undefined);
    assert.equal(c.size, 0);
    assert.deepEqual(c.keys(), []);
    assert.ok(Object.isFrozen(first));
  });

  it('indexes an object under each value, alone or with others, and follows changes', () => {
    const c = new Cache<Obj>();
    c.addIndex('owner', (o) => (o.spec.owner ? [o.spec.owner] : []));
    c.upsert(obj('a', 'r1', { owner: 'j1' }));
    assert.deepEqual(names(c.byIndex('owner', 'j1')), ['a/r1']);
    c.upsert(obj('a', 'r2', { owner: 'j1' }));
    c.upsert(obj('b', 'r3', { owner: 'j1' }));
    assert.deepEqual(names(c.byIndex('owner', 'j1')), ['a/r1', 'a/r2', 'b/r3']);
    // Moved to another value, then removed: the first value is left with one, then none.
    c.upsert(obj('a', 'r2', { owner: 'j2' }, '2'));
    assert.deepEqual(names(c.byIndex('owner', 'j2')), ['a/r2']);
    c.remove('b/r3');
    assert.deepEqual(names(c.byIndex('owner', 'j1')), ['a/r1']);
    // The one left is the current version, and an update of it stays filed once.
    c.upsert(obj('a', 'r1', { owner: 'j1' }, '3'));
    assert.deepEqual(
      c.byIndex('owner', 'j1').map((o) => o.metadata.resourceVersion),
      ['3'],
    );
    c.remove('a/r1');
    assert.deepEqual(c.byIndex('owner', 'j1'), []);
    // Not filed: no value.
    c.upsert(obj('a', 'r4'));
    assert.deepEqual(c.byIndex('owner', ''), []);
    assert.throws(() => c.byIndex('nope', 'j1'), /no index nope/);
  });

  it('files the objects already cached when an index is added', () => {
    const c = new Cache<Obj>();
    c.upsert(obj('a', 'r1', { node: 'n1' }));
    c.upsert(obj('a', 'r2', { node: 'n1' }));
    c.upsert(obj('', 'r3', { node: 'n2' }));
    c.addIndex('node', (o) => (o.spec.node ? [o.spec.node] : []));
    assert.deepEqual(names(c.byIndex('node', 'n1')), ['a/r1', 'a/r2']);
    assert.deepEqual(names(c.byIndex('node', 'n2')), ['/r3']);
  });
});
