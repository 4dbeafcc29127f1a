// Every JobctlError reason maps to its HTTP status as a Kubernetes Status;
// malformed, oversized and slow requests get their own answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REASON_HTTP_CODES, errorFromStatus } from '../../../../pkg/api/rest/index.js';
import type { ResourceClient } from '../../../../pkg/client/types.js';
import { JobctlError, Reason } from '../../../../pkg/util/errors.js';
import { API, assertStatus, call, job, stubClient, withRest } from './helpers.js';

const JOBS = `${API}/namespaces/default/jobs`;

const throwing = (reason: Reason, message: string): Partial<ResourceClient> => {
  const fail = async (): Promise<never> => {
    throw new JobctlError(reason, message);
  };
  return { get: fail, create: fail, list: fail, apply: fail, update: fail, delete: fail };
};

describe('REST errors', () => {
  it(
    'maps Invalid from the service to 422 with every message',
    withRest(
      async ({ base }) => {
        const r = await call(`${base}${JOBS}`, { method: 'POST', body: job('a') });
        assertStatus(r, 422, 'Invalid', /spec.completions: must be >= 1; spec.image: required/);
      },
      {
        client: stubClient(
          throwing(Reason.Invalid, 'Job "a": spec.completions: must be >= 1; spec.image: required'),
        ),
      },
    ),
  );

  for (const [reason, code] of Object.entries(REASON_HTTP_CODES)) {
    it(
      `maps ${reason} to ${code}`,
      withRest(
        async ({ base, logs }) => {
          const r = await call(`${base}${JOBS}/a`);
          // Kubernetes calls a too-old version Expired (client-go relists on it).
          assertStatus(r, code, reason === 'Gone' ? 'Expired' : reason, /^boom$/);
          if (code === 429) {
            assert.equal(r.headers.get('retry-after'), '1');
            assert.deepEqual(r.body.details, { retryAfterSeconds: 1 });
          }
          if (code === 500) assert.ok(logs.some((l) => l.level === 'error'));
        },
        { client: stubClient(throwing(reason as Reason, 'boom')) },
      ),
    );
  }

  it(
    'hides unexpected errors (500, no stack) and logs them',
    withRest(
      async ({ base, logs }) => {
        const r = await call(`${base}${JOBS}/a`);
        assertStatus(r, 500, 'Internal');
        assert.doesNotMatch(JSON.stringify(r.body), /secret|at .*\.js/);
        assert.equal(logs.length, 1);
        assert.match(String(logs[0]?.fields?.error), /TypeError: secret detail/);
      },
      {
        client: stubClient({
          get: async () => {
            throw new TypeError('secret detail');
          },
        }),
      },
    ),
  );

  it(
    'answers malformed JSON and YAML with 400 and the parse error',
    withRest(async ({ base }) => {
      assertStatus(
        await call(`${base}${JOBS}`, { method: 'POST', raw: '{"metadata": {' }),
        400,
        'BadRequest',
        /not valid JSON/,
      );
      assertStatus(
        await call(`${base}${JOBS}`, { method: 'POST', raw: '[1,2]' }),
        400,
        'BadRequest',
        /must be a JSON object/,
      );
      assertStatus(
        await call(`${base}${JOBS}`, {
          method: 'POST',
          raw: 'metadata:\n  name: a\n   bad: [',
          contentType: 'application/yaml',
        }),
        400,
        'BadRequest',
        /not valid YAML: request body:\d+:\d+/,
      );
      assertStatus(
        await call(`${base}${JOBS}`, {
          method: 'POST',
          raw: 'metadata: {name: a}\n---\nmetadata: {name: b}\n',
          contentType: 'application/yaml',
        }),
        400,
        'BadRequest',
        /2 objects/,
      );
      assertStatus(
        await call(`${base}${JOBS}`, { method: 'POST', raw: 'name=a', contentType: 'text/plain' }),
        415,
        'UnsupportedMediaType',
      );
      assertStatus(
        await call(`${base}${JOBS}`, { method: 'POST', raw: '' }),
        400,
        'BadRequest',
        /needs a body/,
      );
    }),
  );

  it(
    'refuses a body over 1 MiB with 413',
    withRest(async ({ base, test }) => {
      const big = JSON.stringify({ ...job('a'), padding: 'x'.repeat(1024 * 1024) });
      assertStatus(
        await call(`${base}${JOBS}`, { method: 'POST', raw: big }),
        413,
        'RequestEntityTooLarge',
      );
      assert.equal(test!.store.stats().objects.Job, 0);
      // The connection and server are fine afterwards.
      assert.equal((await call(`${base}${JOBS}`)).status, 200);
    }),
  );

  it(
    'answers 504 when a call does not complete within the request timeout',
    withRest(
      async ({ base }) => {
        assertStatus(await call(`${base}${JOBS}/a`), 504, 'Timeout', /did not complete/);
      },
      { client: stubClient({ get: () => new Promise(() => {}) }), requestTimeoutMs: 50 },
    ),
  );

  it('turns a Status back into the JobctlError it came from', () => {
    const e = errorFromStatus({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'jobs "x" not found',
      reason: 'NotFound',
      code: 404,
    });
    assert.ok(e instanceof JobctlError);
    assert.equal(e.reason, 'NotFound');
    assert.equal(e.message, 'jobs "x" not found');
    const bad = errorFromStatus({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'too big',
      reason: 'RequestEntityTooLarge',
      code: 413,
    });
    assert.equal(bad.reason, 'Invalid');
  });
});
