// The API service layer over an in-process cluster: validation, NotFound,
// stale vs linearizable reads, cluster status with an unreachable peer, and
// transfer-leader forwarding from a follower.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { KvService, type PeerApi } from '../../../pkg/node/kv-service.js';
import type { NodeId } from '../../../pkg/raft/types.js';
import type { NodeStatusInfo, TransferLeaderRequest } from '../../../pkg/transport/api-types.js';
import { JobctlError, Reason, isReason } from '../../../pkg/util/errors.js';
import { TestCluster, eventually } from './harness.js';

const ctx = { remainingMs: 5000 };
const members = new Map<NodeId, string>([
  [1, 'n1:1'],
  [2, 'n2:1'],
  [3, 'n3:1'],
]);

/** Peers answer through their own KvService, except those listed as down. */
function peerApi(services: () => Map<string, KvService>, down: Set<string>): PeerApi {
  const get = (address: string): KvService => {
    const s = services().get(address);
    if (!s || down.has(address))
      throw new JobctlError(Reason.Unavailable, `connect ECONNREFUSED ${address}`);
    return s;
  };
  return {
    async nodeStatus(address: string): Promise<NodeStatusInfo> {
      return get(address).nodeStatus();
    },
    async transferLeader(address: string, req: TransferLeaderRequest) {
      return get(address).transferLeader(req, ctx);
    },
  };
}

describe('KvService', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  function services(down = new Set<string>()): Map<string, KvService> {
    const map = new Map<string, KvService>();
    const api = peerApi(() => map, down);
    for (const [id, address] of members) {
      const m = cluster!.get(id);
      map.set(address, new KvService({ raft: m.node, kv: m.kv, members, peerApi: api }));
    }
    return map;
  }

  it('puts, gets (linearizable and stale) and reports NotFound and Invalid', async () => {
    cluster = new TestCluster([1, 2, 3]);
    await cluster.elect(1);
    const svc = services();
    const follower = svc.get('n2:1') as KvService;
    const put = await follower.put({ key: 'a', value: '1' }, ctx);
    assert.equal(put.created, true);
    assert.deepEqual(await (svc.get('n3:1') as KvService).get({ key: 'a', stale: false }, ctx), {
      key: 'a',
      value: '1',
      revision: put.revision,
    });
    await assert.rejects(follower.get({ key: 'nope', stale: true }, ctx), (e: unknown) =>
      isReason(e, Reason.NotFound),
    );
    await assert.rejects(follower.put({ key: '', value: 'x' }, ctx), (e: unknown) =>
      isReason(e, Reason.Invalid),
    );
    await follower.delete({ key: 'a' }, ctx);
    await assert.rejects(follower.delete({ key: 'a' }, ctx), (e: unknown) =>
      isReason(e, Reason.NotFound),
    );
  });

  it('shows every node in cluster status and marks an unreachable one', async () => {
    cluster = new TestCluster([1, 2, 3]);
    await cluster.elect(1);
    const down = new Set(['n3:1']);
    const st = await (services(down).get('n2:1') as KvService).clusterStatus(ctx);
    assert.equal(st.responder, 2);
    assert.equal(st.leader, 1);
    assert.deepEqual(
      st.nodes.map((n) => [n.id, n.address, n.health]),
      [
        [1, 'n1:1', 'healthy'],
        [2, 'n2:1', 'healthy'],
        [3, 'n3:1', 'unreachable'],
      ],
    );
    assert.equal(st.nodes[0]?.role, 'leader');
    assert.match(st.nodes[2]?.error ?? '', /ECONNREFUSED/);
  });

  it('forwards transfer-leader from a follower and picks a caught-up follower by default', async () => {
    cluster = new TestCluster([1, 2, 3]);
    await cluster.elect(1);
    const svc = services();
    const res = await (svc.get('n2:1') as KvService).transferLeader({ to: 3 }, ctx);
    assert.deepEqual([res.from, res.to], [1, 3]);
    await eventually(() => cluster!.get(3).node.isLeader());
    await eventually(() => cluster!.get(2).node.leader() === 3);
    const auto = await (svc.get('n1:1') as KvService).transferLeader({ to: 0 }, ctx);
    assert.equal(auto.from, 3);
    assert.notEqual(auto.to, 3);
    await assert.rejects(
      (svc.get('n1:1') as KvService).transferLeader({ to: 9 }, ctx),
      (e: unknown) => isReason(e, Reason.Invalid),
    );
  });
});
