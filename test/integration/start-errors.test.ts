// jobd start-up failures through the real process: each is one line
// `jobd: ...` on stderr and exit 1 (no JSON log record, no stack trace), and
// a node that cannot start changes nothing it did not own: a join whose port
// is taken asks no cluster anything.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePorts, jobdPath } from '../../pkg/node/local-cluster.js';

interface Exit {
  readonly code: number;
  readonly stderr: string;
}

function jobd(args: readonly string[]): Promise<Exit> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [jobdPath(), '--runtime', 'fake', ...args],
      { timeout: 60_000 },
      (err, _stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stderr }),
    );
  });
}

/** The stderr of a failed start is exactly one `jobd: ` line (log lines of what did start aside). */
function failureLine(r: Exit): string {
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{"level":"info"'));
  assert.equal(lines.length, 1, `one line, got:\n${r.stderr}`);
  assert.match(lines[0] as string, /^jobd: /);
  return lines[0] as string;
}

/** Arguments of a one-node cluster bootstrapped on `listenPort`. */
function bootstrap(listenPort: number, dataDir: string, ...more: string[]): string[] {
  const listen = `127.0.0.1:${listenPort}`;
  return [
    '--id',
    '1',
    '--listen',
    listen,
    '--peers',
    `1=${listen}`,
    '--data-dir',
    dataDir,
    ...more,
  ];
}

/** Arguments of node 4 joining through `joinAddrs`. */
function joiner(listenPort: number, joinAddrs: string, dataDir: string): string[] {
  return [
    '--id',
    '4',
    '--listen',
    `127.0.0.1:${listenPort}`,
    '--join',
    joinAddrs,
    '--data-dir',
    dataDir,
  ];
}

/** Holds a port the way another program would. */
function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('jobd start-up failures: one line, exit 1', { timeout: 300_000 }, () => {
  let dir: string;
  let held: Server;
  let heldPort: number;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobctl-start-errors-'));
    [heldPort] = (await freePorts(1)) as [number];
    held = await holdPort(heldPort);
  });

  after(async () => {
    await new Promise<void>((r) => held?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('--join where nobody answers names the addresses and why', async () => {
    const [own, a, b] = (await freePorts(3)) as [number, number, number];
    const dataDir = join(dir, 'join-nobody');
    const one = failureLine(await jobd(joiner(own, `127.0.0.1:${a}`, dataDir)));
    assert.equal(
      one,
      `jobd: cannot join 127.0.0.1:${a}: no member answers (connect ECONNREFUSED 127.0.0.1:${a})`,
    );
    const two = failureLine(await jobd(joiner(own, `127.0.0.1:${a},127.0.0.1:${b}`, dataDir)));
    assert.equal(
      two,
      `jobd: cannot join 127.0.0.1:${a},127.0.0.1:${b}: no member answers ` +
        `(127.0.0.1:${a}: connect ECONNREFUSED 127.0.0.1:${a}; 127.0.0.1:${b}: connect ECONNREFUSED 127.0.0.1:${b})`,
    );
  });

  it('--join with its own port taken fails before asking the cluster', async () => {
    // The join address answers nothing either: the port check must come first.
    const [other] = (await freePorts(1)) as [number];
    const line = failureLine(
      await jobd(joiner(heldPort, `127.0.0.1:${other}`, join(dir, 'join-port'))),
    );
    assert.equal(
      line,
      `jobd: cannot listen on 127.0.0.1:${heldPort} (--listen): address already in use (EADDRINUSE)`,
    );
  });

  it('a taken --listen or --http port', async () => {
    const [own] = (await freePorts(1)) as [number];
    const grpcTaken = failureLine(await jobd(bootstrap(heldPort, join(dir, 'listen-taken'))));
    assert.equal(
      grpcTaken,
      `jobd: cannot listen on 127.0.0.1:${heldPort} (--listen): address already in use (EADDRINUSE)`,
    );
    const httpTaken = failureLine(
      await jobd(bootstrap(own, join(dir, 'http-taken'), '--http', `127.0.0.1:${heldPort}`)),
    );
    assert.equal(
      httpTaken,
      `jobd: cannot listen on 127.0.0.1:${heldPort} (--http): address already in use (EADDRINUSE)`,
    );
  });

  it('a data directory that cannot be one', async () => {
    const [own] = (await freePorts(1)) as [number];
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a directory\n');
    const line = failureLine(await jobd(bootstrap(own, join(file, 'data'))));
    assert.equal(
      line,
      `jobd: cannot use --data-dir ${join(file, 'data')}: a path component is not a directory (ENOTDIR)`,
    );
  });

  it('bad TLS files are refused as usage errors (exit 2), one line', async () => {
    const [own] = (await freePorts(1)) as [number];
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'garbage\n');
    const r = await jobd(
      bootstrap(own, join(dir, 'tls'), '--tls-ca', junk, '--tls-cert', junk, '--tls-key', junk),
    );
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `jobd: --tls-ca ${junk}: not a PEM file\n`);
  });
});
