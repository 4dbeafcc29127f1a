// The composition root of one jobd: storage + Raft core + shell + transport +
// the ResourceStore state machine + the API (gRPC on --listen, REST on --http)
// + Node registration and heartbeats + the container runtime and the agent
// (every node) + the leader-only controllers (job, scheduler, node lifecycle).
import * as grpc from '@grpc/grpc-js';
import { availableParallelism, totalmem } from 'node:os';
import { Agent } from '../agent/index.js';
import {
  ApiService,
  ClusterAdmin,
  type PeerApi,
  type TransferResult,
  RaftProposer,
  ObservedClient,
} from '../api/index.js';
import { LocalClient } from '../client/index.js';
import type { NodeRaftStatus } from '../client/index.js';
import { RaftNode } from '../raft/index.js';
import type { LogStore } from '../raft/index.js';
import { newRuntime, type Runtime } from '../runtime/index.js';
import { ResourceStore } from '../store/index.js';
import { ApiClient, registerApi } from '../transport/api-grpc.js';
import type { LogsRequest } from '../transport/gen/api.js';
import { GrpcTransport } from '../transport/grpc-raft.js';
import { ReloadingTls } from '../tls/files.js';
import { peerCredentials, serverCredentials, tlsServerInterceptor } from '../transport/grpc-tls.js';
import { realClock } from '../util/clock.js';
import { randomRng } from '../util/rng.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
import { grpcAccess, httpAccess } from '../auth/index.js';
import { nodeAuth } from './auth.js';
import { nodeDefaults, type NodeConfig } from './config.js';
import { createCore, openDiskStorage } from './deps.js';
import { LeaderControllers } from './leader.js';
import { RunLogs } from './logs.js';
import { withTerm, type NodeLogger } from './logger.js';
import { NodeMetrics } from './metrics.js';
import { nodeRecorder } from './recorder.js';
import { NodeRegistration } from './registration.js';
import { serveHttp, type HttpServer } from './http.js';
import { nodeServerOptions } from '../transport/server-options.js';
import { DEFAULT_RATE_LIMIT, ClientRateLimiter } from '../util/rate-limit.js';

export interface JobdNode {
  readonly config: NodeConfig;
  readonly raft: RaftNode;
  readonly store: ResourceStore;
  /** The service layer every API adapter serves (validation, Raft writes, reads). */
  readonly api: ApiService;
  /** Runs the Runs bound to this node. */
  readonly agent: Agent;
  readonly runtime: Runtime;
  /** This node's Prometheus registry and sinks (GET /metrics). */
  readonly metrics: NodeMetrics;
  /** The bound REST address, when --http was given. */
  readonly httpAddress: string | undefined;
  /** Resolves when the node stopped by itself because of a fatal error. */
  readonly fatal: Promise<unknown>;
  /** Best effort: if leader, hand leadership to the most caught-up follower (bounded). */
  handOff(timeoutMs?: number): Promise<void>;
  /**
   * Stops heartbeats, the controllers, the agent (containers keep running: a
   * restart adopts them), the runtime, serving, Raft (waits for the Ready in
   * flight) and closes storage.
   */
  stop(): Promise<void>;
}

/** API clients to peers, one per address, created lazily. */
class GrpcPeerApi implements PeerApi {
  private readonly clients = new Map<string, ApiClient>();

  /**
   * `credentials`: the node's mutual-TLS credentials towards its peers (plaintext without TLS);
   * `token`: the bearer token it presents with auth on and no node certificate (pkg/auth).
   */
  constructor(
    private readonly credentials: grpc.ChannelCredentials,
    private readonly token: () => string | undefined = () => undefined,
  ) {}

  private client(address: string): ApiClient {
    let c = this.clients.get(address);
    if (!c) {
      const token = this.token();
      c = new ApiClient(address, {
        credentials: this.credentials,
        ...(token ? { security: { token } } : {}),
      });
      this.clients.set(address, c);
    }
    return c;
  }

  nodeStatus(address: string, timeoutMs: number): Promise<NodeRaftStatus> {
    return this.client(address).nodeStatus(timeoutMs);
  }

  transferLeader(address: string, to: number, timeoutMs: number): Promise<TransferResult> {
    return this.client(address).transferLeader({ to }, timeoutMs);
  }

  /** A Run's output from the node that executed it (Logs proxying). */
  logs(address: string, req: LogsRequest, signal: AbortSignal): AsyncIterable<Uint8Array> {
    return this.client(address).logs(req, signal);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

function bind(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err)
        reject(new JobctlError(Reason.Unavailable, `cannot listen on ${address}: ${err.message}`));
      else resolve(port);
    });
  });
}

