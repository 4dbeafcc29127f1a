// What the agent reports for an exited container (pkg/agent/status.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exitedStatus } from '../../../pkg/agent/status.js';

const facts = { containerID: 'c1', startedAt: '2025-01-01T00:00:00.000Z' };
const finishedAt = '2025-01-01T00:01:00.000Z';

describe('exitedStatus', () => {
  it('a container whose exit status the runtime lost is Lost/ContainerLost, not Failed', () => {
    assert.deepEqual(
      exitedStatus(facts, {
        exitCode: -1,
        oomKilled: false,
        reason: 'Unknown',
        finishedAt,
        message:
          'the process was started by an earlier runtime instance; its exit status is unknown',
      }),
      {
        containerID: 'c1',
        startedAt: facts.startedAt,
        exitCode: -1,
        finishedAt,
        phase: 'Lost',
        reason: 'ContainerLost',
        message:
          'the process was started by an earlier runtime instance; its exit status is unknown',
      },
    );
  });

  it('a known non-zero exit stays Failed/Error', () => {
    const s = exitedStatus(facts, { exitCode: 3, oomKilled: false, reason: 'Error', finishedAt });
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'Error');
  });
});
