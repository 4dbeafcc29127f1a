import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRng } from '../../../pkg/util/rng.js';
import { KindTable, objectOf } from '../../../pkg/store/table.js';
import type { Resource } from '../../../pkg/store/index.js';

const obj = (key: string) => ({ metadata: { name: key } }) as unknown as Resource;

function scanKeys(t: KindTable, from: string, to?: string, max = Infinity): string[] {
  const out: string[] = [];
  t.scan(from, to, (o) => {
    out.push(o.metadata.name);
    return out.length < max;
  });
  return out;
}

describe('KindTable (chunked sorted keys)', () => {
  for (const chunk of [1, 2, 4, 512]) {
    it(`matches a sorted reference under random inserts and deletes (chunk ${chunk})`, () => {
      const rng = new SeededRng(chunk);
      const t = new KindTable(chunk);
      const ref = new Set<string>();
      for (let step = 0; step < 3000; step++) {
        const key = `ns-${rng.int(0, 5)}/k${rng.int(0, 400)}`;
        if (rng.chance(0.6)) {
          t.set(key, obj(key));
          ref.add(key);
        } else {
          assert.equal(t.delete(key), ref.delete(key));
        }
        if (step % 100 === 0 || step === 2999) {
          const sorted = [...ref].sort();
          assert.equal(t.size, ref.size);
          assert.deepEqual(
            t.values().map((o) => objectOf(o).metadata.name),
            sorted,
          );
          const from = `ns-${rng.int(0, 5)}/k${rng.int(0, 400)}`;
          assert.deepEqual(
            scanKeys(t, from),
            sorted.filter((k) => k >= from),
          );
          assert.deepEqual(
            scanKeys(t, 'ns-2/', 'ns-20'),
            sorted.filter((k) => k.startsWith('ns-2/')),
          );
          assert.deepEqual(scanKeys(t, '', undefined, 7), sorted.slice(0, 7));
        }
      }
    });
  }

  for (const chunk of [1, 3, 512]) {
    it(`lists and scans the object last set for each key, not an earlier one (chunk ${chunk})`, () => {
      const rng = new SeededRng(100 + chunk);
      const t = new KindTable(chunk);
      const ref = new Map<string, Resource>();
      for (let step = 0; step < 2000; step++) {
        const key = `ns/k${rng.int(0, 60)}`;
        if (rng.chance(0.8)) {
          const o = {
            metadata: { name: key, resourceVersion: String(step) },
          } as unknown as Resource;
          t.set(key, o);
          ref.set(key, o);
        } else {
          t.delete(key);
          ref.delete(key);
        }
      }
      const want = [...ref.keys()].sort().map((k) => ref.get(k));
      assert.ok(t.values().every((o, i) => o === want[i]));
      assert.equal(t.values().length, want.length);
      const scanned: Resource[] = [];
      t.scan('', undefined, (o) => scanned.push(o) > 0);
      assert.ok(scanned.every((o, i) => o === want[i]));
      for (const [k, o] of ref) assert.equal(t.get(k), o);
    });
  }

  it('scans nothing past the end and handles an empty table', () => {
    const t = new KindTable(2);
    assert.deepEqual(scanKeys(t, ''), []);
    t.set('a/b', obj('a/b'));
    assert.deepEqual(scanKeys(t, 'a/c'), []);
    assert.equal(t.delete('zzz'), false);
    t.clear();
    assert.equal(t.size, 0);
  });
});
