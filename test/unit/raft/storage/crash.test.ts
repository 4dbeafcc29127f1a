// kill -9 at arbitrary moments: every save a crashed process saw resolve must
// be there after restart, with the right data, in a consistent log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, it } from 'node:test';
import { DiskStorage } from '../../../../pkg/raft/storage/disk-storage.js';
import { SeededRng } from '../../../../pkg/util/rng.js';
import { recordingLogger, tempDir, text } from './helpers.js';

const appender = fileURLToPath(new URL('./fixtures/appender.js', import.meta.url));
const seed = Number(process.env.CRASH_SEED ?? 20240611);
const rounds = 6;

const tmp = tempDir('jobctl-crash-');
after(() => tmp.cleanup());

interface RoundResult {
  readonly acked: number;
  readonly stderr: string;
}

/**
 * Runs the appender until it has acknowledged `killAfter` saves, then kills
 * it with SIGKILL. `onLine` sees every stdout line, including those it wrote
 * between our decision and the kill.
 */
function runAndKill(
  term: number,
  killAfter: number,
  onLine: (line: string) => void,
): Promise<RoundResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--enable-source-maps', appender, tmp.dir, String(term)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let acked = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // No fixed sleeps: a watchdog only turns a hang into a failure.
    const watchdog = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`appender made no progress (acked ${acked}); stderr:\n${stderr}`));
    }, 60_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      onLine(line);
      if (line.startsWith('ack ') && ++acked === killAfter) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(watchdog);
      if (signal !== 'SIGKILL')
        reject(new Error(`appender exited (${code}) before the kill:\n${stderr}`));
      else resolve({ acked, stderr });
    });
  });
}

it(`survives kill -9 at random moments (seed ${seed}, ${rounds} rounds)`, async (t) => {
  const rng = new SeededRng(seed);
  // What the dead processes acknowledged: index -> term of the entry.
  const acked = new Map<number, number>();
  let maxTerm = 0;

  for (let round = 1; round <= rounds; round++) {
    const term = round;
    const killAfter = rng.int(20, 600);
    const result = await runAndKill(term, killAfter, (line) => {
      const [kind, a, b, c] = line.split(' ');
      if (kind === 'ow') {
        const [from, to] = [Number(a), Number(b)];
        for (const i of [...acked.keys()]) if (i >= from) acked.delete(i);
        for (let i = from; i <= to; i++) acked.set(i, Number(c));
      } else if (kind === 'ack') {
        acked.set(Number(a), Number(b));
        maxTerm = Math.max(maxTerm, Number(b));
      }
    });
    assert.ok(result.acked >= killAfter, `round ${round}: killed after ${result.acked} acks`);

    const logger = recordingLogger();
    const s = await DiskStorage.open({ dir: tmp.dir, logger });
    try {
      const snap = s.snapshot().metadata.index;
      const first = s.firstIndex();
      const last = s.lastIndex();
      const log = last >= first ? s.entries(first, last + 1, Infinity) : [];
      // The log is contiguous, terms never decrease, and every entry is intact.
      let prevTerm = s.term(first - 1);
      for (const [k, e] of log.entries()) {
        assert.equal(e.index, first + k);
        assert.ok(e.term >= prevTerm, `term goes down at ${e.index}`);
        prevTerm = e.term;
        assert.equal(text(e.data).replace(/\.+$/, ''), `e-${e.index}-${e.term}`);
      }
      // Every acknowledged entry is present (or inside the snapshot).
      for (const [index, ackedTerm] of acked) {
        if (index <= snap) continue;
        assert.ok(index <= last, `round ${round}: acknowledged index ${index} lost (last ${last})`);
        assert.equal(s.term(index), ackedTerm, `round ${round}: index ${index} has the wrong term`);
      }
      if (snap > 0) assert.equal(text(s.snapshot().data), `snap-${snap}`);
      assert.ok(s.initialState().hardState.term >= maxTerm);
      t.diagnostic(
        `round ${round}: killed after ${result.acked} acks; recovered snapshot ${snap}, log ${first}..${last}, ` +
          `${s.stats().segments} segments, ${logger.warnings.length} warnings ${logger.warnings.join(' | ')}`,
      );
    } finally {
      await s.close();
    }
  }
});
