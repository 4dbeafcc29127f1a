// hack/bench/write-trace.ts without jobd: the steps of a write put together
// from the lines the tracer writes in each node.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { traceBreakdown } from '../../../hack/bench/write-trace.js';

/** Writes DIR/<pid>.log from [ms after t0, event, detail] (t0 = 1e12 µs). */
function node(dir: string, pid: number, lines: [number, string, string?][]): void {
  const text = lines.map(([ms, event, detail]) => `${1e12 + ms * 1000} ${event} ${detail ?? ''}`);
  writeFileSync(join(dir, `${pid}.log`), `${text.join('\n')}\n`);
}

const call = { startUs: 1e12, endUs: 1e12 + 10_000 };

describe('write trace', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('splits a write to the leader into its steps, with the faster follower', () => {
    dir = mkdtempSync(join(tmpdir(), 'write-trace-'));
    node(dir, 1, [
      [0.5, 'api.apply>'],
      [0.7, 'batch.send>'],
      [0.8, 'ready>', 'entries=1'],
      [0.85, 'net.send>', 'app,app'],
      [0.9, 'wal>'],
      [2.0, 'net.recv', 'heartbeatResp'],
      [2.4, 'net.recv', 'appResp'],
      [2.5, 'ready>', 'entries=0'],
      [2.9, 'wal<'],
      [3.0, 'sm.apply>', 'bytes=0'],
      [3.1, 'sm.apply>', 'bytes=400'],
      [3.2, 'sm.apply<'],
      [3.3, 'api.apply<'],
    ]);
    node(dir, 2, [
      [1.0, 'net.recv', 'app'],
      [1.1, 'ready>', 'entries=1'],
      [1.2, 'wal>'],
      [2.2, 'wal<'],
      [2.3, 'net.send>', 'appResp'],
    ]);
    // The slower follower is not the one that made the entry committed.
    node(dir, 3, [
      [1.5, 'ready>', 'entries=1'],
      [1.6, 'wal>'],
      [4.0, 'wal<'],
      [4.1, 'net.send>', 'appResp'],
    ]);
    const b = traceBreakdown(dir, [call]);
    assert.equal(b.traced, 1);
    assert.equal(b.total_p50_ms, 10);
    assert.deepEqual(b.p50_ms, {
      grpc_in: 0.5,
      admit_batch: 0.2,
      to_ready: 0.1,
      leader_wal: 2,
      to_follower: 0.3,
      follower_wal: 1,
      ack_back: 0.2,
      to_apply: 0.7,
      answer: 0.2,
      grpc_out: 6.7,
    });
    // The hops between and inside the processes, with the faster follower.
    assert.deepEqual(b.hops_p50_ms, {
      msgapp_send: 0.05,
      msgapp_transit: 0.15,
      f_to_ready: 0.1,
      f_to_wal: 0.1,
      f_ack_send: 0.1,
      ack_transit: 0.1,
      ack_to_ready: 0.1,
      ready_to_apply: 0.6,
      sm_apply: 0.1,
      apply_to_answer: 0.1,
    });
  });

  it('follows a write forwarded by a follower to the leader, and answered where it arrived', () => {
    dir = mkdtempSync(join(tmpdir(), 'write-trace-'));
    // Node 2 takes the call; node 1 leads; node 3 acknowledges first.
    node(dir, 2, [
      [0.5, 'api.apply>'],
      [0.6, 'batch.send>'],
      [1.5, 'ready>', 'entries=1'],
      [1.6, 'wal>'],
      [5.0, 'wal<'],
      [6.0, 'sm.apply>', 'bytes=400'],
      [6.5, 'api.apply<'],
    ]);
    node(dir, 1, [
      [1.0, 'ready>', 'entries=1'],
      [1.05, 'net.send>', 'app,app'],
      [1.1, 'wal>'],
      [2.0, 'wal<'],
      [3.1, 'net.recv', 'appResp'],
      [3.2, 'sm.apply>', 'bytes=400'],
    ]);
    node(dir, 3, [
      [1.15, 'net.recv', 'app'],
      [1.2, 'ready>', 'entries=1'],
      [1.3, 'wal>'],
      [2.9, 'wal<'],
      [3.0, 'net.send>', 'appResp'],
    ]);
    const b = traceBreakdown(dir, [call]);
    assert.equal(b.traced, 1);
    assert.equal(b.p50_ms.to_ready, 0.4);
    assert.equal(b.p50_ms.to_follower, 0.2);
    assert.equal(b.p50_ms.follower_wal, 1.6);
    assert.equal(b.p50_ms.to_apply, 2.9);
    assert.equal(b.p50_ms.answer, 0.5);
    // The leader's own hops are left out: it did not answer the call.
    assert.deepEqual(b.hops_p50_ms, {
      msgapp_send: 0.05,
      msgapp_transit: 0.1,
      f_to_ready: 0.05,
      f_to_wal: 0.1,
      f_ack_send: 0.1,
      ack_transit: 0.1,
    });
  });

  it('counts a call whose steps are not all in the trace as untraced', () => {
    dir = mkdtempSync(join(tmpdir(), 'write-trace-'));
    node(dir, 1, [
      [0.5, 'api.apply>'],
      [0.7, 'batch.send>'],
    ]);
    const b = traceBreakdown(dir, [call]);
    assert.equal(b.traced, 0);
    assert.equal(b.total_p50_ms, 10);
  });
});
