// exitAfterOutput: a CLI process whose stdout is a pipe its reader has not
// drained yet exits only once its output has left the process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitAfterOutput, type OutputStream } from '../../../pkg/util/exit.js';

const exitModule = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'pkg',
  'util',
  'exit.js',
);

/** 1 MiB to stdout, a marker line to stderr, then exit with code 3 the given way. */
function childScript(how: 'process.exit' | 'exitAfterOutput'): string {
  return `
    import { exitAfterOutput } from ${JSON.stringify(exitModule)};
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 16; i++) process.stdout.write(chunk);
    process.stderr.write('queued\\n');
    ${how === 'process.exit' ? 'process.exit(3)' : 'exitAfterOutput(3)'};
  `;
}

/**
 * Runs the child, reading its stdout only once it says all is queued (so the
 * pipe is full and the rest waits inside the child); resolves to the bytes
 * read and the exit code.
 */
function runChild(
  how: 'process.exit' | 'exitAfterOutput',
): Promise<{ bytes: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', childScript(how)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause();
    let bytes = 0;
    child.stdout.on('data', (b: Buffer) => (bytes += b.length));
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      if (stderr.includes('queued\n')) child.stdout.resume();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ bytes, code }));
  });
}

describe('exitAfterOutput', () => {
  it('a child whose stdout pipe is not read yet still delivers all 1 MiB, then exits with its code', async () => {
    const { bytes, code } = await runChild('exitAfterOutput');
    assert.equal(code, 3);
    assert.equal(bytes, 16 * 64 * 1024);
  });

  it('(the problem it solves: process.exit there drops what was queued)', async () => {
    const { bytes, code } = await runChild('process.exit');
    assert.equal(code, 3);
    assert.ok(bytes < 16 * 64 * 1024, `process.exit delivered all ${bytes} bytes`);
  });

  it('exits at once when nothing is queued, and waits for every stream that has bytes queued', () => {
    const exits: number[] = [];
    const idle: OutputStream = { writableLength: 0, write: () => assert.fail('no write needed') };
    exitAfterOutput(0, [idle, idle], (c) => exits.push(c));
    assert.deepEqual(exits, [0]);

    const callbacks: (() => void)[] = [];
    const busy: OutputStream = {
      writableLength: 10,
      write: (_chunk, cb) => {
        callbacks.push(() => cb());
        return false;
      },
    };
    exitAfterOutput(1, [busy, idle, busy], (c) => exits.push(c));
    assert.equal(callbacks.length, 2);
    callbacks[0]!();
    assert.deepEqual(exits, [0], 'one stream still has bytes queued');
    callbacks[1]!();
    assert.deepEqual(exits, [0, 1]);
  });
});
