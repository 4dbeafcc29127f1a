import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobctlError } from '../../../../pkg/util/errors.js';
import { explain, KINDS } from '../../../../pkg/api/validation/index.js';
import { loadSchemas, type SchemaNode } from '../../../../pkg/api/validation/schemas.js';

describe('explain', () => {
  it('documents a kind with its top-level fields', () => {
    const text = explain('job');
    assert.ok(
      text.startsWith(
        'KIND:       Job\nVERSION:    jobctl.dev/v1\n\nDESCRIPTION:\n    A Job runs a command',
      ),
      text,
    );
    assert.match(text, /^ {2}spec\t<Object> -required-$/m);
    assert.match(text, /^ {2}status\t<Object>$/m);
  });

  it('documents a nested field with types and defaults', () => {
    const text = explain('job.spec.resources');
    assert.match(text, /^FIELD: spec\.resources <Object>$/m);
    assert.match(text, /^ {2}cpu\t<string \| number>$/m);
    assert.match(text, /Default: 500m\./);
    assert.match(text, /Default: 256Mi\./);
  });

  it('documents a leaf field, enums and unions', () => {
    const flat = (s: string): string => s.replace(/\s+/g, ' ');
    assert.match(
      flat(explain('job.spec.imagePullPolicy')),
      /Allowed values: Always, IfNotPresent, Never\. Default: IfNotPresent\./,
    );
    assert.match(explain('job.spec.command'), /^FIELD: spec\.command <string \| \[\]string>$/m);
    assert.match(
      explain('job.spec.env'),
      /^FIELD: spec\.env <map\[string\]string \| \[\]Object>$/m,
    );
    assert.match(flat(explain('job.spec.backoffLimit')), /Default: 3\. Range: 0 to 10000\./);
  });

  it('accepts plurals, short names and any case, and walks into list items', () => {
    assert.equal(explain('Jobs.spec'), explain('job.spec'));
    assert.match(explain('cj.spec.schedule'), /^FIELD: spec\.schedule <string>$/m);
    assert.match(explain('job.spec.env.name'), /^FIELD: spec\.env\.name <string>$/m);
    assert.match(
      explain('cronjob.spec.jobTemplate.spec.resources.memory').replace(/\s+/g, ' '),
      /Docker's minimum/,
    );
  });

  it('lists nested fields with recursive', () => {
    const text = explain('job.spec', { recursive: true });
    assert.match(text, /^ {4}cpu\t<string \| number>$/m);
    assert.match(text, /^ {4}name\t<string> -required-$/m);
  });

  it('names the fields that exist when a path is wrong', () => {
    assert.throws(
      () => explain('job.spec.foo'),
      (e: unknown) =>
        e instanceof JobctlError &&
        e.reason === 'NotFound' &&
        e.message.startsWith(
          'field "foo" does not exist in job.spec; fields: activeDeadlineSeconds, backoffLimit,',
        ),
    );
    assert.throws(
      () => explain('job.spec.image.tag'),
      /field "tag" does not exist in job\.spec\.image; job\.spec\.image has no fields/,
    );
    assert.throws(
      () => explain('deployment'),
      /unknown kind "deployment" \(known kinds: clusterrolebinding, cronjob, event, job, node, queue, rolebinding, run, sandboxpolicy, token\)/,
    );
  });

  it('has a description for every field of every schema', () => {
    const missing: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (node === null || typeof node !== 'object') return;
      const n = node as SchemaNode;
      const props = n.properties as Record<string, SchemaNode> | undefined;
      for (const [key, child] of Object.entries(props ?? {})) {
        if (typeof child.description !== 'string' && typeof child.$ref !== 'string')
          missing.push(`${path}.${key}`);
        walk(child, `${path}.${key}`);
      }
      for (const key of ['$defs', 'items', 'additionalProperties']) {
        const sub = n[key];
        if (key === '$defs' && sub && typeof sub === 'object') {
          for (const [name, d] of Object.entries(sub)) walk(d, `${path}#${name}`);
        } else walk(sub, path);
      }
    };
    for (const [file, schema] of loadSchemas()) walk(schema, file);
    assert.deepEqual(missing, []);
    // Every field of every kind renders without a missing description.
    for (const kind of Object.keys(KINDS))
      assert.doesNotMatch(explain(`${kind}.spec`, {}), /<no description>/);
  });
});
