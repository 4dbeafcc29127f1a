// The composition root of one jobd: storage + Raft core + shell + transport +
// the ResourceStore state machine + the API's service stack (served by gRPC on
// --listen and REST on --http) + Node registration and heartbeats + the
// container runtime and the agent (every node) + the leader-only controllers
// (job, scheduler, node lifecycle).
//
// buildNode() builds every part and lists them in start order; startNode()
// starts that list (./lifecycle.ts), and stop() stops it in reverse, so each
// part stops before what it depends on.
import * as grpc from '@grpc/grpc-js';
import { availableParallelism, totalmem } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { Agent, LogCopier, type DrainResult } from '../agent/index.js';
import { ClusterAdmin, RaftProposer, buildServiceStack, compileValidators } from '../api/index.js';
import { grpcCredentials } from '../auth/index.js';
import { LocalClient } from '../client/index.js';
import type { ResourceClient } from '../client/index.js';
import { RaftNode } from '../raft/index.js';
import type { LogStore } from '../raft/index.js';
import { newRuntime, type Runtime } from '../runtime/index.js';
import { ResourceStore } from '../store/index.js';
import { registerApi } from '../transport/api-grpc.js';
import { GrpcTransport } from '../transport/grpc-raft.js';
import { ReloadingTls } from '../tls/files.js';
import {
  peerCredentials,
  serverCredentials,
  tlsRefusal,
  tlsServerInterceptor,
} from '../transport/grpc-tls.js';
import { realClock } from '../util/clock.js';
import { randomRng } from '../util/rng.js';
import { errorMessage } from '../util/errors.js';
import { nodeAuth, nodePeerToken } from './auth.js';
import { nodeDefaults, nodeHeartbeatMsFor, type NodeConfig } from './config.js';
import { createCore, openDiskStorage } from './deps.js';
import { heartbeatFeed } from './heartbeats.js';
import { runPhaseFeed } from './run-phases.js';
import { httpComponent } from './http.js';
import { listenError, prepareDataDir } from './start-errors.js';
import { LeaderControllers } from './leader.js';
import { Lifecycle, type Component } from './lifecycle.js';
import { RunLogs } from './logs.js';
import { RunLogJanitor, PeerLogCopySender } from './log-copies.js';
import { TermSource, withTerm, type NodeLogger } from './logger.js';
import { NodeMetrics } from './metrics.js';
import { GrpcPeerApi } from './peer-api.js';
import { nodeRecorder } from './recorder.js';
import { clusterMembership, promotion } from './join.js';
import { saveClusterFile, type ClusterFile } from './cluster-file.js';
import { NodeRegistration } from './registration.js';
import { nodeServerOptions } from '../transport/server-options.js';
import { DEFAULT_RATE_LIMIT, ClientRateLimiter } from '../util/rate-limit.js';

/** How long a stopping node waits to write its last Events. */
const EVENT_FLUSH_ON_STOP_MS = 2000;
/** How often the copies of other nodes' Run logs are checked for Runs that are gone. */
const LOG_COPY_SWEEP_MS = 60_000;

export interface JobdNode {
  readonly config: NodeConfig;
  readonly raft: RaftNode;
  readonly store: ResourceStore;
  /** The service stack's admitted resources (admission, Raft writes, reads), without a caller. */
  readonly api: ResourceClient;
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
   * A graceful shutdown's work before stop() (jobd SIGTERM, DESIGN.md §5):
   * cordon this Node, start no new Runs, let running ones finish for up to
   * `graceMs` (less if `cutShort` aborts), stop and report the rest
   * Lost/NodeShutdown, then hand off leadership.
   */
  drain(opts: { graceMs: number; cutShort?: AbortSignal }): Promise<DrainResult>;
  /**
   * Stops heartbeats, the controllers, the agent (containers keep running: a
   * restart adopts them), the runtime, serving, Raft (waits for the Ready in
   * flight) and closes storage.
   */
  stop(): Promise<void>;
}

function bind(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => {
      if (err) reject(listenError('--listen', address, err));
      else resolve(port);
    });
  });
}

