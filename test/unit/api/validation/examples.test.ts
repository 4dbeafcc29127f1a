// Every example manifest must parse and validate: they are what the README runs.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  formatValidationErrors,
  parseManifests,
  validateManifest,
} from '../../../../pkg/api/validation/index.js';
import { repoRoot } from './helpers.js';

const dir = join(repoRoot(), 'manifests', 'examples');
const files = readdirSync(dir)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort();

describe('manifests/examples', () => {
  it('contains the documented examples', () => {
    for (const f of [
      'cronjob.yaml',
      'deadline.yaml',
      'hello.yaml',
      'node-selector.yaml',
      'parallel-batch.yaml',
      'retry-on-failure.yaml',
    ]) {
      assert.ok(files.includes(f), `missing ${f}`);
    }
  });
  for (const file of files) {
    it(`${file} validates`, () => {
      const parsed = parseManifests(readFileSync(join(dir, file)), file);
      assert.deepEqual(parsed.errors, []);
      assert.ok(parsed.manifests.length > 0);
      for (const m of parsed.manifests) {
        const r = validateManifest(m.object, { source: file });
        assert.deepEqual(r.ok ? [] : formatValidationErrors(file, r.kind, r.name, r.errors), []);
        assert.equal(
          r.ok && r.object.kind === 'Job'
            ? (r.object.spec as { image?: string }).image
            : 'busybox:latest',
          'busybox:latest',
        );
      }
    });
  }
});
