// PATCH as Kubernetes clients send it: merge patches (null removes a field)
// and JSON patches on objects and on /status, annotations kept, a concurrent
// write retried or, with a resourceVersion in the patch, a Conflict; other
// patch types 415.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonPatch, mergePatch } from '../../../../pkg/api/rest/patch.js';
import { API, assertStatus, call, job, withRest } from './helpers.js';

const JOBS = `${API}/namespaces/default/jobs`;
const MERGE = 'application/merge-patch+json';
const JSON_PATCH = 'application/json-patch+json';
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

describe('merge patch (RFC 7386)', () => {
  it('merges objects, removes nulls, replaces arrays and scalars', () => {
    assert.deepEqual(
      mergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1, 2] }, { a: null, b: { c: 9 }, e: [3], f: 'x' }),
      { b: { c: 9, d: 3 }, e: [3], f: 'x' },
    );
    assert.deepEqual(mergePatch({ a: 1 }, { a: { b: null } }), { a: {} });
    assert.deepEqual(mergePatch([1], { a: 1 }), { a: 1 });
  });

  it('refuses keys that would reach a prototype', () => {
    assert.throws(() => mergePatch({}, JSON.parse('{"__proto__": {"x": 1}}')), /__proto__/);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });
});

describe('JSON patch (RFC 6902)', () => {
  it('applies operations to a copy, a failed test is Invalid', () => {
    const doc = { a: { b: 1 }, list: [1, 2] };
    assert.deepEqual(
      jsonPatch(doc, [
        { op: 'replace', path: '/a/b', value: 2 },
        { op: 'add', path: '/list/-', value: 3 },
        { op: 'remove', path: '/list/0' },
      ]),
      { a: { b: 2 }, list: [2, 3] },
    );
    assert.deepEqual(doc, { a: { b: 1 }, list: [1, 2] }, 'the input is not changed');
    assert.throws(() => jsonPatch(doc, [{ op: 'test', path: '/a/b', value: 5 }]), {
      reason: 'Invalid',
    });
    assert.throws(() => jsonPatch(doc, { op: 'add' }), /array of operations/);
    assert.throws(() => jsonPatch(doc, [{ op: 'frobnicate', path: '/a' }]), /invalid JSON patch/);
  });
});

describe('REST PATCH', () => {
  it(
    'merge-patches a Job: a field changes, a null removes a label, annotations survive',
    withRest(async ({ base, client }) => {
      await client.create(
        job('a', {}, { labels: { x: '1', y: '2' }, annotations: { [LAST_APPLIED]: '{"k":1}' } }),
      );
      const r = await call(`${base}${JOBS}/a`, {
        method: 'PATCH',
        contentType: MERGE,
        body: { spec: { parallelism: 2 }, metadata: { labels: { y: null } } },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.spec.parallelism, 2);
      assert.deepEqual(r.body.metadata.labels, { x: '1' });
      assert.deepEqual(r.body.metadata.annotations, { [LAST_APPLIED]: '{"k":1}' });
      assert.equal(r.body.metadata.generation, 2);
      const stored = await client.get('Job', 'default', 'a');
      assert.equal(stored.spec.parallelism, 2);
    }),
  );

  it(
    'JSON-patches a Job and its status',
    withRest(async ({ base, client }) => {
      await client.create(job('a'));
      const r = await call(`${base}${JOBS}/a`, {
        method: 'PATCH',
        contentType: JSON_PATCH,
        body: [
          { op: 'test', path: '/spec/parallelism', value: 1 },
          { op: 'replace', path: '/spec/parallelism', value: 3 },
          { op: 'add', path: '/metadata/annotations', value: { note: 'hi' } },
        ],
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.spec.parallelism, 3);
      assert.deepEqual(r.body.metadata.annotations, { note: 'hi' });
      const failed = await call(`${base}${JOBS}/a`, {
        method: 'PATCH',
        contentType: JSON_PATCH,
        body: [{ op: 'test', path: '/spec/parallelism', value: 1 }],
      });
      assertStatus(failed, 422, 'Invalid', /test operation failed/);

      const status = await call(`${base}${JOBS}/a/status`, {
        method: 'PATCH',
        contentType: MERGE,
        body: { status: { phase: 'Running', active: 1 }, spec: { parallelism: 9 } },
      });
      assert.equal(status.status, 200, JSON.stringify(status.body));
      assert.equal(status.body.status.phase, 'Running');
      assert.equal(status.body.spec.parallelism, 3, 'a /status patch leaves spec alone');
      const jsonStatus = await call(`${base}${JOBS}/a/status`, {
        method: 'PATCH',
        contentType: JSON_PATCH,
        body: [{ op: 'replace', path: '/status/active', value: 0 }],
      });
      assert.equal(jsonStatus.body.status.active, 0);
    }),
  );

  it(
    'refuses unknown patch types with 415, a missing object with 404, bad JSON with 400',
    withRest(async ({ base, client }) => {
      await client.create(job('a'));
      for (const type of ['application/strategic-merge-patch+json', 'text/plain']) {
        const r = await call(`${base}${JOBS}/a`, { method: 'PATCH', contentType: type, body: {} });
        assertStatus(r, 415, 'UnsupportedMediaType', /merge-patch\+json/);
      }
      assertStatus(
        await call(`${base}${JOBS}/a/status`, {
          method: 'PATCH',
          contentType: 'application/apply-patch+yaml',
          raw: 'status: {}',
        }),
        415,
        'UnsupportedMediaType',
      );
      assertStatus(
        await call(`${base}${JOBS}/nope`, { method: 'PATCH', contentType: MERGE, body: {} }),
        404,
        'NotFound',
      );
      assertStatus(
        await call(`${base}${JOBS}/a`, { method: 'PATCH', contentType: MERGE, raw: '{' }),
        400,
        'BadRequest',
      );
    }),
  );

  it(
    'patches under the version the patch names: a stale one is a Conflict',
    withRest(async ({ base, client }) => {
      const a = await client.create(job('a'));
      await client.update(job('a', { parallelism: 2 }));
      const stale = await call(`${base}${JOBS}/a`, {
        method: 'PATCH',
        contentType: MERGE,
        body: {
          metadata: { resourceVersion: a.metadata.resourceVersion },
          spec: { parallelism: 5 },
        },
      });
      assertStatus(stale, 409, 'Conflict');
      assert.deepEqual(stale.body.details, { group: 'jobctl.dev', kind: 'jobs', name: 'a' });
    }),
  );
});