export async function startNode(config: NodeConfig, nodeLogger: NodeLogger): Promise<JobdNode> {
  if (!config.peers.has(config.id)) {
    throw new JobctlError(Reason.Invalid, `--peers must include this node (id ${config.id})`);
  }
  // Every line from here on carries the Raft term (once Raft exists) and the part that wrote it.
  let currentTerm = (): number | undefined => undefined;
  const logger = withTerm(nodeLogger, () => currentTerm());
  const metrics = new NodeMetrics();
  // TLS files, re-read every second: new connections use the newest consistent set.
  const tlsLogger = logger.child({ component: 'tls' });
  const tls = config.tls
    ? new ReloadingTls(config.tls, {
        onReload: (m) => tlsLogger.info('TLS files reloaded', { certificate: m.fingerprint }),
        onError: (message) => tlsLogger.warn(message),
      }).start()
    : undefined;
  const storage: LogStore = await openDiskStorage({
    dir: config.dataDir,
    logger: logger.child({ component: 'storage' }),
    metrics: metrics.wal,
  });
  const rng = randomRng();
  const voters = [...config.peers.keys()].sort((a, b) => a - b);
  const core = createCore({
    id: config.id,
    peers: voters,
    storage,
    rng: rng.fork(),
    electionTick: config.electionTick,
    heartbeatTick: config.heartbeatTick,
    preVote: true,
    checkQuorum: true,
    logger: logger.child({ component: 'raft' }),
  });
  const toPeers = peerCredentials(tls);
  const transport = new GrpcTransport({
    id: config.id,
    peers: config.peers,
    logger: logger.child({ component: 'transport' }),
    credentials: toPeers,
  });
  const store = new ResourceStore();
  let onFatal: (err: unknown) => void = () => {};
  let failed = false;
  const fatal = new Promise<unknown>((resolve) => (onFatal = resolve));
  const raft = new RaftNode({
    id: config.id,
    core,
    storage,
    stateMachine: store,
    network: transport,
    initialConfState: { voters, learners: [] },
    rng: rng.fork(),
    logger: logger.child({ component: 'raft' }),
    tickMs: config.tickMs,
    snapshotEvery: config.snapshotEvery,
    metrics: metrics.raft,
    onFatal: (err) => {
      failed = true;
      onFatal(err);
    },
    onConfChange: (change) => {
      if (change.type === 'removeNode') transport.removePeer(change.nodeId);
      else if (change.context) transport.setPeer(change.nodeId, change.context);
    },
  });

  // The service layer: LocalClient (store reads after a ReadIndex barrier,
  // writes through Raft) wrapped by ApiService (admission). With auth on and
  // no TLS, node-to-node calls present the bootstrap token (pkg/auth/bootstrap.ts).
  const peerApi = new GrpcPeerApi(toPeers, () => auth?.peerToken());
  const admin = new ClusterAdmin({ raft, members: config.peers, peerApi });
  const local = new LocalClient({
    store,
    proposer: new RaftProposer(raft),
    readBarrier: () => raft.read(),
    clusterStatus: () => admin.clusterStatus(),
    transferLeader: (to) => admin.transferLeader(to),
  });
  const api = new ApiService({
    inner: local,
    defaultImage: config.defaultImage ?? nodeDefaults.defaultImage,
  });
  // Clients' calls pass through auth (when on) and the audit log; in-process
  // components below use `local`/`api` directly.
  const auth = nodeAuth(config, { api, store, nodeName: nodeName(config), logger });

  // Execution: the runtime (scoped by node name: dev nodes share one Docker
  // engine) and the agent that reconciles this node's Runs with it. Status
  // batches go straight to Raft (fenced by node name in the store).
  const name = nodeName(config);
  const recorder = nodeRecorder({ client: local, nodeName: name, logger });
  const runtime = newRuntime(config.runtime ?? nodeDefaults.runtime, {
    dataDir: config.dataDir,
    scope: name,
    ...(config.maxLogBytes !== undefined ? { maxLogBytes: config.maxLogBytes } : {}),
    clock: realClock,
  });
  const agent = new Agent({
    nodeName: name,
    client: local,
    proposer: new RaftProposer(raft),
    runtime,
    dataDir: config.dataDir,
    clock: realClock,
    logger: logger.child({ component: 'agent' }),
    recorder: recorder.agent,
    metrics: metrics.agent,
    options: { statusFlushMs: 50, killGraceMs: 10_000 },
  });
  // Leader only: job controller, scheduler, node lifecycle, event TTL.
  const controllers = new LeaderControllers({
    raft,
    client: local,
    recorder: recorder.controllers,
    logger: logger.child({ component: 'controllers' }),
    metrics: metrics.reconcile,
    eventTtlMs: config.eventTtlMs ?? nodeDefaults.eventTtlMs,
    controllers: {
      scheduler: { metrics: metrics.scheduler },
      job: {
        backoffBaseMs: config.backoffBaseMs ?? nodeDefaults.backoffBaseMs,
        backoffMaxMs: config.backoffMaxMs ?? nodeDefaults.backoffMaxMs,
      },
      nodeLifecycle: { gracePeriodMs: config.nodeGraceMs ?? nodeDefaults.nodeGraceMs },
    },
  });

  const server = new grpc.Server({
    ...nodeServerOptions(),
    // With TLS: refuse certificates the CA did not sign, and Raft from non-nodes.
    interceptors: [tlsServerInterceptor()],
  });
  // One budget per client across gRPC and REST (--rate-limit).
  const rateLimiter = new ClientRateLimiter(config.rateLimit ?? DEFAULT_RATE_LIMIT);
  transport.register(server);
  // Logs of any Run: from this node's files, or proxied from the executing node.
  const runLogs = new RunLogs({
    nodeName: name,
    dataDir: config.dataDir,
    client: local,
    store,
    peers: config.peers,
    peerLogs: (address, req, signal) => peerApi.logs(address, req, signal),
  });
  const apiHandle = registerApi(server, {
    client: new ObservedClient(api, metrics.api, 'grpc'),
    nodeStatus: () => admin.nodeStatus(),
    logs: (req, signal) => runLogs.stream(req, signal),
    limit: { limiter: rateLimiter },
    ...(auth ? { access: grpcAccess(auth) } : {}),
  });
  let http: HttpServer | undefined;
  try {
    await bind(server, config.listen, serverCredentials(tls));
    if (config.http) {
      http = await serveHttp({
        address: config.http,
        client: new ObservedClient(api, metrics.api, 'rest'),
        isReady: () => raft.leader() !== 0 && !raft.isStopped(),
        metrics: () => metrics.text(),
        nodeInfo: () => ({ id: config.id, name: nodeName(config), address: config.listen }),
        logs: (req, signal) => runLogs.stream(req, signal),
        logger: logger.child({ component: 'rest' }),
        tls,
        rateLimiter,
        ...(auth ? { access: httpAccess(auth) } : {}),
      });
    }
  } catch (err) {
    server.forceShutdown();
    await transport.close();
    await runtime.close().catch(() => {});
    await storage.close();
    tls?.close();
    throw err;
  }
  metrics.bind({
    store,
    raftStatus: () => raft.status(),
    queueDepths: () => [
      ...controllers.queueDepths(),
      [`agent/${name}`, agent.queueDepth] as [string, number],
    ],
  });
  raft.onLeaderChange(() => metrics.leaderChanged());
  currentTerm = () => raft.status().term;
  raft.start();
  auth?.start(() => raft.isLeader());
  // The agent's first list/watch needs a leader (ReadIndex): starting it once
  // one is known spares it a retry back-off that would delay the first Runs.
  let stopRequested = false;
  const startAgent = (): void => {
    if (!stopRequested) agent.start();
  };
  raft.waitForLeader(30_000).then(startAgent, startAgent);
  controllers.start();

  const registration = new NodeRegistration({
    client: api,
    raft,
    name,
    labels: config.labels,
    address: config.listen,
    capacity: {
      cpu: String(availableParallelism()),
      memory: `${Math.floor(totalmem() / (1024 * 1024))}Mi`,
      runs: config.maxRuns ?? nodeDefaults.maxRuns,
    },
    intervalMs: config.nodeHeartbeatMs ?? nodeDefaults.nodeHeartbeatMs,
    logger: logger.child({ component: 'registration' }),
    runtimeReady: () => agent.runtimeReady(),
  });
  registration.start();

  logger.info('listening', {
    address: config.listen,
    http: http?.address,
    peers: Object.fromEntries(config.peers),
    dataDir: config.dataDir,
    tickMs: config.tickMs,
    electionTick: config.electionTick,
    node: name,
    runtime: runtime.name,
    defaultImage: config.defaultImage ?? nodeDefaults.defaultImage,
    labels: config.labels,
    tls: tls !== undefined,
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      stopRequested = true;
      await registration.stop();
      await controllers.stop();
      await agent.stop();
      await runtime
        .close()
        .catch((err: unknown) =>
          logger.warn('closing the runtime failed', { error: errorMessage(err) }),
        );
      // Open watches end with Unavailable: their clients resume on another node.
      apiHandle.closeWatches();
      local.close();
      await http?.close();
      await auth?.close();
      await raft.stop();
      // Closing the transport ends the peers' streams, so the server drains at once.
      await transport.close();
      peerApi.close();
      tls?.close();
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      try {
        await storage.close();
      } catch (err) {
        // After a storage failure the cause was already logged once.
        if (!failed) logger.warn('closing storage failed', { error: errorMessage(err) });
      }
    })());

  return {
    config,
    raft,
    store,
    api,
    agent,
    runtime,
    metrics,
    httpAddress: http?.address,
    fatal,
    async handOff(timeoutMs = 2000) {
      // Stop taking part first: no more heartbeats, and the Node says NotReady.
      await registration.stop();
      await registration.markNotReady('jobd is stopping');
      if (!raft.isLeader() || config.peers.size < 2) return;
      try {
        const res = await admin.transferLeader(0, timeoutMs);
        logger.info('handed off leadership', { to: res.to, term: res.term });
      } catch (err) {
        logger.warn('leadership hand-off failed', { error: errorMessage(err) });
      }
    },
    stop,
  };
}

/** The Node object's name: --name, else node-<id>. */
export function nodeName(config: NodeConfig): string {
  return config.name ?? `node-${config.id}`;
}
