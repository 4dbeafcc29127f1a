// jobd's flag parsers that are more than a type check: --capacity.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeHeartbeatMsFor, parseCapacity, parseLabels } from '../../../pkg/node/config.js';
import { hostShare } from '../../../pkg/cli/verbs/dev-up.js';

describe('--capacity', () => {
  it('takes any of cpu, memory and runs, as flags or a config mapping', () => {
    assert.deepEqual(parseCapacity('cpu=2,memory=4Gi,runs=16'), {
      cpu: '2',
      memory: '4Gi',
      runs: 16,
    });
    assert.deepEqual(parseCapacity('memory=512Mi'), { memory: '512Mi' });
    assert.deepEqual(parseCapacity({ cpu: '1500m', runs: 4 }), { cpu: '1500m', runs: 4 });
    assert.equal(parseCapacity(undefined), undefined);
    assert.equal(parseCapacity(''), undefined);
  });

  it('names the part that is wrong in one line', () => {
    assert.throws(
      () => parseCapacity('gpu=1'),
      /^.*--capacity: unknown resource "gpu" \(cpu, memory, runs\)$/,
    );
    assert.throws(() => parseCapacity('memory=4Gb'), /--capacity memory: .*4Gb/);
    assert.throws(() => parseCapacity('cpu=-1'), /--capacity cpu: /);
    assert.throws(() => parseCapacity('runs=2.5'), /--capacity runs: "2.5" is not a whole number/);
    assert.throws(() => parseCapacity('cpu'), /--capacity: expected KEY=VALUE, got "cpu"/);
  });

  it('--labels keeps its own flag name in errors', () => {
    assert.throws(() => parseLabels('zone'), /--labels: expected KEY=VALUE, got "zone"/);
  });
});

describe('dev up host share', () => {
  it('divides the host among the nodes, rounding down', () => {
    const host = { cpus: 2, memoryBytes: 24 * 1024 * 1024 * 1024 };
    assert.equal(hostShare(3, host), 'cpu=666m,memory=8192Mi');
    assert.equal(hostShare(1, host), 'cpu=2000m,memory=24576Mi');
    // Every share is a valid --capacity.
    assert.deepEqual(parseCapacity(hostShare(3, host)), { cpu: '666m', memory: '8192Mi' });
  });
});

describe('--node-heartbeat-ms default', () => {
  it('is a quarter of the grace period (four renewals per grace), at least 100 ms', () => {
    assert.equal(nodeHeartbeatMsFor(5_000), 1_250);
    assert.equal(nodeHeartbeatMsFor(40_000), 10_000);
    assert.equal(nodeHeartbeatMsFor(300), 100);
  });
});
