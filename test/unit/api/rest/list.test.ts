// Lists: pagination with continue tokens, label and field selectors, all
// namespaces, and strict query parameters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API, assertStatus, call, job, withRest, type Json } from './helpers.js';

const names = (r: { body: Json }): string[] => r.body.items.map((o: Json) => o.metadata.name);

describe('REST list', () => {
  it(
    'pages with limit and continue, and lists all namespaces',
    withRest(async ({ base, client }) => {
      for (const n of ['a', 'b', 'c', 'd', 'e']) await client.create(job(n));
      await client.create(job('x', {}, { namespace: 'other' }));

      const seen: string[] = [];
      let url = `${base}${API}/namespaces/default/jobs?limit=2`;
      let pages = 0;
      for (;;) {
        const r = await call(url);
        assert.equal(r.status, 200);
        assert.equal(r.body.kind, 'JobList');
        assert.equal(r.body.apiVersion, 'jobctl.dev/v1');
        assert.match(r.body.metadata.resourceVersion, /^\d+$/);
        assert.ok(r.body.items.length <= 2);
        seen.push(...names(r));
        pages++;
        const next = r.body.metadata.continue as string | undefined;
        if (!next) break;
        // A write between pages does not disturb the walk.
        if (pages === 1) await client.create(job('zz'));
        url = `${base}${API}/namespaces/default/jobs?limit=2&continue=${encodeURIComponent(next)}`;
      }
      assert.deepEqual(seen.slice(0, 5), ['a', 'b', 'c', 'd', 'e']);
      assert.ok(pages >= 3);

      const all = await call(`${base}${API}/jobs`);
      assert.ok(names(all).includes('x'));
      assert.ok(names(all).includes('a'));
      const other = await call(`${base}${API}/namespaces/other/jobs?consistency=stale`);
      assert.deepEqual(names(other), ['x']);
    }),
  );

  it(
    'filters by label and field selectors',
    withRest(async ({ base, client }) => {
      await client.create(job('a', {}, { labels: { team: 'data', tier: 'x' } }));
      await client.create(job('b', {}, { labels: { team: 'web' } }));
      await client.create(job('c'));
      const sel = (q: string) => call(`${base}${API}/namespaces/default/jobs?${q}`);
      assert.deepEqual(names(await sel('labelSelector=team%3Ddata')), ['a']);
      assert.deepEqual(
        names(await sel(`labelSelector=${encodeURIComponent('team in (data,web)')}`)),
        ['a', 'b'],
      );
      assert.deepEqual(names(await sel(`labelSelector=${encodeURIComponent('!team')}`)), ['c']);
      assert.deepEqual(names(await sel('fieldSelector=metadata.name%3Db')), ['b']);
      assertStatus(await sel('labelSelector=%3D%3D%3D'), 422, 'Invalid', /label selector/);
      assertStatus(await sel('fieldSelector=spec.nope%3D1'), 422, 'Invalid', /field selector/);
    }),
  );

  it(
    'refuses malformed query parameters with 400',
    withRest(async ({ base }) => {
      const jobs = `${base}${API}/namespaces/default/jobs`;
      assertStatus(await call(`${jobs}?limit=-1`), 400, 'BadRequest', /"limit"/);
      assertStatus(await call(`${jobs}?limit=ten`), 400, 'BadRequest', /"limit"/);
      assertStatus(await call(`${jobs}?consistency=eventual`), 400, 'BadRequest', /consistency/);
      assertStatus(await call(`${jobs}?limit=1&limit=2`), 400, 'BadRequest', /more than once/);
      assertStatus(await call(`${jobs}?watch=maybe`), 400, 'BadRequest', /"watch"/);
      assertStatus(await call(`${base}${API}/namespaces/default/%E0%A4%A`), 400, 'BadRequest');
    }),
  );
});
