// The audit log: JSON lines in call order, rotated by size keeping N files.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { AuditLog, type AuditRecord } from '../../../pkg/auth/index.js';

const dir = mkdtempSync(join(tmpdir(), 'jobctl-audit-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const rec = (i: number): AuditRecord => ({
  time: '2026-01-01T00:00:00.000Z',
  node: 'node-1',
  protocol: 'grpc',
  user: 'ci',
  groups: [],
  via: 'token',
  verb: 'delete',
  resource: 'jobs',
  namespace: 'prod',
  name: `job-${String(i).padStart(4, '0')}`,
  result: i % 2 ? 'success' : 'failure',
  ...(i % 2 ? {} : { reason: 'Forbidden', message: 'no' }),
});

describe('AuditLog', () => {
  it('appends one JSON line per record, in order', async () => {
    const path = join(dir, 'a', 'audit.log');
    const log = new AuditLog({ path });
    await Promise.all([0, 1, 2].map((i) => log.record(rec(i))));
    await log.close();
    const lines = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.name),
      ['job-0000', 'job-0001', 'job-0002'],
    );
    assert.equal(lines[0].reason, 'Forbidden');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('rotates before exceeding maxBytes and keeps maxFiles old files', async () => {
    const path = join(dir, 'b', 'audit.log');
    const lineBytes = JSON.stringify(rec(0)).length + 1;
    const log = new AuditLog({ path, maxBytes: lineBytes * 10, maxFiles: 2 });
    for (let i = 0; i < 45; i++) await log.record(rec(i));
    await log.close();
    const files = readdirSync(join(dir, 'b')).sort();
    assert.deepEqual(files, ['audit.log', 'audit.log.1', 'audit.log.2']);
    const names = (f: string): string[] =>
      readFileSync(join(dir, 'b', f), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).name);
    // 45 lines, 10 per file: the newest 5 current, then 10 and 10; the oldest 20 gone.
    assert.deepEqual(names('audit.log'), [
      'job-0040',
      'job-0041',
      'job-0042',
      'job-0043',
      'job-0044',
    ]);
    assert.equal(names('audit.log.1')[0], 'job-0030');
    assert.equal(names('audit.log.2')[0], 'job-0020');
    for (const f of files) assert.ok(statSync(join(dir, 'b', f)).size <= lineBytes * 10);
  });

  it('a reopened log continues the size count', async () => {
    const path = join(dir, 'c', 'audit.log');
    const lineBytes = JSON.stringify(rec(0)).length + 1;
    for (let round = 0; round < 3; round++) {
      const log = new AuditLog({ path, maxBytes: lineBytes * 4, maxFiles: 1 });
      for (let i = 0; i < 3; i++) await log.record(rec(round * 3 + i));
      await log.close();
    }
    assert.ok(statSync(path).size <= lineBytes * 4);
    assert.ok(statSync(`${path}.1`).size <= lineBytes * 4);
  });

  it('a write failure never rejects and is reported once', async () => {
    const errors: unknown[] = [];
    // A directory where the file should be: every open fails.
    const log = new AuditLog({ path: dir, onError: (e) => errors.push(e) });
    await log.record(rec(1));
    await log.record(rec(2));
    await log.close();
    assert.equal(errors.length, 1);
  });
});
