// apply: outcomes, immutable fields and --force, multi-doc files, directories
// with -R, stdin, client-side validation, dry runs, prune and --wait.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { runApply, type ApplyOptions } from '../../../pkg/cli/verbs/apply.js';
import { env, failed, jobYaml, setJobStatus, succeeded, tempDir } from './helpers.js';

const base = { namespace: 'default' };
const apply = (o: Partial<ApplyOptions> & { filenames: string[] }) => ({ ...base, ...o });

describe('apply', () => {
  it('prints created, then unchanged, then configured for a changed parallelism', async () => {
    const e = env();
    const dir = tempDir({ 'job.yaml': jobYaml('hello') });
    const f = join(dir, 'job.yaml');
    assert.equal(await e.run((d) => runApply(apply({ filenames: [f] }), d)), 0);
    assert.equal(e.out.text, 'job.jobctl.dev/hello created\n');
    e.reset();
    assert.equal(await e.run((d) => runApply(apply({ filenames: [f] }), d)), 0);
    assert.equal(e.out.text, 'job.jobctl.dev/hello unchanged\n');
    e.reset();
    const g = join(tempDir({ 'job.yaml': jobYaml('hello', { parallelism: 3 }) }), 'job.yaml');
    assert.equal(await e.run((d) => runApply(apply({ filenames: [g] }), d)), 0);
    assert.equal(e.out.text, 'job.jobctl.dev/hello configured\n');
    assert.equal(e.err.text, '');
  });

  it('refuses a changed image (exit 1) and recreates with --force', async () => {
    const e = env();
    const f = join(tempDir({ 'a.yaml': jobYaml('hello') }), 'a.yaml');
    const g = join(tempDir({ 'a.yaml': jobYaml('hello', { image: 'alpine:3' }) }), 'a.yaml');
    await e.run((d) => runApply(apply({ filenames: [f] }), d));
    const uid = (await e.client.get('job', 'default', 'hello')).metadata.uid;
    e.reset();
    assert.equal(await e.run((d) => runApply(apply({ filenames: [g] }), d)), 1);
    assert.equal(e.out.text, '');
    assert.equal(
      e.err.text,
      'Error from server (Invalid): Job "hello" is invalid: spec.image: field is immutable (use --force to recreate)\n',
    );
    e.reset();
    assert.equal(await e.run((d) => runApply(apply({ filenames: [g], force: true }), d)), 0);
    assert.equal(e.out.text, 'job.jobctl.dev/hello configured\n');
    const now = await e.client.get('job', 'default', 'hello');
    assert.notEqual(now.metadata.uid, uid);
    assert.equal((now.spec as { image: string }).image, 'alpine:3');
  });

  it('applies every document of a file, directories with -R, and stdin', async () => {
    const e = env({ stdin: jobYaml('from-stdin') });
    const dir = tempDir({
      'multi.yaml': `${jobYaml('a')}---\n${jobYaml('b')}`,
      'notes.txt': 'not a manifest',
      'sub/c.yml': jobYaml('c'),
      'sub/deeper/d.json': JSON.stringify({
        apiVersion: 'jobctl.dev/v1',
        kind: 'Job',
        metadata: { name: 'd' },
        spec: { image: 'busybox', command: 'echo d' },
      }),
    });
    assert.equal(await e.run((d) => runApply(apply({ filenames: [dir] }), d)), 0);
    assert.equal(e.out.text, 'job.jobctl.dev/a created\njob.jobctl.dev/b created\n');
    e.reset();
    assert.equal(
      await e.run((d) => runApply(apply({ filenames: [dir, '-'], recursive: true }), d)),
      0,
    );
    assert.equal(
      e.out.text,
      [
        'job.jobctl.dev/a unchanged',
        'job.jobctl.dev/b unchanged',
        'job.jobctl.dev/c created',
        'job.jobctl.dev/d created',
        'job.jobctl.dev/from-stdin created',
        '',
      ].join('\n'),
    );
  });

  it('reports every validation error at once and writes nothing', async () => {
    const e = env();
    const dir = tempDir({
      'job.yaml': `${jobYaml('hello', { completions: 0, parallelism: -1 })}---\n${jobYaml('ok')}`,
      'bad.yaml': 'apiVersion: jobctl.dev/v1\nkind: Job\nmetadata:\n  name: x\n  name: y\n',
    });
    const code = await e.run((d) =>
      runApply(apply({ filenames: [join(dir, 'job.yaml'), join(dir, 'bad.yaml')] }), d),
    );
    assert.equal(code, 1);
    assert.equal(e.out.text, '');
    const lines = e.err.text.trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 2), [
      `${join(dir, 'job.yaml')}: Job "hello": spec.completions: must be >= 1`,
      `${join(dir, 'job.yaml')}: Job "hello": spec.parallelism: must be >= 1`,
    ]);
    assert.match(
      lines[2] ?? '',
      new RegExp(`^${join(dir, 'bad.yaml')}:5:3: .*[Mm]ap keys must be unique`),
    );
    assert.equal(lines.length, 3);
    assert.equal((await e.client.list('job')).items.length, 0, 'nothing applied');
  });

  it('says which path does not exist', async () => {
    const e = env();
    assert.equal(await e.run((d) => runApply(apply({ filenames: ['/nope.yaml'] }), d)), 1);
    assert.equal(e.err.text, 'error: the path "/nope.yaml" does not exist\n');
  });

  it('dry-runs on the client and on the server without writing', async () => {
    const e = env();
    const f = join(tempDir({ 'a.yaml': jobYaml('hello') }), 'a.yaml');
    await e.run((d) => runApply(apply({ filenames: [f], dryRun: 'client' }), d));
    await e.run((d) => runApply(apply({ filenames: [f], dryRun: 'server' }), d));
    assert.equal(
      e.out.text,
      'job.jobctl.dev/hello created (dry run)\njob.jobctl.dev/hello created (server dry run)\n',
    );
    assert.equal((await e.client.list('job')).items.length, 0);
    e.reset();
    await e.run((d) => runApply(apply({ filenames: [f] }), d));
    await e.run((d) => runApply(apply({ filenames: [f], dryRun: 'client' }), d));
    assert.equal(
      e.out.text,
      'job.jobctl.dev/hello created\njob.jobctl.dev/hello unchanged (dry run)\n',
    );
  });

  it('refuses a bad --dry-run value and an unknown -o as usage errors (exit 2)', async () => {
    const e = env();
    assert.equal(await e.run((d) => runApply(apply({ filenames: ['x'], dryRun: 'maybe' }), d)), 2);
    assert.equal(await e.run((d) => runApply(apply({ filenames: ['x'], output: 'table' }), d)), 2);
    assert.equal(
      e.err.text,
      'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n' +
        'error: unable to match a printer suitable for the output format "table", allowed formats are: json,name,yaml\n',
    );
  });

  it('prunes Jobs matching -l that the files no longer name', async () => {
    const e = env();
    const both = join(
      tempDir({
        'a.yaml': `${jobYaml('a', {}, { app: 'x' })}---\n${jobYaml('b', {}, { app: 'x' })}`,
      }),
      'a.yaml',
    );
    const onlyA = join(tempDir({ 'a.yaml': jobYaml('a', {}, { app: 'x' }) }), 'a.yaml');
    const other = join(tempDir({ 'o.yaml': jobYaml('other', {}, { app: 'y' }) }), 'o.yaml');
    await e.run((d) => runApply(apply({ filenames: [both] }), d));
    await e.run((d) => runApply(apply({ filenames: [other] }), d));
    e.reset();
    assert.equal(await e.run((d) => runApply(apply({ filenames: [onlyA], prune: true }), d)), 2);
    assert.equal(
      await e.run((d) =>
        runApply(apply({ filenames: [onlyA], prune: true, selector: 'app=x' }), d),
      ),
      0,
    );
    assert.equal(e.out.text, 'job.jobctl.dev/a unchanged\njob.jobctl.dev/b pruned\n');
    const names = (await e.client.list('job')).items.map((o) => o.metadata.name);
    assert.deepEqual(names, ['a', 'other']);
  });

  it('--wait exits 0 when the applied Job succeeds and 4 when it fails', async () => {
    for (const [status, code, line] of [
      [succeeded(), 0, 'job.jobctl.dev/hello succeeded\n'],
      [
        failed(),
        4,
        'error: job.jobctl.dev/hello failed: BackoffLimitExceeded: Job has reached the specified backoff limit\n',
      ],
    ] as const) {
      const e = env();
      const f = join(tempDir({ 'a.yaml': jobYaml('hello') }), 'a.yaml');
      const done = e.run((d) => runApply(apply({ filenames: [f], wait: true }), d));
      await e.out.waitFor('created\n');
      await setJobStatus(e.client, 'hello', { phase: 'Running', active: 1 });
      await setJobStatus(e.client, 'hello', status);
      assert.equal(await done, code);
      assert.equal(e.out.text + e.err.text, `job.jobctl.dev/hello created\n${line}`);
    }
  });

  it('--wait=TIMEOUT exits 5 when the Job does not finish in time', async () => {
    const e = env();
    const f = join(tempDir({ 'a.yaml': jobYaml('slow') }), 'a.yaml');
    const armed = e.clock.nextTimer();
    const done = e.run((d) =>
      runApply(apply({ filenames: [f], wait: true, waitTimeout: '30s' }), d),
    );
    await armed;
    e.clock.advance(30_000);
    assert.equal(await done, 5);
    assert.equal(e.err.text, 'error: timed out waiting for the condition on jobs/slow\n');
  });
});
