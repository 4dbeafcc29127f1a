// Discovery as kubectl and client-go read it: /api is a 404 Status, /apis the
// one group, /apis/jobctl.dev/v1 every kind with its subresources, /version;
// an Accept for aggregated discovery still gets the legacy form as plain JSON.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API, assertStatus, call, withRest } from './helpers.js';

/** What kubectl 1.27+ sends first (aggregated discovery, then the legacy form). */
const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

describe('REST discovery', () => {
  it(
    'answers /api with a 404 Status: no legacy group',
    withRest(async ({ base }) => {
      assertStatus(await call(`${base}/api`), 404, 'NotFound', /no legacy API group/);
    }),
  );

  it(
    'lists the jobctl.dev group at /apis and /apis/jobctl.dev, whatever the Accept',
    withRest(async ({ base }) => {
      for (const accept of [undefined, AGGREGATED_ACCEPT]) {
        const r = await call(`${base}/apis`, accept ? { accept } : {});
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json(;|$)/);
        const version = { groupVersion: 'jobctl.dev/v1', version: 'v1' };
        assert.deepEqual(r.body, {
          kind: 'APIGroupList',
          apiVersion: 'v1',
          groups: [{ name: 'jobctl.dev', versions: [version], preferredVersion: version }],
        });
      }
      const group = await call(`${base}/apis/jobctl.dev`, { accept: AGGREGATED_ACCEPT });
      assert.equal(group.body.kind, 'APIGroup');
      assert.equal(group.body.name, 'jobctl.dev');
    }),
  );

  it(
    'lists every kind with its verbs, names and subresources at /apis/jobctl.dev/v1',
    withRest(async ({ base }) => {
      const r = await call(`${base}${API}`, { accept: AGGREGATED_ACCEPT });
      assert.equal(r.status, 200);
      assert.equal(r.body.kind, 'APIResourceList');
      assert.equal(r.body.groupVersion, 'jobctl.dev/v1');
      const byName = new Map<string, Record<string, unknown>>(
        r.body.resources.map((x: Record<string, unknown>) => [x.name, x]),
      );
      assert.deepEqual(byName.get('jobs'), {
        name: 'jobs',
        singularName: 'job',
        namespaced: true,
        kind: 'Job',
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
        categories: ['all', 'jobctl'],
      });
      assert.deepEqual(byName.get('nodes')?.shortNames, ['no']);
      assert.equal(byName.get('nodes')?.namespaced, false);
      assert.deepEqual(byName.get('jobs/status')?.verbs, ['get', 'patch', 'update']);
      assert.deepEqual(byName.get('runs/log'), {
        name: 'runs/log',
        singularName: '',
        namespaced: true,
        kind: 'Run',
        verbs: ['get'],
      });
      assert.ok(byName.has('jobs/log'));
      assert.ok(byName.has('cronjobs/status'));
      // Queues, cluster-scoped, so `kubectl get queues` works.
      assert.deepEqual(
        [byName.get('queues')?.kind, byName.get('queues')?.namespaced],
        ['Queue', false],
      );
    }),
  );

  it(
    'reports its version as Kubernetes version.Info',
    withRest(
      async ({ base }) => {
        const r = await call(`${base}/version`);
        assert.equal(r.status, 200);
        assert.equal(r.body.major, '1');
        assert.equal(r.body.minor, '2');
        assert.equal(r.body.gitVersion, 'v1.2.3');
        assert.equal(typeof r.body.platform, 'string');
      },
      { version: '1.2.3' },
    ),
  );
});
