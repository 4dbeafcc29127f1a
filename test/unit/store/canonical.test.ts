// jsonEqual: the equality the store's "unchanged" and the controllers'
// steady state rest on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalize, jsonEqual } from '../../../pkg/store/canonical.js';

describe('jsonEqual', () => {
  it('ignores key order at every level and compares arrays in order', () => {
    assert.equal(
      jsonEqual({ a: 1, b: { c: [1, 'x'], d: null } }, { b: { d: null, c: [1, 'x'] }, a: 1 }),
      true,
    );
    assert.equal(jsonEqual({ c: [1, 2] }, { c: [2, 1] }), false);
    assert.equal(jsonEqual([1, [2, 3]], [1, [2, 3]]), true);
    assert.equal(jsonEqual([1], [1, 2]), false);
  });

  it('treats undefined members as absent, on either side', () => {
    assert.equal(jsonEqual({ a: 1, b: undefined }, { a: 1 }), true);
    assert.equal(jsonEqual({ a: 1 }, { a: 1, b: undefined }), true);
    assert.equal(jsonEqual({ a: undefined }, {}), true);
  });

  it('tells apart a missing member, an extra member and a changed one', () => {
    assert.equal(jsonEqual({ a: 1, b: 2 }, { a: 1 }), false);
    assert.equal(jsonEqual({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(jsonEqual({ a: 1, b: 2 }, { a: 1, c: 2 }), false);
    assert.equal(jsonEqual({ a: { b: 1 } }, { a: { b: '1' } }), false);
  });

  it('never takes an array for an object, null for an object, or a prototype member for a member', () => {
    assert.equal(jsonEqual([], {}), false);
    assert.equal(jsonEqual({ 0: 'a' }, ['a']), false);
    assert.equal(jsonEqual(null, {}), false);
    assert.equal(jsonEqual({ a: null }, { a: {} }), false);
    assert.equal(jsonEqual({ toString: 'x' }, {}), false);
    assert.equal(jsonEqual(JSON.parse('{"__proto__":{}}'), {}), false);
    assert.equal(jsonEqual(JSON.parse('{"__proto__":{}}'), JSON.parse('{"__proto__":{}}')), true);
  });

  it('finds a canonical copy equal to what it was made from', () => {
    const spec = {
      image: 'busybox',
      command: ['sh', '-c', 'true'],
      env: [{ value: 'x', name: 'A' }],
    };
    assert.equal(jsonEqual(canonicalize(spec), spec), true);
    assert.equal(jsonEqual(canonicalize(spec), { ...spec, image: 'alpine' }), false);
  });
});
