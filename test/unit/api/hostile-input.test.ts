// Hostile input, checked where it enters (issue 7, item 5):
//   - a YAML billion-laughs document and a huge document are refused, by the
//     parser and through REST (POST /api/apply), with one clear line;
//   - names and namespaces with path syntax (../, /) are refused by admission,
//     and Run log files are addressed by uid, never by a name;
//   - command and env are never interpreted by the node's shell: the process
//     runtime spawns argv without a shell, the docker runtime passes Cmd as an
//     array and Env verbatim (a string command is sh -c INSIDE the container).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runLogPath } from '../../../pkg/agent/paths.js';
import { ApiService } from '../../../pkg/api/service.js';
import { MAX_MANIFEST_BYTES, parseManifests } from '../../../pkg/api/validation/index.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import { createOptions, DEFAULT_SANDBOX } from '../../../pkg/runtime/docker/create-options.js';
import { ProcessRuntime, type RunContainerSpec } from '../../../pkg/runtime/index.js';
import { API_VERSION, type ResourceInput } from '../../../pkg/store/index.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import { newRunUid, readText, waitFor } from '../runtime/contract.js';
import { call, startRest } from './rest/helpers.js';

/** The classic: 9 levels of 9 aliases, ~10^9 "lol"s once expanded. */
const BILLION_LAUGHS = [
  'apiVersion: jobctl.dev/v1',
  'kind: Job',
  'metadata: {name: lol}',
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ...'bcdefghi'
    .split('')
    .map((l, i) => `${l}: &${l} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
  'spec: {command: *i}',
].join('\n');

describe('hostile manifests', () => {
  it('refuses a YAML billion-laughs document at once, with one line', () => {
    const t0 = performance.now();
    const r = parseManifests(BILLION_LAUGHS, 'lol.yaml');
    const ms = performance.now() - t0;
    console.log(`billion laughs refused in ${ms.toFixed(1)} ms`);
    assert.deepEqual(r.manifests, []);
    assert.deepEqual(r.errors, [
      'lol.yaml:1:1: document 1 uses YAML aliases too heavily (more than 100 expansions); refusing a possible alias bomb',
    ]);
  });

  it('refuses a document over the size limit before parsing it', () => {
    const huge = `apiVersion: jobctl.dev/v1\nkind: Job\nmetadata: {name: big}\nspec:\n  command: ["${'x'.repeat(MAX_MANIFEST_BYTES)}"]\n`;
    const r = parseManifests(huge, 'big.yaml');
    assert.deepEqual(r.manifests, []);
    assert.equal(r.errors.length, 1);
    assert.match(
      r.errors[0]!,
      /^big\.yaml: manifest is \d+ bytes, over the limit of 1048576 bytes \(1 MiB\)$/,
    );
  });

  it('REST refuses both: 400 for the bomb, 413 for the huge body', async () => {
    const h = await startRest();
    try {
      const bomb = await call(`${h.base}/api/apply`, {
        method: 'POST',
        raw: BILLION_LAUGHS,
        contentType: 'application/yaml',
      });
      assert.equal(bomb.status, 400, JSON.stringify(bomb.body));
      assert.equal(bomb.body.reason, 'BadRequest');
      assert.match(bomb.body.message, /alias bomb/);
      assert.doesNotMatch(bomb.body.message, /\n/);
      const huge = await call(`${h.base}/api/apply`, {
        method: 'POST',
        raw: 'x'.repeat(2 * MAX_MANIFEST_BYTES),
        contentType: 'application/yaml',
      });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.kind, 'Status');
    } finally {
      await h.close();
    }
  });
});

describe('name and path injection', () => {
  const obj = (kind: string, name: string, namespace = 'default'): ResourceInput => ({
    apiVersion: API_VERSION,
    kind,
    metadata: { name, namespace },
    spec:
      kind === 'Run'
        ? { jobName: 'j', jobUid: 'u', attempt: 0, nodeName: '', container: {} }
        : { command: ['true'] },
  });

  it('admission refuses names and namespaces with path syntax, for every kind', async () => {
    const t = newTestClient();
    const api = new ApiService({ inner: t.client, defaultImage: 'busybox:latest' });
    const cases: [string, string, string, string][] = [
      ['Job', '../etc', 'default', 'metadata.name'],
      ['Run', 'a/b', 'default', 'metadata.name'],
      ['Run', 'ok', '../../tmp', 'metadata.namespace'],
      ['Job', '..', 'default', 'metadata.name'],
      ['SandboxPolicy', 'p', 'x/..', 'metadata.namespace'],
    ];
    for (const [kind, name, ns, path] of cases) {
      await assert.rejects(api.create(obj(kind, name, ns)), (err: unknown) => {
        assert.ok(err instanceof JobctlError, String(err));
        assert.equal(err.reason, Reason.Invalid);
        assert.match(err.message, new RegExp(`${path.replace('.', '\\.')}: .*DNS-1123`));
        return true;
      });
    }
    assert.equal((await t.client.list('runs')).items.length, 0);
  });

  it('reads are refused too: a name with a slash never reaches a file', async () => {
    const h = await startRest();
    try {
      for (const path of [
        '/apis/jobctl.dev/v1/namespaces/..%2F..%2Fetc/runs/passwd/log',
        '/apis/jobctl.dev/v1/namespaces/default/runs/..%2F..%2Fetc%2Fpasswd/log',
      ]) {
        const r = await call(`${h.base}${path}`);
        assert.ok(r.status === 400 || r.status === 404, `${path}: ${r.status}`);
        assert.equal(r.body.kind, 'Status');
      }
    } finally {
      await h.close();
    }
  });

  it('user input echoed in errors is quoted: a refusal stays one line (found by the fuzz test)', async () => {
    const t = newTestClient();
    const probes: Promise<unknown>[] = [
      t.client.list('\n\nx'),
      t.client.get('jobs', 'default', 'a\nb'),
      t.client.list('jobs', { labelSelector: 'a in (\n' }),
      t.client.list('jobs', { continue: '\n' }),
    ];
    for (const p of probes) {
      await assert.rejects(p, (err: unknown) => {
        assert.ok(err instanceof JobctlError, String(err));
        assert.doesNotMatch(err.message, /\n/, err.message);
        return true;
      });
    }
    t.client.close();
  });

  it('log files are addressed by uid; a path-like uid is refused', () => {
    assert.equal(runLogPath('/data', 'a1b2-c3'), join('/data', 'logs', 'a1b2-c3.log'));
    for (const bad of ['../x', 'a/b', '', '.hidden', 'x'.repeat(200), 'a\0b']) {
      assert.throws(() => runLogPath('/data', bad), /invalid run uid/, bad);
    }
  });
});

describe('command and env never reach the node shell', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jobctl-hostile-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('process runtime: argv is passed as is, without a shell', async () => {
    const pwned = join(dir, 'pwned');
    const runUid = newRunUid();
    const spec: RunContainerSpec = {
      image: 'ignored',
      imagePullPolicy: 'IfNotPresent',
      command: ['echo', `$(touch ${pwned})`, ';', 'touch', pwned, '`id`', '$HOME'],
      env: [{ name: 'X', value: `$(touch ${pwned})` }],
      resources: { cpu: '500m', memory: '256Mi' },
      sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
      runUid,
      logPath: join(dir, 'logs', `${runUid}.log`),
    };
    const rt = new ProcessRuntime({ dataDir: dir });
    try {
      const { containerId } = await rt.start(spec);
      await rt.wait(containerId);
      const out = await waitFor('output', async () => (await readText(spec.logPath!)) || undefined);
      assert.equal(out.trim(), `$(touch ${pwned}) ; touch ${pwned} \`id\` $HOME`);
      assert.equal(existsSync(pwned), false, 'nothing was run by a shell on the node');
    } finally {
      await rt.close();
    }
  });

  it('docker runtime: Cmd is the argv array and Env is verbatim', () => {
    const opts = createOptions(
      {
        image: 'busybox:latest',
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c', 'echo $X; rm -rf /'],
        env: [{ name: 'X', value: '$(id); `id`' }],
        resources: { cpu: '500m', memory: '256Mi' },
        sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
        runUid: 'u1',
      },
      'c1',
      {},
      DEFAULT_SANDBOX,
    );
    // The string form was turned into sh -c by admission: the shell runs inside the container.
    assert.deepEqual(opts.Cmd, ['sh', '-c', 'echo $X; rm -rf /']);
    assert.deepEqual(opts.Env, ['X=$(id); `id`']);
    assert.equal(opts.Entrypoint, undefined);
  });
});
