// The schema files are valid JSON Schema 2020-12 (checked here, so the runtime can
// skip compiling the meta-schema).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type * as Ajv2020Module from 'ajv/dist/2020.js';
import { describe, it } from 'node:test';
import { loadSchemas } from '../../../../pkg/api/validation/schemas.js';

const require = createRequire(import.meta.url);

describe('manifests/crds', () => {
  it('are valid JSON Schema draft 2020-12 documents', () => {
    const { Ajv2020 } = require('ajv/dist/2020.js') as typeof Ajv2020Module;
    const ajv = new Ajv2020({ strict: false });
    for (const [file, schema] of loadSchemas()) {
      assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema', file);
      assert.equal(schema.$id, `https://jobctl.dev/schemas/${file}`, file);
      assert.ok(ajv.validateSchema(schema), `${file}: ${ajv.errorsText(ajv.errors)}`);
    }
  });

  it('refuse unknown fields in every object schema', () => {
    const open: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as Record<string, unknown>;
      if (n.properties !== undefined && n.additionalProperties !== false) open.push(path);
      for (const [k, v] of Object.entries(n)) walk(v, `${path}/${k}`);
    };
    for (const [file, schema] of loadSchemas()) walk(schema, file);
    assert.deepEqual(open, []);
  });
});
