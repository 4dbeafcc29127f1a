// In-process API servers for tests: an in-memory Raft cluster (MemoryStorage,
// memory network; test/unit/node/harness.ts) whose every member serves the
// real ApiService over a real gRPC server on 127.0.0.1:0.
import * as grpc from '@grpc/grpc-js';
import { ApiService } from '../../../pkg/api/service.js';
import { ClusterAdmin, type PeerApi } from '../../../pkg/api/cluster-admin.js';
import { RaftProposer } from '../../../pkg/api/raft-proposer.js';
import { LocalClient } from '../../../pkg/client/local.js';
import { partialClusterAdmin } from '../../../pkg/client/testing.js';
import type {
  ApiServices,
  ClusterAdminClient,
  LogsClient,
  ResourceClient,
} from '../../../pkg/client/types.js';
import type { NodeId } from '../../../pkg/raft/types.js';
import type { ResourceStoreOptions } from '../../../pkg/store/index.js';
import { registerApi, type ApiServerHandle } from '../../../pkg/transport/api-grpc.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import { TestCluster } from '../node/harness.js';

export interface ApiMember {
  readonly id: NodeId;
  readonly address: string;
  readonly service: ApiService;
  readonly server: grpc.Server;
  readonly handle: ApiServerHandle;
}

export interface ApiTestCluster {
  readonly raft: TestCluster;
  readonly members: ApiMember[];
  /** Comma-separated addresses of every member. */
  readonly servers: string;
  member(id: NodeId): ApiMember;
  /** Stops one member's gRPC server at once (open streams break), as a killed node would. */
  kill(id: NodeId): void;
  close(): Promise<void>;
}

const noPeers: PeerApi = {
  nodeStatus: () => Promise.reject(new JobctlError(Reason.Unavailable, 'no peers in tests')),
  transferLeader: () => Promise.reject(new JobctlError(Reason.Unavailable, 'no peers in tests')),
  snapshot: () => {
    throw new JobctlError(Reason.Unavailable, 'no peers in tests');
  },
  changeMembership: () => Promise.reject(new JobctlError(Reason.Unavailable, 'no peers in tests')),
};

const unavailable = (what: string) => (): never => {
  throw new JobctlError(Reason.Unavailable, `${what} is not served in this test`);
};

/** The services of a test server: `resources`, and cluster/logs that answer Unavailable unless given. */
export function servicesOf(
  resources: ResourceClient,
  more: { cluster?: ClusterAdminClient; logs?: LogsClient } = {},
): ApiServices {
  return {
    resources,
    cluster: more.cluster ?? partialClusterAdmin(),
    logs: more.logs ?? { logs: unavailable('logs'), saveCopy: unavailable('saveCopy') },
  };
}

function bind(server: grpc.Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

export async function startApiCluster(
  opts: {
    nodes?: number;
    storeOptions?: ResourceStoreOptions;
    defaultImage?: string;
    /** Options of every member's grpc.Server (e.g. interceptors that record metadata). */
    serverOptions?: grpc.ServerOptions;
  } = {},
): Promise<ApiTestCluster> {
  const ids = Array.from({ length: opts.nodes ?? 1 }, (_, i) => i + 1);
  const raft = new TestCluster(ids, {}, undefined, opts.storeOptions);
  await raft.elect(1);
  const members: ApiMember[] = [];
  const addresses = new Map<NodeId, string>();
  for (const id of ids) {
    const m = raft.get(id);
    const server = new grpc.Server(opts.serverOptions);
    const port = await bind(server);
    const address = `127.0.0.1:${port}`;
    addresses.set(id, address);
    const admin = new ClusterAdmin({
      raft: m.node,
      members: addresses,
      peerApi: noPeers,
      clusterId: 'test',
    });
    const local = new LocalClient({
      store: m.store,
      proposer: new RaftProposer(m.node),
      readBarrier: () => m.node.read(),
    });
    const service = new ApiService({
      inner: local,
      defaultImage: opts.defaultImage ?? 'busybox:latest',
    });
    const services = servicesOf(service, { cluster: admin });
    const handle = registerApi(server, { services: async () => services });
    members.push({ id, address, service, server, handle });
  }
  const member = (id: NodeId): ApiMember => {
    const m = members.find((x) => x.id === id);
    if (!m) throw new Error(`no member ${id}`);
    return m;
  };
  return {
    raft,
    members,
    servers: members.map((m) => m.address).join(','),
    member,
    kill(id) {
      member(id).server.forceShutdown();
    },
    async close() {
      for (const m of members) {
        m.handle.closeWatches();
        m.service.close();
        m.server.forceShutdown();
      }
      await raft.stop();
    },
  };
}
