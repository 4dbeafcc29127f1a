// The resource routes over a real store: create, get, update, status, apply,
// delete, and the Status errors they answer with.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API, assertStatus, call, job, withRest, type Json } from './helpers.js';

const JOBS = `${API}/namespaces/default/jobs`;

describe('REST resources', () => {
  it(
    'creates, gets, updates, writes status and deletes a Job',
    withRest(async ({ base }) => {
      const created = await call(`${base}${JOBS}`, { method: 'POST', body: job('a') });
      assert.equal(created.status, 201);
      assert.equal(created.body.metadata.name, 'a');
      assert.equal(created.body.metadata.namespace, 'default');
      assert.equal(created.body.metadata.generation, 1);

      const got = await call(`${base}${JOBS}/a`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, created.body);
      assert.match(got.headers.get('content-type') ?? '', /application\/json/);

      const stale = await call(`${base}${JOBS}/a?consistency=stale`);
      assert.deepEqual(stale.body, created.body);

      const changed = job('a', { parallelism: 3 });
      const updated = await call(`${base}${JOBS}/a`, { method: 'PUT', body: changed });
      assert.equal(updated.status, 200);
      assert.equal(updated.body.spec.parallelism, 3);
      assert.equal(updated.body.metadata.generation, 2);

      const status = await call(`${base}${JOBS}/a/status`, {
        method: 'PUT',
        body: { ...job('a'), status: { phase: 'Running', active: 1 } },
      });
      assert.equal(status.status, 200);
      assert.equal(status.body.status.phase, 'Running');
      assert.equal(status.body.spec.parallelism, 3, 'status writes leave spec alone');
      const statusGet = await call(`${base}${JOBS}/a/status`);
      assert.equal(statusGet.body.status.phase, 'Running');

      // Kubernetes answers a delete done at once with a Success Status naming what went.
      const deleted = await call(`${base}${JOBS}/a`, { method: 'DELETE' });
      assert.equal(deleted.status, 200);
      assert.deepEqual(deleted.body, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Success',
        details: { name: 'a', group: 'jobctl.dev', kind: 'jobs', uid: created.body.metadata.uid },
      });

      const gone = await call(`${base}${JOBS}/a`);
      assertStatus(gone, 404, 'NotFound', /^jobs "a" not found$/);
      assert.deepEqual(Object.keys(gone.body).sort(), [
        'apiVersion',
        'code',
        'details',
        'kind',
        'message',
        'reason',
        'status',
      ]);
      assert.deepEqual(gone.body.details, { group: 'jobctl.dev', kind: 'jobs', name: 'a' });
    }),
  );

  it(
    'creates from YAML and fills kind, namespace and name from the URL',
    withRest(async ({ base }) => {
      const yaml = [
        'metadata:',
        '  name: from-yaml',
        'spec:',
        '  image: busybox:latest',
        '  imagePullPolicy: IfNotPresent',
        '  command: [echo, hi]',
        '  env: []',
        '  resources: {cpu: 500m, memory: 256Mi}',
        '  sandbox: {network: none, readOnlyRootFilesystem: true, user: "65534:65534"}',
        '  completions: 1',
        '  parallelism: 1',
        '  backoffLimit: 3',
        '  priority: 0',
        '  suspend: false',
      ].join('\n');
      const r = await call(`${base}${API}/namespaces/team-a/jobs`, {
        method: 'POST',
        raw: yaml,
        contentType: 'application/yaml',
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'Job');
      assert.equal(r.body.apiVersion, 'jobctl.dev/v1');
      assert.equal(r.body.metadata.namespace, 'team-a');
      assert.deepEqual(r.body.spec.command, ['echo', 'hi']);
    }),
  );

  it(
    'refuses a body that disagrees with the URL (400)',
    withRest(async ({ base }) => {
      assertStatus(
        await call(`${base}${JOBS}`, {
          method: 'POST',
          body: job('a', {}, { namespace: 'other' }),
        }),
        400,
        'BadRequest',
        /namespace of the object \(other\) does not match the namespace in the URL \(default\)/,
      );
      assertStatus(
        await call(`${base}${JOBS}/b`, { method: 'PUT', body: job('a') }),
        400,
        'BadRequest',
        /name of the object \(a\) does not match the name in the URL \(b\)/,
      );
      assertStatus(
        await call(`${base}${JOBS}`, { method: 'POST', body: { ...job('a'), kind: 'Run' } }),
        400,
        'BadRequest',
        /kind of the object \(Run\)/,
      );
    }),
  );

  it(
    'answers AlreadyExists and a stale resourceVersion with 409',
    withRest(async ({ base }) => {
      const a = await call(`${base}${JOBS}`, { method: 'POST', body: job('a') });
      assertStatus(
        await call(`${base}${JOBS}`, { method: 'POST', body: job('a') }),
        409,
        'AlreadyExists',
      );
      const rv = a.body.metadata.resourceVersion as string;
      const first = await call(`${base}${JOBS}/a`, {
        method: 'PUT',
        body: job('a', { parallelism: 2 }, { resourceVersion: rv }),
      });
      assert.equal(first.status, 200);
      assertStatus(
        await call(`${base}${JOBS}/a`, {
          method: 'PUT',
          body: job('a', { parallelism: 4 }, { resourceVersion: rv }),
        }),
        409,
        'Conflict',
      );
    }),
  );

  it(
    'applies with PATCH application/apply-patch+yaml: created 201, unchanged and configured 200',
    withRest(async ({ base }) => {
      const apply = (body: unknown, query = '') =>
        call(`${base}${JOBS}/a${query}`, {
          method: 'PATCH',
          raw: JSON.stringify(body), // JSON is YAML
          contentType: 'application/apply-patch+yaml',
        });
      const created = await apply(job('a'));
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.headers.get('x-jobctl-outcome'), 'created');
      assert.equal(created.body.metadata.name, 'a');

      const unchanged = await apply(job('a'));
      assert.equal(unchanged.status, 200);
      assert.equal(unchanged.headers.get('x-jobctl-outcome'), 'unchanged');

      const dry = await apply(job('a', { parallelism: 5 }), '?dryRun=All');
      assert.equal(dry.status, 200);
      assert.equal(dry.headers.get('x-jobctl-outcome'), 'configured');
      assert.equal(dry.body.spec.parallelism, 5);
      assert.equal(
        (await call(`${base}${JOBS}/a`)).body.spec.parallelism,
        1,
        'dry run wrote nothing',
      );

      const configured = await apply(job('a', { parallelism: 2 }));
      assert.equal(configured.status, 200);
      assert.equal(configured.headers.get('x-jobctl-outcome'), 'configured');
      assert.equal(configured.body.spec.parallelism, 2);

      const forced = await call(`${base}${JOBS}/a?force=true`, {
        method: 'PATCH',
        body: job('a', { image: 'alpine:3' }),
        contentType: 'application/apply-patch+json',
      });
      assert.ok([200, 201].includes(forced.status), JSON.stringify(forced.body));
      assert.equal(forced.body.spec.image, 'alpine:3');

      assertStatus(
        await call(`${base}${JOBS}/a`, {
          method: 'PATCH',
          body: job('a'),
          contentType: 'application/strategic-merge-patch+json',
        }),
        415,
        'UnsupportedMediaType',
        /application\/apply-patch\+yaml/,
      );
      assertStatus(await apply(job('a'), '?dryRun=Some'), 400, 'BadRequest', /dryRun/);
    }),
  );

  it(
    'deletes with dryRun and DeleteOptions preconditions',
    withRest(async ({ base }) => {
      const a = await call(`${base}${JOBS}`, { method: 'POST', body: job('a') });
      const dry = await call(`${base}${JOBS}/a?dryRun=All`, { method: 'DELETE' });
      assert.equal(dry.status, 200);
      assert.equal((await call(`${base}${JOBS}/a`)).status, 200, 'dry run deleted nothing');
      const wrongUid = await call(`${base}${JOBS}/a`, {
        method: 'DELETE',
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'nope' } },
      });
      assertStatus(wrongUid, 409, 'Conflict');
      const ok = await call(`${base}${JOBS}/a`, {
        method: 'DELETE',
        body: { preconditions: { uid: a.body.metadata.uid } },
      });
      assert.equal(ok.status, 200);
      assertStatus(await call(`${base}${JOBS}/a`, { method: 'DELETE' }), 404, 'NotFound');
    }),
  );

  it(
    'serves cluster-scoped nodes without a namespace',
    withRest(async ({ base }) => {
      const node = {
        apiVersion: 'jobctl.dev/v1',
        kind: 'Node',
        metadata: { name: 'n1' },
        spec: {},
      };
      const created = await call(`${base}${API}/nodes`, { method: 'POST', body: node });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal(created.body.metadata.namespace, '');
      assert.equal(
        (await call(`${base}${API}/nodes/n1`)).body.metadata.uid,
        created.body.metadata.uid,
      );
      const list = await call(`${base}${API}/nodes`);
      assert.equal(list.body.kind, 'NodeList');
      assert.deepEqual(
        list.body.items.map((n: Json) => n.metadata.name),
        ['n1'],
      );
      assertStatus(
        await call(`${base}${API}/namespaces/default/nodes/n1`),
        404,
        'NotFound',
        /cluster-scoped/,
      );
      assertStatus(await call(`${base}${API}/jobs/x`), 404, 'NotFound', /namespaced/);
      assertStatus(
        await call(`${base}${API}/jobs`, { method: 'POST', body: job('x') }),
        405,
        'MethodNotAllowed',
      );
      assert.equal((await call(`${base}${API}/nodes/n1`, { method: 'DELETE' })).status, 200);
    }),
  );

  it(
    'answers an unknown resource with 404 naming the known ones, and serves discovery',
    withRest(async ({ base }) => {
      assertStatus(
        await call(`${base}${API}/namespaces/default/widgets`),
        404,
        'NotFound',
        /"widgets".*known resources: jobs, runs, nodes, cronjobs/,
      );
      assertStatus(await call(`${base}/nowhere`), 404, 'NotFound');
      const r = await call(`${base}${JOBS}`, { method: 'PUT', body: job('a') });
      assertStatus(r, 405, 'MethodNotAllowed');
      assert.equal(r.headers.get('allow'), 'GET, POST');
      const discovery = await call(`${base}${API}`);
      assert.equal(discovery.body.kind, 'APIResourceList');
      assert.equal(discovery.body.groupVersion, 'jobctl.dev/v1');
      assert.ok(discovery.body.resources.some((r: Json) => r.name === 'nodes' && !r.namespaced));
    }),
  );
});
