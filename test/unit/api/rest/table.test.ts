// Server-side Table, as kubectl asks for it: the columns of `jobctl get`
// (wide-only ones with priority 1), each row with the object's metadata, the
// whole object (includeObject=Object) or nothing (None); on list, get and watch.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printerColumns } from '../../../../pkg/api/columns/index.js';
import { API, NdjsonReader, assertStatus, call, job, withRest } from './helpers.js';

const JOBS = `${API}/namespaces/default/jobs`;
/** kubectl get's Accept header. */
const TABLE_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('REST server-side Table', () => {
  it(
    'lists jobs as a Table with the columns of jobctl get',
    withRest(async ({ base, client }) => {
      await client.create(job('a', { completions: 2 }, { labels: { team: 'x' } }));
      await client.create(job('b'));
      const t = await call(`${base}${JOBS}`, { accept: TABLE_ACCEPT });
      assert.equal(t.status, 200);
      assert.equal(t.body.kind, 'Table');
      assert.equal(t.body.apiVersion, 'meta.k8s.io/v1');
      assert.match(t.body.metadata.resourceVersion, /^\d+$/);
      const names = t.body.columnDefinitions.map((c: { name: string }) => c.name);
      assert.deepEqual(
        names,
        printerColumns('Job').map((c) => c.name),
      );
      assert.deepEqual(names.slice(0, 5), ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
      const priorities = t.body.columnDefinitions.map((c: { priority: number }) => c.priority);
      assert.deepEqual(priorities, [0, 0, 0, 0, 0, 1, 1, 1]);
      assert.equal(t.body.columnDefinitions[0].format, 'name');
      assert.equal(t.body.rows.length, 2);
      const [a] = t.body.rows;
      assert.deepEqual(a.cells.slice(0, 3), ['a', 'Pending', '0/2']);
      assert.deepEqual(a.cells.slice(5), ['busybox:latest', 'echo hello', 'jobctl.dev/job-name=a']);
      assert.equal(a.object.kind, 'PartialObjectMetadata');
      assert.equal(a.object.metadata.name, 'a');
      assert.deepEqual(a.object.metadata.labels, { team: 'x' });
      assert.equal(a.object.spec, undefined, 'metadata only by default');
    }),
  );

  it(
    'lists queues (cluster-scoped) as kubectl get queues shows them',
    withRest(async ({ base, client }) => {
      await client.create({
        apiVersion: 'jobctl.dev/v1',
        kind: 'Queue',
        metadata: { name: 'batch' },
        spec: { maxRunning: 5, priority: 0 },
      });
      const t = await call(`${base}${API}/queues`, { accept: TABLE_ACCEPT });
      assert.equal(t.status, 200);
      assert.deepEqual(
        t.body.columnDefinitions.map((c: { name: string }) => c.name),
        ['NAME', 'RUNNING', 'PENDING', 'LIMIT', 'AGE', 'PRIORITY'],
      );
      assert.deepEqual(t.body.rows[0].cells.slice(0, 4), ['batch', '0', '0', '5']);
    }),
  );

  it(
    'includes the whole object or none, answers a get as one row, and v1beta1',
    withRest(async ({ base, client }) => {
      await client.create(job('a'));
      const full = await call(`${base}${JOBS}?includeObject=Object`, { accept: TABLE_ACCEPT });
      assert.equal(full.body.rows[0].object.kind, 'Job');
      assert.equal(full.body.rows[0].object.spec.image, 'busybox:latest');
      const none = await call(`${base}${JOBS}?includeObject=None`, { accept: TABLE_ACCEPT });
      assert.equal(none.body.rows[0].object, undefined);
      assertStatus(
        await call(`${base}${JOBS}?includeObject=All`, { accept: TABLE_ACCEPT }),
        400,
        'BadRequest',
        /includeObject/,
      );
      const one = await call(`${base}${JOBS}/a`, { accept: TABLE_ACCEPT });
      assert.equal(one.body.kind, 'Table');
      assert.equal(one.body.rows.length, 1);
      const beta = await call(`${base}${JOBS}/a`, {
        accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io',
      });
      assert.equal(beta.body.apiVersion, 'meta.k8s.io/v1beta1');
      // Plain JSON first in the Accept: plain objects.
      const plain = await call(`${base}${JOBS}/a`, {
        accept: 'application/json,application/json;as=Table;v=v1;g=meta.k8s.io',
      });
      assert.equal(plain.body.kind, 'Job');
      // Protobuf-only: we serve JSON rather than a 406.
      const proto = await call(`${base}${JOBS}/a`, {
        accept: 'application/vnd.kubernetes.protobuf',
      });
      assert.equal(proto.status, 200);
      assert.equal(proto.body.kind, 'Job');
    }),
  );

  it(
    'shows nodes with their active Runs, as jobctl get nodes does',
    withRest(async ({ base, client }) => {
      await client.create({
        apiVersion: 'jobctl.dev/v1',
        kind: 'Node',
        metadata: { name: 'n1' },
        spec: {},
      });
      const t = await call(`${base}${API}/nodes`, { accept: TABLE_ACCEPT });
      const names = t.body.columnDefinitions.map((c: { name: string }) => c.name);
      assert.deepEqual(names.slice(0, 7), [
        'NAME',
        'STATUS',
        'ROLE(S)',
        'CPU',
        'MEMORY',
        'RUNS',
        'AGE',
      ]);
      assert.deepEqual(t.body.rows[0].cells.slice(0, 2), ['n1', 'Unknown']);
      assert.equal(t.body.rows[0].cells[5], '0/?');
    }),
  );

  it(
    'streams watch events whose objects are one-row Tables',
    withRest(async ({ base, client }) => {
      await client.create(job('a'));
      const res = await fetch(`${base}${JOBS}?watch=true`, { headers: { accept: TABLE_ACCEPT } });
      const events = new NdjsonReader(res);
      const first = await events.next();
      assert.equal(first.type, 'ADDED');
      assert.equal(first.object.kind, 'Table');
      assert.equal(first.object.rows.length, 1);
      assert.equal(first.object.rows[0].cells[0], 'a');
      assert.equal(first.object.rows[0].object.metadata.name, 'a');
      await client.delete('Job', 'default', 'a');
      const deleted = await events.next();
      assert.equal(deleted.type, 'DELETED');
      assert.equal(deleted.object.rows[0].cells[0], 'a');
      await events.cancel();
    }),
  );
});
