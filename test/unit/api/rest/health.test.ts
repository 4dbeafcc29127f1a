// Operational endpoints and the dashboard placeholder / static files.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { API, assertStatus, call, withRest } from './helpers.js';
import { partialClusterAdmin } from '../../../../pkg/client/testing.js';

describe('REST health and extras', () => {
  it(
    'answers /healthz with ok',
    withRest(async ({ base }) => {
      const r = await call(`${base}/healthz`);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'ok');
    }),
  );

  it('answers /readyz 503 until ready, then 200', async () => {
    let ready = false;
    await withRest(
      async ({ base }) => {
        assertStatus(await call(`${base}/readyz`), 503, 'Unavailable', /not ready/);
        ready = true;
        const r = await call(`${base}/readyz`);
        assert.equal(r.status, 200);
        assert.equal(r.body, 'ok');
      },
      { isReady: async () => ready },
    )();
  });

  it(
    'gives the reason a readiness check threw',
    withRest(
      async ({ base }) => {
        assertStatus(await call(`${base}/readyz`), 503, 'Unavailable', /no quorum/);
      },
      {
        isReady: () => {
          throw new Error('no quorum');
        },
      },
    ),
  );

  it(
    'serves /metrics from the metrics option',
    withRest(
      async ({ base }) => {
        const r = await call(`${base}/metrics`);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /text\/plain; version=0.0.4/);
        assert.equal(r.body, 'jobctl_up 1\n');
      },
      { metrics: async () => 'jobctl_up 1\n' },
    ),
  );

  it(
    'answers /metrics 404 without a metrics option',
    withRest(async ({ base }) => {
      assertStatus(await call(`${base}/metrics`), 404, 'NotFound');
    }),
  );

  it(
    'serves cluster status, leader transfer and node info from the cluster service',
    withRest(
      async ({ base }) => {
        const s = await call(`${base}/api/cluster/status`);
        assert.equal(s.status, 200);
        assert.deepEqual(s.body, { nodes: [], leader: 2, responder: 1 });
        const t = await call(`${base}/api/cluster/transfer-leader?to=3`, { method: 'POST' });
        assert.deepEqual(t.body, { from: 2, to: 3, term: 7 });
        assert.deepEqual((await call(`${base}/api/node`)).body, { id: 1 });
      },
      {
        cluster: partialClusterAdmin({
          clusterStatus: async () => ({ nodes: [], leader: 2, responder: 1 }),
          transferLeader: async (to) => ({ from: 2, to: to ?? 0, term: 7 }),
        }),
        nodeInfo: () => ({ id: 1 }),
      },
    ),
  );

  it(
    'answers cluster status Unavailable without a cluster service',
    withRest(async ({ base }) => {
      assertStatus(await call(`${base}/api/cluster/status`), 503, 'Unavailable');
      assertStatus(await call(`${base}/api/node`), 404, 'NotFound');
    }),
  );

  it(
    'serves a placeholder page at / without a dashboard',
    withRest(async ({ base }) => {
      const r = await call(`${base}/`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /text\/html/);
      assert.match(r.body, new RegExp(`${API}/namespaces/default/jobs`));
    }),
  );

  it('serves the dashboard directory at /', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobctl-dash-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<h1>dash</h1>');
      writeFileSync(join(dir, 'app.js'), 'console.log(1)');
      await withRest(
        async ({ base }) => {
          assert.equal((await call(`${base}/`)).body, '<h1>dash</h1>');
          const js = await call(`${base}/app.js`);
          assert.match(js.headers.get('content-type') ?? '', /javascript/);
          assertStatus(await call(`${base}/missing.js`), 404, 'NotFound');
          assertStatus(await call(`${base}/..%2f..%2fetc%2fpasswd`), 404, 'NotFound');
        },
        { dashboardDir: dir },
      )();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
