// The REST routes the dashboard needs: POST /api/apply (pasted YAML, field-path
// causes on a 422) and .../runs/{name}/log, .../jobs/{name}/log (streamed text).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiService } from '../../../../pkg/api/index.js';
import type { LogsClient, LogsOptions } from '../../../../pkg/client/types.js';
import { newTestClient } from '../../../../pkg/client/testing.js';
import { JobctlError, Reason } from '../../../../pkg/util/errors.js';
import { API, assertStatus, call, stubClient, withRest } from './helpers.js';

const jobYaml = (name: string, extra = ''): string => `apiVersion: jobctl.dev/v1
kind: Job
metadata:
  name: ${name}
spec:
  image: busybox:latest
  command: [echo, hi]
${extra}`;

/** The REST app over ApiService (admission and validation, as on a node). */
const withApi = (fn: Parameters<typeof withRest>[0]): (() => Promise<void>) =>
  withRest(fn, { client: new ApiService({ inner: newTestClient().client }) });

describe('POST /api/apply', () => {
  it(
    'applies every document, into ?namespace when the object names none',
    withApi(async ({ base, client }) => {
      const text = `${jobYaml('a')}---\n${jobYaml('b')}`;
      const r = await call(`${base}/api/apply?namespace=team`, {
        method: 'POST',
        raw: text,
        contentType: 'application/yaml',
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.kind, 'ApplyResultList');
      assert.deepEqual(
        r.body.items.map((i: { outcome: string }) => i.outcome),
        ['created', 'created'],
      );
      assert.equal((await client.get('Job', 'team', 'b')).metadata.name, 'b');
      const again = await call(`${base}/api/apply?namespace=team`, { method: 'POST', raw: text });
      assert.equal(again.body.items[0].outcome, 'unchanged');
    }),
  );

  it(
    'answers 422 with each field error as a cause',
    withApi(async ({ base, client }) => {
      const r = await call(`${base}/api/apply`, {
        method: 'POST',
        raw: jobYaml('bad', '  completions: 0\n  parallelism: -1\n'),
        contentType: 'application/yaml',
      });
      assertStatus(r, 422, 'Invalid', /spec\.completions/);
      assert.equal(r.body.details.kind, 'Job');
      assert.equal(r.body.details.name, 'bad');
      const fields = r.body.details.causes.map((c: { field: string }) => c.field).sort();
      assert.deepEqual(fields, ['spec.completions', 'spec.parallelism']);
      assert.equal(r.body.details.causes[0].reason, 'FieldValueInvalid');
      await assert.rejects(client.get('Job', 'default', 'bad'), /not found/);
    }),
  );

  it(
    'names the document of several that was refused',
    withApi(async ({ base }) => {
      const r = await call(`${base}/api/apply`, {
        method: 'POST',
        raw: `${jobYaml('ok1')}---\n${jobYaml('bad2', '  completions: 0\n')}`,
      });
      assertStatus(r, 422, 'Invalid', /^document 2: /);
      assert.equal(r.body.details.causes[0].field, 'spec.completions');
    }),
  );

  it(
    'refuses text that is not YAML with its line and column, and an empty body',
    withApi(async ({ base }) => {
      assertStatus(
        await call(`${base}/api/apply`, { method: 'POST', raw: 'a: [\n' }),
        400,
        'BadRequest',
        /manifest:\d+:\d+/,
      );
      assertStatus(
        await call(`${base}/api/apply`, { method: 'POST', raw: '' }),
        400,
        'BadRequest',
        /holds no object/,
      );
    }),
  );
});

describe('GET .../log', () => {
  const seen: LogsOptions[] = [];
  const logsClient: LogsClient = {
    saveCopy: () => Promise.reject(new Error('not used')),
    async *logs(opts: LogsOptions) {
      seen.push(opts);
      if (opts.run === 'missing')
        throw new JobctlError(Reason.NotFound, 'runs "missing" not found');
      yield new TextEncoder().encode('first\n');
      yield new TextEncoder().encode('second\n');
    },
  };

  it(
    "streams a Run's output as text with follow and tailLines passed on",
    withRest(
      async ({ base }) => {
        seen.length = 0;
        const res = await fetch(
          `${base}${API}/namespaces/ns1/runs/r-0/log?follow=true&tailLines=5`,
        );
        assert.equal(res.status, 200);
        assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
        assert.equal(await res.text(), 'first\nsecond\n');
        assert.equal(seen[0]?.namespace, 'ns1');
        assert.equal(seen[0]?.run, 'r-0');
        assert.equal(seen[0]?.follow, true);
        assert.equal(seen[0]?.tail, 5);
      },
      { logs: logsClient },
    ),
  );

  it(
    "serves a Job's latest Run by the Job's name",
    withRest(
      async ({ base }) => {
        seen.length = 0;
        const res = await fetch(`${base}${API}/namespaces/default/jobs/hello/log`);
        assert.equal(await res.text(), 'first\nsecond\n');
        assert.equal(seen[0]?.job, 'hello');
        assert.equal(seen[0]?.follow, false);
      },
      { logs: logsClient },
    ),
  );

  it(
    'answers a Status when the Run is missing or the server has no logs',
    withRest(
      async ({ base }) => {
        assertStatus(
          await call(`${base}${API}/namespaces/default/runs/missing/log`),
          404,
          'NotFound',
          /missing/,
        );
        assertStatus(
          await call(`${base}${API}/namespaces/default/runs/x/log?tailLines=abc`),
          400,
          'BadRequest',
          /tailLines/,
        );
      },
      { logs: logsClient },
    ),
  );

  it(
    'answers 404 when the app has no logs service',
    withRest(
      async ({ base }) => {
        assertStatus(
          await call(`${base}${API}/namespaces/default/runs/x/log`),
          404,
          'NotFound',
          /logs are not served/,
        );
      },
      { client: stubClient() },
    ),
  );
});
