// fast-get.ts: `jobctl get ...` parsed without yargs must behave exactly like
// the yargs command (same output, errors, exit code and connection), and
// anything it cannot read for sure must be left to yargs (undefined).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Connection } from '../../../pkg/cli/contexts.js';
import { parseFastGet, runFastGet } from '../../../pkg/cli/fast-get.js';
import { runCli } from '../../../pkg/cli/register.js';
import type { CliDeps } from '../../../pkg/cli/verbs/deps.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import { API_VERSION } from '../../../pkg/store/index.js';
import { T0, TestClock, tempDir } from './helpers.js';

/** A client with a few Jobs in two namespaces (kept open across verbs). */
async function seeded() {
  const tc = newTestClient({ clock: new TestClock(T0) });
  tc.client.close = () => {};
  const job = (name: string, namespace: string, labels: Record<string, string>) =>
    tc.client.create({
      apiVersion: API_VERSION,
      kind: 'Job',
      metadata: { name, namespace, labels },
      spec: { command: ['echo', name] },
    });
  await job('hello', 'default', { app: 'hello', tier: 'x' });
  await job('batch', 'default', { app: 'batch' });
  await job('other', 'team-a', { app: 'hello' });
  return tc;
}

type Outcome = { out: string; err: string; code: number | undefined; conns: Connection[] };

function deps(tc: Awaited<ReturnType<typeof seeded>>, res: Outcome): CliDeps {
  const config = join(tempDir(), 'none.yaml');
  return {
    connect: async (conn) => {
      res.conns.push(conn);
      return tc.client;
    },
    stdout: {
      write: (s: string) => {
        res.out += s;
        return true;
      },
    },
    stderr: {
      write: (s: string) => {
        res.err += s;
        return true;
      },
    },
    isTTY: false,
    clock: tc.clock,
    env: { JOBCTL_CONFIG: config },
    exit: (c) => {
      res.code = c;
    },
  };
}

const empty = (): Outcome => ({ out: '', err: '', code: undefined, conns: [] });

async function viaYargs(argv: string[]): Promise<Outcome> {
  const tc = await seeded();
  const res = empty();
  await runCli(argv, deps(tc, res));
  return res;
}

async function viaFastPath(argv: string[]): Promise<Outcome> {
  const args = parseFastGet(argv);
  assert.ok(args, `the fast path should take: ${argv.join(' ')}`);
  const tc = await seeded();
  const res = empty();
  await runFastGet(deps(tc, res), args);
  return res;
}

describe('parseFastGet', () => {
  const same = [
    ['get', 'jobs'],
    ['get', 'jobs', '-o', 'name'],
    ['get', 'jobs', '--output=json'],
    ['get', 'jobs', '-o', 'yaml', 'hello'],
    ['get', 'jobs', 'hello', 'batch', '-o', 'wide'],
    ['get', 'job', 'missing'],
    ['get', 'jobs', '-A'],
    ['get', 'jobs', '-Ao', 'name'],
    ['get', 'jobs', '--all-namespaces', '-o', 'name'],
    ['get', 'jobs', '-n', 'team-a'],
    ['get', 'jobs', '--namespace', 'nope'],
    ['get', 'jobs', '-l', 'app=hello'],
    ['get', 'jobs', '--selector', 'app in (hello,batch),!tier', '-o', 'name'],
    ['get', 'jobs', '-l', 'app=='],
    ['get', 'jobs', '--field-selector', 'metadata.name=batch', '-o', 'name'],
    ['get', 'jobs', '--chunk-size', '1', '-o', 'name'],
    ['get', 'jobs', '--consistency', 'stale'],
    ['get', 'jobs', '--consistency', 'bogus'],
    ['get', 'bogus'],
    ['get', 'runs'],
    ['get', 'events', '--for', 'job/hello'],
    ['get', 'events', '-A', '--for', 'node/node-1', '-o', 'wide'],
    ['get', 'jobs', '--no-color'],
    ['get', 'jobs', '--no-watch', '-o', 'name'],
    ['get', 'jobs', '--color'],
    ['--server', '10.0.0.1:7000,10.0.0.2:7000', 'get', 'jobs'],
    ['get', 'jobs', '--server=127.0.0.1:1', '--token', 't', '--context', 'nope'],
    ['get', 'jobs', '--server', 'not-an-address'],
  ];
  for (const argv of same) {
    it(`matches yargs: ${argv.join(' ')}`, async () => {
      const [a, b] = [await viaYargs(argv), await viaFastPath(argv)];
      assert.deepEqual(b, a);
    });
  }

  const fallback = [
    [],
    ['apply', '-f', 'x.yaml'],
    ['describe', 'job', 'get'],
    ['get'],
    ['get', '--help'],
    ['get', 'jobs', '-h'],
    ['get', 'jobs', '--bogus'],
    ['get', 'jobs', '-o'],
    ['get', 'jobs', '-ojson'],
    ['get', 'jobs', '-n=x'],
    ['get', 'jobs', '-o', 'json', '-o', 'yaml'],
    ['get', 'jobs', '-w', 'false'],
    ['get', 'jobs', '--watch=true'],
    ['get', 'jobs', '--', 'x'],
    ['get', 'jobs', '-l', '-x'],
    ['get', 'jobs', '--chunk-size', '1e3'],
    ['get', 'jobs', '--color', '--no-color'],
    ['get', 'jobs', '--allNamespaces'],
  ];
  for (const argv of fallback) {
    it(`leaves to yargs: ${argv.join(' ') || '(nothing)'}`, () => {
      assert.equal(parseFastGet(argv), undefined);
    });
  }

  it('reads watch flags and numbers like yargs', () => {
    assert.deepEqual(parseFastGet(['get', 'jobs', '-w', '--watch-only', '--chunk-size', '7']), {
      kind: 'jobs',
      names: [],
      watch: true,
      watchOnly: true,
      chunkSize: 7,
    });
    assert.deepEqual(parseFastGet(['get', 'jobs', 'a', '--no-color']), {
      kind: 'jobs',
      names: ['a'],
      color: false,
    });
  });
});
