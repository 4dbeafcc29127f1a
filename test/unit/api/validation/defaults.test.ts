// Defaults are filled in and shorthands normalized to one canonical form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatValidationErrors,
  ManifestInvalidError,
  mustValidateManifest,
  validateManifest,
} from '../../../../pkg/api/validation/index.js';
import { cronJob, job, withFields, type Obj } from './helpers.js';

function valid(obj: unknown, namespace?: string): Obj {
  const r = validateManifest(obj, namespace === undefined ? {} : { namespace });
  assert.ok(
    r.ok,
    r.ok ? '' : formatValidationErrors(r.source, r.kind, r.name, r.errors).join('\n'),
  );
  return r.object;
}

const DEFAULT_SPEC = {
  imagePullPolicy: 'IfNotPresent',
  resources: { cpu: '500m', memory: '256Mi' },
  completions: 1,
  parallelism: 1,
  backoffLimit: 3,
  priority: 0,
  suspend: false,
  sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
};

describe('defaults', () => {
  it('fills in every Job default (image is left to the server)', () => {
    assert.deepEqual(valid(job()), {
      apiVersion: 'jobctl.dev/v1',
      kind: 'Job',
      metadata: { name: 'hello', namespace: 'default' },
      spec: { image: 'busybox:latest', command: ['echo', 'hello'], ...DEFAULT_SPEC },
    });
    const noImage = valid(withFields(job(), { 'spec.image': undefined }));
    assert.equal((noImage.spec as Obj).image, undefined);
  });

  it('keeps given values and fills only the missing nested ones', () => {
    const obj = valid(
      withFields(job(), { 'spec.resources': { cpu: 2 }, 'spec.sandbox': { network: 'bridge' } }),
    );
    const spec = obj.spec as Obj;
    assert.deepEqual(spec.resources, { cpu: '2', memory: '256Mi' });
    assert.deepEqual(spec.sandbox, {
      network: 'bridge',
      readOnlyRootFilesystem: true,
      user: '65534:65534',
    });
  });

  it('uses the namespace option only when metadata.namespace is absent', () => {
    assert.equal((valid(job(), 'team-a').metadata as Obj).namespace, 'team-a');
    const explicit = withFields(job(), { 'metadata.namespace': 'prod' });
    assert.equal((valid(explicit, 'team-a').metadata as Obj).namespace, 'prod');
  });

  it('fills CronJob defaults and its template Job defaults', () => {
    const spec = valid(cronJob()).spec as Obj;
    assert.equal(spec.concurrencyPolicy, 'Allow');
    assert.equal(spec.suspend, false);
    assert.equal(spec.successfulJobsHistoryLimit, 3);
    assert.equal(spec.failedJobsHistoryLimit, 1);
    assert.deepEqual((spec.jobTemplate as Obj).spec, { command: ['true'], ...DEFAULT_SPEC });
  });

  it('fills Node spec defaults', () => {
    const node = valid({ apiVersion: 'jobctl.dev/v1', kind: 'Node', metadata: { name: 'n1' } });
    assert.deepEqual(node.spec, { unschedulable: false });
  });

  it('does not mutate its input', () => {
    const input = job();
    const before = structuredClone(input);
    valid(input);
    assert.deepEqual(input, before);
  });
});

describe('normalization', () => {
  it('turns a command string into sh -c', () => {
    const spec = valid(withFields(job(), { 'spec.command': 'echo $HOME && ls' })).spec as Obj;
    assert.deepEqual(spec.command, ['sh', '-c', 'echo $HOME && ls']);
  });

  it('stores both env forms as the same ordered list of {name, value}', () => {
    const fromMap = valid(withFields(job(), { 'spec.env': { B: 'two', A: 1, C: true } }))
      .spec as Obj;
    const fromList = valid(
      withFields(job(), {
        'spec.env': [
          { name: 'B', value: 'two' },
          { name: 'A', value: '1' },
          { name: 'C', value: 'true' },
        ],
      }),
    ).spec as Obj;
    const expected = [
      { name: 'B', value: 'two' },
      { name: 'A', value: '1' },
      { name: 'C', value: 'true' },
    ];
    assert.deepEqual(fromMap.env, expected);
    assert.deepEqual(fromList.env, expected);
  });

  it('defaults a missing env value to the empty string', () => {
    const spec = valid(withFields(job(), { 'spec.env': [{ name: 'EMPTY' }] })).spec as Obj;
    assert.deepEqual(spec.env, [{ name: 'EMPTY', value: '' }]);
  });

  it('writes quantities in canonical form', () => {
    const cases: [unknown, unknown, string, string][] = [
      [0.5, '1Gi', '500m', '1Gi'],
      ['1', 268435456, '1', '256Mi'],
      ['1500m', '128M', '1500m', '128M'],
      [2, '1000000000', '2', '1G'],
    ];
    for (const [cpu, memory, wantCpu, wantMemory] of cases) {
      const spec = valid(withFields(job(), { 'spec.resources': { cpu, memory } })).spec as Obj;
      assert.deepEqual(
        spec.resources,
        { cpu: wantCpu, memory: wantMemory },
        `${String(cpu)} ${String(memory)}`,
      );
    }
  });

  it('normalizes the CronJob template too', () => {
    const obj = valid(
      withFields(cronJob(), {
        'spec.jobTemplate.spec.command': 'date',
        'spec.jobTemplate.spec.env': { X: 1 },
      }),
    );
    const spec = ((obj.spec as Obj).jobTemplate as Obj).spec as Obj;
    assert.deepEqual(spec.command, ['sh', '-c', 'date']);
    assert.deepEqual(spec.env, [{ name: 'X', value: '1' }]);
  });

  it('is idempotent: validating the output again changes nothing', () => {
    const once = valid(
      withFields(job(), {
        'spec.command': 'x',
        'spec.env': { A: 'b' },
        'spec.resources': { cpu: 0.25 },
      }),
    );
    assert.deepEqual(valid(once), once);
  });

  it('mustValidateManifest throws ManifestInvalidError with reason Invalid and every line', () => {
    const bad = withFields(job(), { 'spec.completions': 0, 'spec.foo': 1 });
    assert.throws(
      () => mustValidateManifest(bad, { source: 'a.yaml' }),
      (err: unknown) =>
        err instanceof ManifestInvalidError &&
        err.reason === 'Invalid' &&
        err.message ===
          'a.yaml: Job "hello": spec.foo: unknown field "foo"\na.yaml: Job "hello": spec.completions: must be >= 1',
    );
  });
});
