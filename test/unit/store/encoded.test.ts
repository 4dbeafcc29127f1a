// objectJson: a stored object's JSON bytes, encoded once and shared by every
// response and watch stream that sends it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { objectJson } from '../../../pkg/store/index.js';
import { Harness, jobInput, ok } from './fixtures.js';

describe('objectJson', () => {
  it('is the JSON of the object, the same bytes for every caller of a stored object', () => {
    const h = new Harness();
    const created = ok(h.create(jobInput('a'))).object;
    const bytes = objectJson(created);
    assert.equal(bytes.toString('utf8'), JSON.stringify(created));
    assert.equal(objectJson(created), bytes, 'encoded once, then shared');
    // A watcher receives the very object the write returned, so it hits too.
    const seen: Buffer[] = [];
    h.store.watch('Job', { resourceVersion: String(h.store.revision) }, (e) =>
      seen.push(objectJson(e.object)),
    );
    const updated = ok(h.update(jobInput('a', { labels: { x: 'y' } }))).object;
    assert.equal(seen.length, 1);
    assert.equal(seen[0], objectJson(updated));
    assert.equal(seen[0]?.toString('utf8'), JSON.stringify(updated));
  });

  it('encodes an object that is not frozen afresh, since it may change', () => {
    const o: { a: number } = { a: 1 };
    assert.equal(objectJson(o).toString('utf8'), '{"a":1}');
    o.a = 2;
    assert.equal(objectJson(o).toString('utf8'), '{"a":2}');
  });

  it('keeps a bounded number of encodings: an old object is encoded again, correctly', () => {
    const first = Object.freeze({ n: -1 });
    const bytes = objectJson(first);
    for (let n = 0; n < 10_000; n++) objectJson(Object.freeze({ n }));
    const again = objectJson(first);
    assert.notEqual(again, bytes, 'evicted after many newer objects');
    assert.equal(again.toString('utf8'), '{"n":-1}');
  });
});
