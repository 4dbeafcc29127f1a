// DELETE and POST as Kubernetes clients send them: DeleteOptions with
// propagationPolicy (Orphan refused, not ignored), dryRun in the body, a
// Success Status; POST ?dryRun=All writes nothing and still answers
// AlreadyExists for a taken name; fieldValidation values are checked.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { API, assertStatus, call, job, withRest } from './helpers.js';

const JOBS = `${API}/namespaces/default/jobs`;

describe('REST DELETE and POST, Kubernetes style', () => {
  it(
    'takes propagationPolicy Background/Foreground, refuses Orphan, honours dryRun',
    withRest(async ({ base, client }) => {
      await client.create(job('a'));
      assertStatus(
        await call(`${base}${JOBS}/a`, {
          method: 'DELETE',
          body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' },
        }),
        422,
        'Invalid',
        /Orphan is not supported/,
      );
      assertStatus(
        await call(`${base}${JOBS}/a?propagationPolicy=Sideways`, { method: 'DELETE' }),
        400,
        'BadRequest',
      );
      const dry = await call(`${base}${JOBS}/a`, {
        method: 'DELETE',
        body: { kind: 'DeleteOptions', dryRun: ['All'], propagationPolicy: 'Foreground' },
      });
      assert.equal(dry.status, 200);
      assert.equal(dry.body.status, 'Success');
      assert.equal((await call(`${base}${JOBS}/a`)).status, 200, 'a dry run deletes nothing');
      const done = await call(`${base}${JOBS}/a?propagationPolicy=Background`, {
        method: 'DELETE',
      });
      assert.equal(done.body.status, 'Success');
      assert.equal(done.body.details.name, 'a');
      assert.equal((await call(`${base}${JOBS}/a`)).status, 404);
    }),
  );

  it(
    'creates with 201, dry-runs a create without writing, checks fieldValidation',
    withRest(async ({ base, client }) => {
      const dry = await call(`${base}${JOBS}?dryRun=All`, { method: 'POST', body: job('a') });
      assert.equal(dry.status, 201);
      assert.equal(dry.body.metadata.name, 'a');
      assert.equal((await call(`${base}${JOBS}/a`)).status, 404, 'nothing written');
      const made = await call(`${base}${JOBS}?fieldValidation=Strict`, {
        method: 'POST',
        body: job('a'),
      });
      assert.equal(made.status, 201);
      assertStatus(
        await call(`${base}${JOBS}?dryRun=All`, { method: 'POST', body: job('a') }),
        409,
        'AlreadyExists',
        /jobs "a" already exists/,
      );
      assertStatus(
        await call(`${base}${JOBS}?fieldValidation=Loose`, { method: 'POST', body: job('b') }),
        400,
        'BadRequest',
        /fieldValidation/,
      );
      assert.equal((await client.list('Job', { namespace: 'default' })).items.length, 1);
    }),
  );
});
