// Admission hands the store objects in its own key order, so that every replica
// keeps (freezes in place) the command it parsed from the Raft entry instead of
// copying it (pkg/api/key-order.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admit } from '../../../pkg/api/admission.js';
import { inStoreKeyOrder } from '../../../pkg/api/key-order.js';
import { adoptingInput, canonicalize } from '../../../pkg/store/canonical.js';
import { API_VERSION } from '../../../pkg/store/index.js';

/** Paths of the objects under `v` whose keys are not in sorted order. */
function unsorted(v: unknown, path = ''): string[] {
  if (typeof v !== 'object' || v === null) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => unsorted(x, `${path}[${i}]`));
  const keys = Object.keys(v);
  const here = keys.join() === [...keys].sort().join() ? [] : [path || '(top)'];
  return [
    ...here,
    ...keys.flatMap((k) => unsorted((v as Record<string, unknown>)[k], `${path}.${k}`)),
  ];
}

// A manifest as clients write it: metadata.name before namespace, spec fields
// in the order of the docs; admission adds defaults and a status after them.
const manifest = {
  apiVersion: API_VERSION,
  kind: 'Job',
  metadata: { name: 'hello', namespace: 'default', annotations: { seq: '1', pad: 'xx' } },
  spec: { image: 'busybox:latest', command: ['true'], suspend: true, env: { B: '1', A: '2' } },
};

describe('admission: the store key order', () => {
  it('admits a Job with the keys of every object in sorted order', () => {
    assert.deepEqual(unsorted(admit(manifest, 'apply')), []);
  });

  it('lets a replica keep the parsed command instead of copying it', () => {
    // What each replica does with the entry: JSON.parse, then canonicalize under adoptingInput.
    const parsed = JSON.parse(JSON.stringify(admit(manifest, 'apply'))) as Record<string, unknown>;
    for (const part of ['spec', 'status'] as const) {
      const value = parsed[part];
      assert.equal(
        adoptingInput(() => canonicalize(value)),
        value,
        `${part} was copied, not kept`,
      );
    }
  });

  it('changes no value, and keeps a "__proto__" member an ordinary member', () => {
    const input = JSON.parse(
      '{"b":[{"y":1,"x":{"__proto__":{"q":1},"d":null}}],"a":"s","__proto__":2}',
    ) as unknown;
    const copy = JSON.parse(JSON.stringify(input)) as unknown;
    const out = inStoreKeyOrder(copy) as Record<string, unknown>;
    assert.deepEqual(JSON.parse(JSON.stringify(out)), input);
    assert.equal(
      JSON.stringify(out),
      '{"__proto__":2,"a":"s","b":[{"x":{"__proto__":{"q":1},"d":null},"y":1}]}',
    );
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(unsorted(out), []);
  });
});
