// hack/bench/compare.ts without etcd or jobd: its flags and the size of its writes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareOptions, writeFor } from '../../../hack/bench/compare.js';
import { JobctlError } from '../../../pkg/util/errors.js';

describe('compare bench options', () => {
  it('defaults to 64 clients, 10 s runs, 256-byte writes, 2 rounds, 4 channels', () => {
    assert.deepEqual(compareOptions([], {}), {
      clients: 64,
      durationMs: 10_000,
      valueBytes: 256,
      rounds: 2,
      channels: 4,
      runJobs: false,
    });
  });

  it('takes flags in both spellings over the environment', () => {
    const o = compareOptions(
      ['compare', '--clients', '8', '--duration-ms=2500', '--value-bytes', '1024'],
      { BENCH_CLIENTS: '16', BENCH_ROUNDS: '3' },
    );
    assert.equal(o.clients, 8);
    assert.equal(o.durationMs, 2500);
    assert.equal(o.valueBytes, 1024);
    assert.equal(o.rounds, 3);
  });

  it('refuses a bad number with one line naming the flag', () => {
    for (const args of [
      ['--clients', 'many'],
      ['--clients', '0'],
      ['--duration-ms', '1.5'],
    ]) {
      assert.throws(
        () => compareOptions(args, {}),
        (err: unknown) =>
          err instanceof JobctlError &&
          err.reason === 'Invalid' &&
          err.message.startsWith(`${args[0]} (or BENCH_`) &&
          !err.message.includes('\n'),
      );
    }
  });

  it('refuses a value size below the smallest Job manifest', () => {
    assert.throws(() => compareOptions(['--value-bytes', '10'], {}), /at least \d+/);
  });
});

describe('compare bench writes', () => {
  it('are exactly --value-bytes of JSON for every client, key and sequence number', () => {
    for (const [clients, valueBytes, runJobs] of [
      [64, 256, false],
      [1, 200, true],
      [1000, 4096, false],
    ] as const) {
      const o = compareOptions(
        [
          '--clients',
          String(clients),
          '--value-bytes',
          String(valueBytes),
          ...(runJobs ? ['--run-jobs'] : []),
        ],
        {},
      );
      assert.equal(o.runJobs, runJobs);
      for (const c of [0, clients - 1]) {
        for (const seq of [0, 7, 999, 1000, 123_456_789]) {
          const { key, job } = writeFor(o, c, seq);
          assert.equal(Buffer.byteLength(JSON.stringify(job)), valueBytes);
          assert.equal(job.metadata.name, key);
          assert.equal((job as { spec: { suspend: boolean } }).spec.suspend, !runJobs);
        }
      }
    }
  });

  it('cycle over 1000 keys per client and change the manifest on every write', () => {
    const o = compareOptions([], {});
    assert.equal(writeFor(o, 3, 5).key, writeFor(o, 3, 1005).key);
    assert.notEqual(writeFor(o, 3, 5).key, writeFor(o, 4, 5).key);
    assert.notDeepEqual(writeFor(o, 3, 5).job, writeFor(o, 3, 1005).job);
  });
});
