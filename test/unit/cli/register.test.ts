// register.ts: the verbs reached through real argv parsing (yargs, the same
// root the jobctl binary uses), with the connection resolved from
// flags/env/contexts and the client injected.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Connection } from '../../../pkg/cli/contexts.js';
import { runCli } from '../../../pkg/cli/register.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import { StringOut, T0, TestClock, jobYaml, tempDir } from './helpers.js';

async function cli(argv: string[], vars: Record<string, string> = {}, stdin = '') {
  const tc = newTestClient({ clock: new TestClock(T0) });
  return cliWith(tc, argv, vars, stdin);
}

async function cliWith(
  tc: ReturnType<typeof newTestClient>,
  argv: string[],
  vars: Record<string, string> = {},
  stdin = '',
) {
  const out = new StringOut();
  const err = new StringOut();
  const conns: Connection[] = [];
  let code: number | undefined;
  await runCli(argv, {
    connect: async (conn) => {
      conns.push(conn);
      return tc.client;
    },
    stdout: out,
    stderr: err,
    isTTY: false,
    clock: tc.clock,
    env: { JOBCTL_CONFIG: join(tempDir(), 'none.yaml'), ...vars },
    readStdin: async () => stdin,
    exit: (c) => {
      code = c;
    },
  });
  // The client outlives the verb in these tests (the real one is closed per command).
  return { out: out.text, err: err.text, code, conns, tc };
}

describe('registerResourceVerbs', () => {
  it('runs apply -f - and get jobs through argv', async () => {
    const tc = newTestClient({ clock: new TestClock(T0) });
    tc.client.close = () => {};
    const a = await cliWith(tc, ['apply', '-f', '-'], {}, jobYaml('hello'));
    assert.deepEqual([a.code, a.out, a.err], [0, 'job.jobctl.dev/hello created\n', '']);
    const g = await cliWith(tc, ['get', 'jobs', '-o', 'name']);
    assert.deepEqual([g.code, g.out], [0, 'job.jobctl.dev/hello\n']);
    assert.deepEqual(g.conns[0]?.servers, ['127.0.0.1:50051']);
    assert.equal(g.conns[0]?.namespace, 'default');
  });

  it('passes run flags and the command after --', async () => {
    const r = await cli([
      'run',
      'hi',
      '--image',
      'busybox',
      '--env',
      'A=1',
      '--completions',
      '2',
      '-l',
      'x=y',
      '-o',
      'json',
      '--',
      'echo',
      '-n',
      'hello',
    ]);
    assert.equal(r.code, 0, r.err);
    const job = JSON.parse(r.out);
    assert.deepEqual(job.spec.command, ['echo', '-n', 'hello']);
    assert.deepEqual(job.spec.env, [{ name: 'A', value: '1' }]);
    assert.equal(job.spec.completions, 2);
    assert.deepEqual(job.metadata.labels, { x: 'y' });
  });

  it('refuses a global flag the command does not act on, before connecting', async () => {
    const cases: [string[], string][] = [
      [['describe', 'job', 'x', '-o', 'json'], 'jobctl describe does not take -o, --output'],
      [['delete', 'job', 'x', '-A'], 'jobctl delete does not take -A, --all-namespaces'],
      [['node', 'drain', 'n1', '-o', 'yaml'], 'jobctl node drain does not take -o, --output'],
      [['dev', 'up', '--server', 'a:1'], 'jobctl dev up does not take --server'],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(argv);
      assert.deepEqual(
        [r.code, r.err, r.conns.length],
        [2, `error: ${message}\n`, 0],
        argv.join(' '),
      );
    }
    // The verbs that read them still take them, and --color is never refused.
    const g = await cli(['get', 'jobs', '-A', '-o', 'name', '--no-color']);
    assert.equal(g.code, 0, g.err);
    const d = await cli(['delete', 'job', 'x', '--no-color']);
    assert.deepEqual([d.code, d.err], [1, 'Error from server (NotFound): jobs "x" not found\n']);
  });

  it('refuses a server address that is not HOST:PORT, naming where it came from', async () => {
    const cases: [string[], Record<string, string>, string][] = [
      [['get', 'jobs', '--server', 'nonsense'], {}, '--server: expected HOST:PORT, got "nonsense"'],
      [
        ['describe', 'job', 'x'],
        { JOBCTL_SERVER: 'a:1,b:99999' },
        '$JOBCTL_SERVER: expected HOST:PORT, got "b:99999"',
      ],
      [['get', 'jobs', '--server', ','], {}, '--server must name at least one HOST:PORT'],
    ];
    for (const [argv, vars, message] of cases) {
      const r = await cli(argv, vars);
      assert.deepEqual(
        [r.code, r.err, r.conns.length],
        [2, `error: ${message}\n`, 0],
        argv.join(' '),
      );
    }
    const ok = await cli(['get', 'jobs', '--server', '[::1]:50051,host-1.example:1']);
    assert.deepEqual(ok.conns[0]?.servers, ['[::1]:50051', 'host-1.example:1']);
  });

  it('takes the server from --server, then $JOBCTL_SERVER, and -n as explicit', async () => {
    const a = await cli(['get', 'jobs', '--server', 'a:1,b:2', '-n', 'team']);
    assert.deepEqual(a.conns[0]?.servers, ['a:1', 'b:2']);
    assert.equal(a.conns[0]?.namespace, 'team');
    assert.equal(a.conns[0]?.namespaceExplicit, true);
    assert.equal(a.err, 'No resources found in team namespace.\n');
    const b = await cli(['get', 'jobs'], { JOBCTL_SERVER: 'c:3' });
    assert.deepEqual(b.conns[0]?.servers, ['c:3']);
  });

  it('uses the current context for servers and namespace', async () => {
    const path = join(tempDir(), 'config.yaml');
    const vars = { JOBCTL_CONFIG: path };
    assert.equal(
      (
        await cli(
          ['config', 'set-context', 'dev', '--server', 'n1:1,n2:2', '--namespace', 'dev'],
          vars,
        )
      ).code,
      0,
    );
    assert.equal((await cli(['config', 'use-context', 'dev'], vars)).code, 0);
    const g = await cli(['get', 'jobs'], vars);
    assert.deepEqual(g.conns[0]?.servers, ['n1:1', 'n2:2']);
    assert.equal(g.conns[0]?.namespace, 'dev');
    assert.equal(g.conns[0]?.namespaceExplicit, false);
  });

  it('maps an unknown -o to exit 2 and a missing job to exit 1', async () => {
    const o = await cli(['get', 'jobs', '-o', 'xml']);
    assert.equal(o.code, 2);
    const w = await cli(['wait', 'job/nope', '--for=condition=Complete']);
    assert.deepEqual([w.code, w.err], [1, 'Error from server (NotFound): jobs "nope" not found\n']);
  });

  it('prints a completion script', async () => {
    const logs: string[] = [];
    const log = console.log;
    console.log = (...args: unknown[]) => logs.push(args.join(' '));
    try {
      await cli(['completion']);
    } finally {
      console.log = log;
    }
    assert.match(logs.join('\n'), /--get-yargs-completions/);
  });
});
