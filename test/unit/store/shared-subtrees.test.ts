import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResourceStore, type Resource } from '../../../pkg/store/index.js';
import { Harness, jobInput, jobSpec, ok } from './fixtures.js';

type Spec = { resources: object; sandbox: object; command: string[] };
const spec = (o: Resource) => o.spec as unknown as Spec;

describe('small subtrees of stored objects', () => {
  it('are one object across Jobs written apart with equal parts', () => {
    const h = new Harness();
    const a = ok(h.create(jobInput('a', { labels: { app: 'x' } }))).object;
    const b = ok(h.create(jobInput('b', { labels: { app: 'x' } }))).object;
    assert.equal(spec(a).resources, spec(b).resources);
    assert.equal(spec(a).sandbox, spec(b).sandbox);
    assert.equal(spec(a).command, spec(b).command);
    assert.equal(a.metadata.labels, b.metadata.labels);
    // equal values, not only the same object
    assert.deepEqual(spec(a).resources, jobSpec().resources);
    const c = ok(
      h.create(jobInput('c', { spec: jobSpec({ resources: { cpu: '1', memory: '1Gi' } }) })),
    ).object;
    assert.notEqual(spec(c).resources, spec(a).resources);
    assert.deepEqual(spec(c).resources, { cpu: '1', memory: '1Gi' });
    assert.equal(spec(c).sandbox, spec(a).sandbox);
  });

  it('are shared again by a store restored from a snapshot', () => {
    const h = new Harness();
    ok(h.create(jobInput('a')));
    ok(h.create(jobInput('b')));
    const restored = new ResourceStore();
    restored.restore(h.index, h.store.snapshot());
    const a = restored.get('Job', 'default', 'a') as Resource;
    const b = restored.get('Job', 'default', 'b') as Resource;
    assert.equal(spec(a).resources, spec(b).resources);
    assert.equal(spec(a).command, spec(b).command);
    assert.ok(Object.isFrozen(spec(a).resources));
    assert.equal(
      new TextDecoder().decode(restored.snapshot()),
      new TextDecoder().decode(h.store.snapshot()),
    );
  });
});
