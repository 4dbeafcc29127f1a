// OpenAPI from manifests/crds, as kubectl reads it: the v3 index and group
// document (schemas with x-kubernetes-group-version-kind and descriptions,
// PATCH with fieldValidation and merge patches only), and v2 as JSON or as
// gnostic protobuf.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { toOpenApi } from '../../../../pkg/api/rest/openapi-schemas.js';
import { API, call, withRest } from './helpers.js';

const GVK_JOB = { group: 'jobctl.dev', version: 'v1', kind: 'Job' };

/** The top-level fields of a protobuf message: field number → raw values. */
function fields(bytes: Uint8Array): Map<number, Uint8Array[]> {
  const out = new Map<number, Uint8Array[]>();
  const r = new BinaryReader(bytes);
  while (r.pos < r.len) {
    const [no, type] = r.tag();
    assert.equal(type, WireType.LengthDelimited, `field ${no} is length-delimited`);
    out.set(no, [...(out.get(no) ?? []), r.bytes()]);
  }
  return out;
}

describe('OpenAPI schemas from the CRDs', () => {
  it('inlines references, turns const into enum and type lists into Kubernetes forms', () => {
    const s = toOpenApi(
      {
        type: 'object',
        properties: {
          kind: { type: 'string', const: 'Job' },
          cpu: { type: ['string', 'number'], description: 'CPU' },
          ttl: { type: ['integer', 'null'] },
          command: { type: ['string', 'array'], items: { type: 'string' } },
          labels: {
            type: 'object',
            propertyNames: { format: 'x' },
            additionalProperties: { type: 'string' },
          },
        },
        additionalProperties: false,
      },
      'job.json',
    );
    const props = s.properties as Record<string, Record<string, unknown>>;
    assert.deepEqual(props.kind, { type: 'string', enum: ['Job'] });
    assert.deepEqual(props.cpu, { description: 'CPU', 'x-kubernetes-int-or-string': true });
    assert.deepEqual(props.ttl, { type: 'integer', nullable: true });
    assert.deepEqual(props.command, { items: { type: 'string' } });
    assert.deepEqual(props.labels, { type: 'object', additionalProperties: { type: 'string' } });
    assert.equal(s.additionalProperties, undefined, 'implied beside properties');
  });
});

describe('REST OpenAPI', () => {
  it(
    'indexes v3 and serves the group document with GVKs, descriptions and PATCH parameters',
    withRest(async ({ base }) => {
      const index = await call(`${base}/openapi/v3`);
      assert.equal(index.status, 200);
      const url = index.body.paths['apis/jobctl.dev/v1'].serverRelativeURL as string;
      assert.match(url, /^\/openapi\/v3\/apis\/jobctl\.dev\/v1\?hash=[0-9A-F]+$/);
      const doc = (await call(`${base}${url}`)).body;
      assert.equal(doc.openapi, '3.0.0');
      const job = doc.components.schemas['dev.jobctl.v1.Job'];
      assert.deepEqual(job['x-kubernetes-group-version-kind'], [GVK_JOB]);
      assert.match(job.properties.spec.properties.completions.description, /must succeed/);
      assert.equal(job.properties.spec.properties.completions.type, 'integer');
      assert.equal(job.properties.metadata.properties.name.type, 'string', 'references inlined');
      const item = doc.paths[`${API}/namespaces/{namespace}/jobs/{name}`];
      assert.deepEqual(item.patch['x-kubernetes-group-version-kind'], GVK_JOB);
      assert.equal(item.patch['x-kubernetes-action'], 'patch');
      assert.ok(
        item.patch.parameters.some(
          (p: { name: string; in: string }) => p.name === 'fieldValidation' && p.in === 'query',
        ),
      );
      assert.deepEqual(Object.keys(item.patch.requestBody.content).sort(), [
        'application/json-patch+json',
        'application/merge-patch+json',
      ]);
      assert.ok(doc.paths[`${API}/nodes/{name}/status`].patch, 'cluster-scoped kinds and /status');
    }),
  );

  it(
    'serves v2 as JSON, and as protobuf when asked',
    withRest(async ({ base }) => {
      const json = await call(`${base}/openapi/v2`);
      assert.equal(json.body.swagger, '2.0');
      assert.deepEqual(
        json.body.definitions['dev.jobctl.v1.Job']['x-kubernetes-group-version-kind'],
        [GVK_JOB],
      );
      const patch = json.body.paths[`${API}/namespaces/{namespace}/jobs/{name}`].patch;
      assert.ok(patch.parameters.some((p: { name: string }) => p.name === 'fieldValidation'));

      const res = await fetch(`${base}/openapi/v2`, {
        headers: { accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf' },
      });
      assert.match(res.headers.get('content-type') ?? '', /protobuf/);
      const doc = fields(new Uint8Array(await res.arrayBuffer()));
      // Document: swagger = 1, info = 2, paths = 8, definitions = 9.
      assert.equal(new TextDecoder().decode(doc.get(1)?.[0]), '2.0');
      const paths = fields(doc.get(8)?.[0] ?? new Uint8Array());
      const names = (paths.get(2) ?? []).map((p) =>
        new TextDecoder().decode(fields(p).get(1)?.[0]),
      );
      assert.ok(names.includes(`${API}/namespaces/{namespace}/jobs/{name}`));
      const definitions = fields(doc.get(9)?.[0] ?? new Uint8Array()).get(1) ?? [];
      assert.equal(definitions.length, Object.keys(json.body.definitions).length);
    }),
  );
});