/** Stops a gRPC server: gracefully, forced after a second. */
function shutdown(server: grpc.Server): Promise<void> {
  return new Promise<void>((resolve) => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, 1000);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/** A built node: its parts in start order and what JobdNode exposes. */
interface BuiltNode {
  readonly components: readonly Component[];
  readonly logger: NodeLogger;
  readonly node: Omit<JobdNode, 'httpAddress' | 'stop'>;
  readonly httpAddress: () => string | undefined;
  /** What the "listening" line reports. */
  readonly summary: Record<string, unknown>;
}

export async function buildNode(config: NodeConfig, nodeLogger: NodeLogger): Promise<BuiltNode> {
  const advertise = config.advertise ?? config.listen;
  // Every line carries the Raft term (once Raft exists) and the part that wrote it.
  const term = new TermSource();
  const logger = withTerm(nodeLogger, () => term.current());
  const metrics = new NodeMetrics();
  const name = nodeName(config);
  const defaultImage = config.defaultImage ?? nodeDefaults.defaultImage;

  // --- Raft: storage, core, transport, the store as state machine.
  // TLS files, re-read every second once started: new connections use the newest consistent set.
  const tlsLogger = logger.child({ component: 'tls' });
  const tls = config.tls
    ? new ReloadingTls(config.tls, {
        onReload: (m) => tlsLogger.info('TLS files reloaded', { certificate: m.fingerprint }),
        onError: (message) => tlsLogger.warn(message),
      })
    : undefined;
  const toPeers = peerCredentials(tls);
  const peerApi = new GrpcPeerApi(toPeers, nodePeerToken(config));
  // The cluster this data directory belongs to and its membership: from
  // cluster.json once there is one, else from joining (--join) or
  // bootstrapping (--peers) a cluster.
  let cluster: ClusterFile;
  try {
    await prepareDataDir(config.dataDir);
    cluster = await clusterMembership(config, advertise, peerApi, logger);
  } catch (err) {
    peerApi.close();
    throw err;
  }
  const storage: LogStore = await openDiskStorage({
    dir: config.dataDir,
    logger: logger.child({ component: 'storage' }),
    metrics: metrics.wal,
  });
  const rng = randomRng();
  const core = createCore({
    id: config.id,
    peers: cluster.voters,
    learners: cluster.learners,
    storage,
    rng: rng.fork(),
    electionTick: config.electionTick,
    heartbeatTick: config.heartbeatTick,
    preVote: true,
    checkQuorum: true,
    logger: logger.child({ component: 'raft' }),
  });
  // Every member's address, kept to the configuration Raft applies: the
  // transport, log proxying and cluster.json follow it.
  const memberAddresses = new Map(
    Object.entries(cluster.members).map(([id, a]) => [Number(id), a] as const),
  );
  // Members this node saw removed: their Raft streams are refused, which is
  // how a removed node learns it (the leader stops replicating to it).
  const removedIds = new Set<number>();
  const transport = new GrpcTransport({
    id: config.id,
    peers: memberAddresses,
    isRemoved: (id) => removedIds.has(id),
    clusterId: cluster.clusterId,
    onRemoved: (by) => raft.retire(`node ${by} refused our messages`),
    logger: logger.child({ component: 'transport' }),
    credentials: toPeers,
  });
  const store = new ResourceStore();
  let onFatal: (err: unknown) => void = () => {};
  let failed = false;
  const fatal = new Promise<unknown>((resolve) => (onFatal = resolve));
  let clusterFileWrites: Promise<void> = Promise.resolve();
  const raft = new RaftNode({
    id: config.id,
    core,
    storage,
    stateMachine: store,
    network: transport,
    initialConfState: {
      voters: cluster.voters,
      learners: cluster.learners,
      contexts: cluster.members,
    },
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
      if (change.type === 'removeNode') removedIds.add(change.nodeId);
      else removedIds.delete(change.nodeId);
    },
    onConfState: (cs) => {
      const members = new Map(
        [...cs.voters, ...cs.learners].map((id) => [
          id,
          cs.contexts?.[id] ?? memberAddresses.get(id) ?? '',
        ]),
      );
      for (const id of [...memberAddresses.keys()]) {
        if (!members.has(id)) {
          memberAddresses.delete(id);
          transport.removePeer(id);
        }
      }
      for (const [id, address] of members) {
        if (!address) continue;
        memberAddresses.set(id, address);
        transport.setPeer(id, address);
      }
      const next: ClusterFile = {
        clusterId: cluster.clusterId,
        voters: cs.voters,
        learners: cs.learners,
        members: Object.fromEntries(memberAddresses),
      };
      clusterFileWrites = clusterFileWrites
        .then(() => saveClusterFile(config.dataDir, next))
        .catch((err: unknown) =>
          logger.warn('cannot record the membership in cluster.json', { error: errorMessage(err) }),
        );
    },
  });
  term.follow(() => raft.status().term);
  // One proposer for every writer that proposes store commands.
  const proposer = new RaftProposer(raft);

  // --- The service stack (pkg/api/stack.ts), bottom up: store/Raft (reads
  // after a ReadIndex barrier, writes through Raft; the cluster's Raft view;
  // Run logs, proxied from the executing node), admission, then per request
  // authentication, metrics and authorization. With auth on and no TLS,
  // node-to-node calls present the bootstrap token (pkg/auth/bootstrap.ts).
  const local = new LocalClient({ store, proposer, readBarrier: () => raft.read() });
  const admin = new ClusterAdmin({ raft, peerApi, clusterId: cluster.clusterId });
  const runLogs = new RunLogs({
    nodeName: name,
    dataDir: config.dataDir,
    client: local,
    store,
    peers: memberAddresses,
    peerLogs: (address, opts) => peerApi.logs(address, opts),
  });
  const stack = buildServiceStack({
    store: { resources: local, cluster: admin, logs: runLogs },
    admission: { defaultImage },
    observer: metrics.api,
    auth: (admitted) =>
      nodeAuth(config, { api: admitted.resources, store, nodeName: name, logger }),
  });
  const auth = stack.auth;

  // --- Execution: the runtime (scoped by node name: dev nodes share one
  // Docker engine) and the agent that reconciles this node's Runs with it.
  // In-process writers enter the stack at the layer docs/architecture.md
  // ("who enters where") gives them.
  const recorder = nodeRecorder({
    client: stack.store.resources,
    proposer,
    nodeName: name,
    logger,
  });
  const runtime = await newRuntime(config.runtime ?? nodeDefaults.runtime, {
    dataDir: config.dataDir,
    scope: name,
    ...(config.maxLogBytes !== undefined ? { maxLogBytes: config.maxLogBytes } : {}),
    clock: realClock,
  });
  // The logs of finished Runs are copied to other nodes, so `jobctl logs`
  // outlives this one (pkg/agent/log-copies.ts, ./log-copies.ts).
  const logCopies = new LogCopier({
    dataDir: config.dataDir,
    nodeName: name,
    sender: new PeerLogCopySender({
      nodeName: name,
      nodes: () => store.list('Node').items,
      addressOf: (node) => runLogs.addressOf(node),
      saveMany: (address, copies, timeoutMs) => peerApi.saveLogCopies(address, copies, timeoutMs),
    }),
    logger: logger.child({ component: 'log-copies' }),
  });
  const runLogJanitor = new RunLogJanitor({
    dataDir: config.dataDir,
    hasUid: (uid) => store.hasUid(uid),
    caughtUp: () => raft.read({ timeoutMs: 10_000 }),
    compactJournal: (isGone) => logCopies.compactJournal(isGone),
    logger,
  });
  let janitorTimer: NodeJS.Timeout | undefined;
  const agent = new Agent({
    nodeName: name,
    client: stack.store.resources,
    // Status batches go straight to Raft (fenced by node name in the store).
    proposer,
    runtime,
    dataDir: config.dataDir,
    clock: realClock,
    logger: logger.child({ component: 'agent' }),
    recorder: recorder.agent,
    metrics: metrics.agent,
    options: {
      statusFlushMs: 50,
      killGraceMs: 10_000,
      resyncMs: config.resyncMs ?? nodeDefaults.resyncMs,
    },
    logCopies,
  });
  // Every node tracks heartbeats; the leader's node lifecycle controller uses it.
  const nodeGraceMs = config.nodeGraceMs ?? nodeDefaults.nodeGraceMs;
  const heartbeats = heartbeatFeed(store, nodeGraceMs, realClock);
  const runPhases = runPhaseFeed(store);
  // Leader only: job controller, scheduler, node lifecycle, cron, event TTL.
  const controllers = new LeaderControllers({
    raft,
    client: stack.store.resources,
    recorder: recorder.controllers,
    logger: logger.child({ component: 'controllers' }),
    metrics: metrics.reconcile,
    eventTtlMs: config.eventTtlMs ?? nodeDefaults.eventTtlMs,
    resyncMs: config.resyncMs ?? nodeDefaults.resyncMs,
    controllers: {
      // Plans (one command per pass, re-checked by the store) go straight to Raft.
      scheduler: { proposer, metrics: metrics.scheduler },
      job: {
        backoffBaseMs: config.backoffBaseMs ?? nodeDefaults.backoffBaseMs,
        backoffMaxMs: config.backoffMaxMs ?? nodeDefaults.backoffMaxMs,
        // A Job's new Runs and its status: one atomic batch straight to Raft.
        proposer,
      },
      nodeLifecycle: { gracePeriodMs: nodeGraceMs, heartbeats: heartbeats.tracker },
      // Fires each slot as one atomic Raft entry (pkg/controllers/cron).
      cron: { proposer },
    },
  });
  const registration = new NodeRegistration({
    client: stack.admitted.resources,
    raft,
    name,
    labels: config.labels,
    address: advertise,
    capacity: {
      cpu: config.capacity?.cpu ?? String(availableParallelism()),
      memory: config.capacity?.memory ?? `${Math.floor(totalmem() / (1024 * 1024))}Mi`,
      runs: config.capacity?.runs ?? config.maxRuns ?? nodeDefaults.maxRuns,
    },
    intervalMs: config.nodeHeartbeatMs ?? nodeHeartbeatMsFor(nodeGraceMs),
    logger: logger.child({ component: 'registration' }),
    runtimeReady: () => agent.runtimeReady(),
  });

  // --- Serving: Raft and the API on one gRPC server, REST on --http.
  const server = new grpc.Server({
    ...nodeServerOptions(),
    // With TLS: refuse certificates the CA did not sign, and Raft from non-nodes.
    interceptors: [tlsServerInterceptor()],
  });
  // One budget per client across gRPC and REST (--rate-limit).
  const rateLimiter = new ClientRateLimiter(config.rateLimit ?? DEFAULT_RATE_LIMIT);
  transport.register(server);
  const apiHandle = registerApi(server, {
    services: (call) => stack.forRequest('grpc', grpcCredentials(call)),
    limit: { limiter: rateLimiter },
    // The unary API calls are served off the stream and pass no interceptor:
    // they get the TLS interceptor's verdict from here (before bind, below).
    direct: { refuse: tlsRefusal },
  });
  const http = config.http
    ? httpComponent({
        address: config.http,
        stack,
        isReady: () => raft.leader() !== 0 && !raft.isStopped(),
        metrics: () => metrics.text(),
        nodeInfo: () => ({ id: config.id, name, address: advertise }),
        logger: logger.child({ component: 'rest' }),
        tls,
        rateLimiter,
      })
    : undefined;
  metrics.bind({
    store,
    raftStatus: () => raft.status(),
    runPhases: () => runPhases.counts.entries(),
    queueDepths: () => [
      ...controllers.queueDepths(),
      [`agent/${name}`, agent.queueDepth] as [string, number],
    ],
  });

  // The agent's first list/watch needs a leader (ReadIndex): starting it once
  // one is known spares it a retry back-off that would delay the first Runs.
  let agentStopped = false;
  const startAgent = (): void => {
    if (!agentStopped) agent.start();
  };

  // Start order; stop is the reverse.
  const components: Component[] = [
    {
      name: 'storage',
      async stop() {
        try {
          await storage.close();
        } catch (err) {
          // After a storage failure the cause was already logged once.
          if (!failed) logger.warn('closing storage failed', { error: errorMessage(err) });
        }
      },
    },
    // Stopped once Raft has stopped applying: the last membership is on disk.
    { name: 'cluster.json writes', stop: () => clusterFileWrites },
    { name: 'tls', start: () => void tls?.start(), stop: () => tls?.close() },
    // Before Raft runs, so the few hundred ms of compiling hold up no election or heartbeat.
    { name: 'validators', start: () => compileValidators(['Job', 'Node']) },
    {
      name: 'grpc server',
      start: () => bind(server, config.listen, serverCredentials(tls)).then(() => {}),
      stop: () => shutdown(server),
    },
    { name: 'peer api clients', stop: () => peerApi.close() },
    // Closing the transport ends the peers' streams, so the server drains at once.
    { name: 'raft transport', stop: () => transport.close() },
    // Before Raft: it sees every heartbeat this node applies, as a follower too.
    heartbeats,
    runPhases,
    {
      name: 'raft',
      start: () => {
        raft.onLeaderChange(() => metrics.leaderChanged());
        raft.start();
      },
      stop: () => raft.stop(),
    },
    {
      name: 'auth',
      // Leader only: a cluster without a bootstrap token file gets its Token.
      start: () => auth?.start(raft),
      stop: () => auth?.close(),
    },
    ...(http ? [http] : []),
    {
      name: 'api',
      // Open watches end with Unavailable: their clients resume on another node.
      stop: () => {
        apiHandle.closeWatches();
        local.close();
      },
    },
    {
      // Stopped after the agent and controllers (so their last Events are
      // written) and before the API closes the in-process client it writes
      // through. Bounded: with no leader the writes cannot commit.
      name: 'events',
      stop: () =>
        Promise.race([recorder.stop(), delay(EVENT_FLUSH_ON_STOP_MS, undefined, { ref: false })]),
    },
    {
      name: 'runtime',
      stop: () =>
        runtime
          .close()
          .catch((err: unknown) =>
            logger.warn('closing the runtime failed', { error: errorMessage(err) }),
          ),
    },
    {
      name: 'log copies',
      // Copies of Runs that are gone are removed (once a minute, the first soon after start).
      start: () => {
        const sweep = (ms: number): void => {
          janitorTimer = setTimeout(() => {
            void runLogJanitor.sweep().then(() => sweep(LOG_COPY_SWEEP_MS));
          }, ms);
          janitorTimer.unref();
        };
        sweep(10_000);
      },
      stop: () => {
        clearTimeout(janitorTimer);
        return logCopies.stop();
      },
    },
    {
      name: 'agent',
      start: () => void raft.waitForLeader(30_000).then(startAgent, startAgent),
      // Containers keep running: a restart adopts them.
      stop: () => {
        agentStopped = true;
        return agent.stop();
      },
    },
    { name: 'controllers', start: () => controllers.start(), stop: () => controllers.stop() },
    { name: 'registration', start: () => registration.start(), stop: () => registration.stop() },
    // A node that joined asks to become a voter once it has caught up.
    ...(config.join
      ? [promotion({ raft, admin, logger: logger.child({ component: 'join' }) })]
      : []),
  ];

  const handOff = async (timeoutMs = 2000): Promise<void> => {
    // Stop taking part first: no more heartbeats, and the Node says NotReady.
    await registration.stop();
    await registration.markNotReady('jobd is stopping');
    if (!raft.isLeader() || raft.membership().voters.length < 2) return;
    try {
      const res = await admin.transferLeader(0, timeoutMs);
      logger.info('handed off leadership', { to: res.to, term: res.term });
    } catch (err) {
      logger.warn('leadership hand-off failed', { error: errorMessage(err) });
    }
  };

  return {
    components,
    logger,
    httpAddress: () => http?.address(),
    summary: {
      address: config.listen,
      advertise,
      clusterId: cluster.clusterId,
      voters: cluster.voters,
      learners: cluster.learners,
      peers: cluster.members,
      dataDir: config.dataDir,
      tickMs: config.tickMs,
      electionTick: config.electionTick,
      node: name,
      runtime: runtime.name,
      defaultImage,
      labels: config.labels,
      tls: tls !== undefined,
    },
    node: {
      config,
      raft,
      store,
      api: stack.admitted.resources,
      agent,
      runtime,
      metrics,
      fatal,
      drain: async (opts) => {
        await registration.cordonForShutdown();
        const result = await agent.drain(opts);
        logger.info('runs drained', { ...result });
        await handOff();
        return result;
      },
      handOff,
    },
  };
}

export async function startNode(config: NodeConfig, nodeLogger: NodeLogger): Promise<JobdNode> {
  const built = await buildNode(config, nodeLogger);
  const lifecycle = new Lifecycle(built.components);
  await lifecycle.start();
  const httpAddress = built.httpAddress();
  built.logger.info('listening', { ...built.summary, http: httpAddress });
  return { ...built.node, httpAddress, stop: () => lifecycle.stop() };
}

/** The Node object's name: --name, else node-<id>. */
export function nodeName(config: NodeConfig): string {
  return config.name ?? `node-${config.id}`;
}
