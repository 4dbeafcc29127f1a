// `jobctl dev up` as a new user meets it: the real CLI starting real jobd
// children. A port it needs already taken is one stderr line naming the port
// and the flags that move the cluster, exit 1, and no node started; a node
// dying during start-up stops every other node it started (their ports are
// free again) with exit 1; SIGTERM stops every node and exits 0.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { firstPortInUse } from '../../pkg/node/local-cluster.js';
import { CliRunner } from '../support/cli.js';
import { eventually } from '../support/eventually.js';

/** A base port with `n` consecutive ports free on 127.0.0.1. */
async function freeRange(n: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const ports = Array.from({ length: n }, (_, i) => base + i);
    if ((await firstPortInUse(ports)) === undefined) return base;
  }
  throw new Error('no free port range found');
}

/** `jobctl dev up` with 3 nodes on fixed ports (http -1: no REST). */
function devUpArgs(base: number, http: number, dir: string): string[] {
  const ports = ['--base-port', String(base), '--http-base-port', String(http)];
  return ['dev', 'up', '--nodes', '3', ...ports, '--dir', dir];
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('jobctl dev up fails fast and cleans up', { timeout: 300_000 }, () => {
  let dir: string;
  let cli: CliRunner;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-devup-'));
    cli = new CliRunner({ server: '127.0.0.1:1', dir });
  });
  after(() => {
    cli.killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a taken port in one line, starts nothing, exits 1', async () => {
    const base = await freeRange(3);
    const blocker = await listen(base + 1);
    try {
      const r = await cli.run(devUpArgs(base, -1, join(dir, 'taken')));
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /^[^\n]+\n$/, `one line: ${JSON.stringify(r.stderr)}`);
      assert.match(r.stderr, new RegExp(`port ${base + 1} .*node 2's gRPC port`));
      assert.match(r.stderr, /--base-port N/);
      assert.match(r.stderr, /--http-base-port N/);
      assert.doesNotMatch(r.stdout, /listening/);
      // Node 1 and 3's ports were never taken.
      assert.equal(await firstPortInUse([base, base + 2]), undefined);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('a node that dies during start-up stops the others; exit 1', async () => {
    const base = await freeRange(3);
    const devDir = join(dir, 'broken');
    mkdirSync(devDir, { recursive: true });
    // Node 2's data directory is a file: that node cannot start.
    writeFileSync(join(devDir, 'node-2'), 'not a directory');
    const r = await cli.run(devUpArgs(base, -1, devDir), 120_000);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /^error: node 2 exited with code 1 during start-up/);
    assert.match(r.stderr, /every node started was stopped\n$/);
    assert.equal(r.stderr.split('\n').length, 2, r.stderr);
    assert.equal(await firstPortInUse([base, base + 2]), undefined, 'nodes 1 and 3 stopped');
  });

  it('SIGTERM stops every node it started and exits 0', async () => {
    const base = await freeRange(3);
    const http = await freeRange(3);
    const p = cli.start(devUpArgs(base, http, join(dir, 'ok')));
    await p.waitForLines((ls) => ls.some((l) => l.startsWith('leader elected')), 120_000, 'leader');
    const ports = [base, base + 1, base + 2, http, http + 1, http + 2];
    // A leader needs only 2 of the 3 nodes: the third may still be binding its ports.
    await eventually(
      'every node listening',
      async () => {
        for (const port of ports)
          if ((await firstPortInUse([port])) === undefined) return undefined;
        return true;
      },
      60_000,
    );
    p.proc.kill('SIGTERM');
    const r = await p.exited;
    assert.equal(r.code, 0, p.describe());
    assert.match(r.stdout, /stopped\n$/);
    await eventually(
      'every port free again',
      async () => ((await firstPortInUse(ports)) === undefined ? true : undefined),
      30_000,
    );
  });
});
