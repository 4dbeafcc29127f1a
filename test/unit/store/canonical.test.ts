// jsonEqual: the equality the store's "unchanged" and the controllers'
// steady state rest on. canonicalize keeping (adopting) input it is handed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adoptingInput, canonicalize, jsonEqual } from '../../../pkg/store/canonical.js';

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

describe('adoptingInput', () => {
  const decoded = (): Record<string, unknown> =>
    JSON.parse(
      '{"command":["echo","hi"],"image":"busybox:latest","resources":{"memory":"256Mi","cpu":"500m"},"sandbox":{"network":"none","user":"65534:65534"}}',
    ) as Record<string, unknown>;

  it('keeps arrays and sorted objects, frozen, and copies objects whose keys are out of order', () => {
    const value = decoded();
    const out = adoptingInput(() => canonicalize(value)) as Record<string, unknown>;
    assert.equal(out, value, 'the sorted top level is kept');
    assert.equal(out.command, value.command, 'arrays are kept');
    assert.equal(out.sandbox, value.sandbox, 'a sorted member is kept');
    const resources = out.resources as Record<string, unknown>;
    assert.deepEqual(Object.keys(resources), ['cpu', 'memory'], 'an unsorted member is sorted');
    assert.ok(Object.isFrozen(out) && Object.isFrozen(out.command) && Object.isFrozen(resources));
    // The same value and the same bytes as a copy would have.
    assert.equal(JSON.stringify(out), JSON.stringify(canonicalize(decoded())));
  });

  it('never touches input outside it, frozen input, or anything but plain objects', () => {
    const value = decoded();
    const copy = canonicalize(value);
    assert.notEqual(copy, value);
    assert.equal(Object.isFrozen(value), false, 'a caller keeps its own objects');

    const frozen = Object.freeze({ a: 1, b: Object.freeze({ c: 2 }) });
    assert.doesNotThrow(() => adoptingInput(() => canonicalize(frozen)));
    const once = adoptingInput(() => canonicalize(decoded()));
    assert.deepEqual(
      adoptingInput(() => canonicalize(once)),
      once,
      'a value adopted already is read, not written',
    );

    class Custom {
      a = 1;
    }
    const custom = new Custom();
    const out = adoptingInput(() => canonicalize({ x: custom })) as Record<string, unknown>;
    assert.notEqual(out.x, custom, 'an instance is copied into a plain object');
    assert.equal(Object.isFrozen(custom), false);
  });

  it('drops undefined members as canonicalize does, by copying', () => {
    const value: Record<string, unknown> = { a: 1, b: undefined, c: [undefined] };
    const out = adoptingInput(() => canonicalize(value)) as Record<string, unknown>;
    assert.notEqual(out, value);
    assert.deepEqual(out, { a: 1, c: [null] });
  });

  it('ends with the call, even one that throws', () => {
    assert.throws(() => adoptingInput(() => canonicalize({ f: () => 1 })), TypeError);
    const value = decoded();
    canonicalize(value);
    assert.equal(Object.isFrozen(value), false);
  });
});
