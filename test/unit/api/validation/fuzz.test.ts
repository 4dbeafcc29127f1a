// Hostile and random input never makes validation throw: it only returns errors,
// and every error names a path.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseManifests, validateManifest } from '../../../../pkg/api/validation/index.js';
import { formatPath } from '../../../../pkg/api/validation/paths.js';
import { job, withFields } from './helpers.js';

function checkResult(r: ReturnType<typeof validateManifest>): void {
  if (r.ok) return;
  assert.ok(r.errors.length > 0);
  for (const e of r.errors) {
    assert.equal(typeof e.path, 'string');
    assert.ok(e.message.length > 0);
  }
}

describe('fuzzing', () => {
  it('validateManifest never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => checkResult(validateManifest(v))),
      { numRuns: 300 },
    );
  });

  it('validateManifest never throws on arbitrary values under a Job skeleton', () => {
    const anyValue = fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withTypedArray: true,
    });
    fc.assert(
      fc.property(anyValue, anyValue, anyValue, (metadata, spec, status) => {
        checkResult(
          validateManifest({ apiVersion: 'jobctl.dev/v1', kind: 'Job', metadata, spec, status }),
        );
        checkResult(
          validateManifest({ apiVersion: 'jobctl.dev/v1', kind: 'CronJob', metadata, spec }),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('parseManifests never throws on arbitrary strings or bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.uint8Array()), (text) => {
        const r = parseManifests(text, 'fuzz.yaml');
        for (const e of r.errors) assert.ok(e.startsWith('fuzz.yaml'), e);
        for (const m of r.manifests) checkResult(validateManifest(m.object));
      }),
      { numRuns: 500 },
    );
  });

  it('parseManifests never throws on YAML-looking text', () => {
    const token = fc.constantFrom(
      'a',
      'kind',
      ':',
      ' ',
      '\n',
      '- ',
      '---\n',
      '&x ',
      '*x',
      '[',
      ']',
      '{',
      '}',
      ',',
      '"',
      "'",
      '!',
      '#',
      '|',
      '>',
      '  ',
      '\t',
      '? ',
      '%YAML 1.2\n',
      '@',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => {
        const r = parseManifests(tokens.join(''), 'fuzz.yaml');
        for (const m of r.manifests) checkResult(validateManifest(m.object));
      }),
      { numRuns: 500 },
    );
  });

  // Fields whose schema type is a scalar: an object or array there is always wrong.
  const scalarFields = [
    'metadata.name',
    'metadata.namespace',
    'spec.image',
    'spec.imagePullPolicy',
    'spec.workingDir',
    'spec.completions',
    'spec.parallelism',
    'spec.backoffLimit',
    'spec.activeDeadlineSeconds',
    'spec.ttlSecondsAfterFinished',
    'spec.priority',
    'spec.suspend',
    'spec.resources.cpu',
    'spec.resources.memory',
    'spec.sandbox.network',
    'spec.sandbox.readOnlyRootFilesystem',
    'spec.sandbox.user',
  ];

  it('a wrong-typed value anywhere in a valid Job is reported at its path', () => {
    const wrong = fc.oneof(
      fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
      fc.array(fc.jsonValue(), { maxLength: 3 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...scalarFields), wrong, (path, value) => {
        const r = validateManifest(withFields(job(), { [path]: value }));
        assert.equal(r.ok, false);
        assert.ok(
          r.errors.some((e) => e.path === path),
          `${path}: ${JSON.stringify(r.errors)}`,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('an unknown field anywhere in a valid Job is reported with its path', () => {
    const known = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status', '__proto__']);
    const parents = ['', 'metadata', 'spec', 'spec.resources', 'spec.sandbox'];
    fc.assert(
      fc.property(
        fc.constantFrom(...parents),
        fc.string({ minLength: 1 }).filter((k) => !known.has(k) && !k.includes('.')),
        fc.jsonValue(),
        (parent, key, value) => {
          const base = withFields(job(), {
            'spec.resources': { cpu: '1' },
            'spec.sandbox': { network: 'none' },
          });
          const target =
            parent === ''
              ? base
              : parent
                  .split('.')
                  .reduce<Record<string, unknown>>((o, k) => o[k] as Record<string, unknown>, base);
          if (key in target) return;
          target[key] = value;
          const r = validateManifest(base);
          const want = formatPath([...(parent === '' ? [] : parent.split('.')), key]);
          assert.equal(r.ok, false);
          assert.ok(
            r.errors.some(
              (e) => e.path === want && e.message === `unknown field ${JSON.stringify(key)}`,
            ),
            `${want}: ${JSON.stringify(r.errors)}`,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
