// The generated service definitions (gen/raft.ts, gen/api.ts) must keep the
// method paths and streaming shapes that nodes and clients built before the
// generated code use: a renamed RPC or a changed stream would split a
// mixed-version cluster. Field numbers are pinned by the golden bytes in
// raft-message.test.ts and by proto/ itself (gen.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JobctlService } from '../../../pkg/transport/gen/api.js';
import { RaftService } from '../../../pkg/transport/gen/raft.js';

type Shape = [name: string, path: string, requestStream: boolean, responseStream: boolean];

function shapes(service: object): Shape[] {
  return Object.entries(service as Record<string, Record<string, unknown>>).map(([name, d]) => [
    name,
    d.path as string,
    d.requestStream as boolean,
    d.responseStream as boolean,
  ]);
}

describe('generated gRPC services', () => {
  it('Raft keeps its method path and stream shape', () => {
    assert.deepEqual(shapes(RaftService), [['send', '/jobctl.raft.v1.Raft/Send', true, false]]);
  });

  it('Jobctl keeps its method paths and stream shapes', () => {
    const api = '/jobctl.api.v1.Jobctl/';
    assert.deepEqual(shapes(JobctlService), [
      ['apply', `${api}Apply`, false, false],
      ['create', `${api}Create`, false, false],
      ['update', `${api}Update`, false, false],
      ['updateStatus', `${api}UpdateStatus`, false, false],
      ['get', `${api}Get`, false, false],
      ['list', `${api}List`, false, false],
      ['watch', `${api}Watch`, false, true],
      ['delete', `${api}Delete`, false, false],
      ['clusterStatus', `${api}ClusterStatus`, false, false],
      ['nodeStatus', `${api}NodeStatus`, false, false],
      ['transferLeader', `${api}TransferLeader`, false, false],
      ['logs', `${api}Logs`, false, true],
      ['saveLogCopy', `${api}SaveLogCopy`, false, false],
      ['saveLogCopies', `${api}SaveLogCopies`, false, false],
      ['snapshot', `${api}Snapshot`, false, true],
      ['addMember', `${api}AddMember`, false, false],
      ['promoteMember', `${api}PromoteMember`, false, false],
      ['removeMember', `${api}RemoveMember`, false, false],
    ]);
  });
});
