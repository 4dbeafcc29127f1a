// The composition root of one jobd: storage + Raft core + shell + transport +
// KV state machine + API, all on one gRPC server (--listen).
import * as grpc from '@grpc/grpc-js';
import { RaftNode } from '../raft/node.js';
import type { LogStore } from '../raft/storage/storage.js';
import { ApiClient } from '../transport/api-grpc.js';
import { registerApi } from '../transport/api-grpc.js';
import { GrpcTransport } from '../transport/grpc-raft.js';
import { randomRng } from '../util/rng.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
import type { NodeConfig } from './config.js';
import { createCore, openDiskStorage } from './deps.js';
import { KvStateMachine } from './kv.js';
import { KvService, type PeerApi } from './kv-service.js';
import type { NodeLogger } from './logger.js';

export interface JobdNode {
  readonly config: NodeConfig;
  readonly raft: RaftNode;
  readonly kv: KvStateMachine;
  /** Resolves when the node stopped by itself because of a fatal error. */
  readonly fatal: Promise<unknown>;
  /** Best effort: if leader, hand leadership to the most caught-up follower (bounded). */
  handOff(timeoutMs?: number): Promise<void>;
  /** Stops serving, stops Raft (waits for the Ready in flight) and closes storage. */
  stop(): Promise<void>;
}

/** API clients to peers, one per address, created lazily. */
class GrpcPeerApi implements PeerApi {
  private readonly clients = new Map<string, ApiClient>();

  private client(address: string): ApiClient {
    let c = this.clients.get(address);
    if (!c) this.clients.set(address, (c = new ApiClient(address)));
    return c;
  }

  nodeStatus(address: string, timeoutMs: number) {
    return this.client(address).nodeStatus(timeoutMs);
  }

  transferLeader(address: string, req: { to: number }, timeoutMs: number) {
    return this.client(address).transferLeader(req, timeoutMs);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

function bind(server: grpc.Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => {
      if (err)
        reject(new JobctlError(Reason.Unavailable, `cannot listen on ${address}: ${err.message}`));
      else resolve(port);
    });
  });
}

export async function startNode(config: NodeConfig, logger: NodeLogger): Promise<JobdNode> {
  if (!config.peers.has(config.id)) {
    throw new JobctlError(Reason.Invalid, `--peers must include this node (id ${config.id})`);
  }
  const storage: LogStore = await openDiskStorage({ dir: config.dataDir, logger });
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
    logger,
  });
  const transport = new GrpcTransport({ id: config.id, peers: config.peers, logger });
  const kv = new KvStateMachine();
  let onFatal: (err: unknown) => void = () => {};
  let failed = false;
  const fatal = new Promise<unknown>((resolve) => (onFatal = resolve));
  const raft = new RaftNode({
    id: config.id,
    core,
    storage,
    stateMachine: kv,
    network: transport,
    initialConfState: { voters, learners: [] },
    rng: rng.fork(),
    logger,
    tickMs: config.tickMs,
    snapshotEvery: config.snapshotEvery,
    onFatal: (err) => {
      failed = true;
      onFatal(err);
    },
    onConfChange: (change) => {
      if (change.type === 'removeNode') transport.removePeer(change.nodeId);
      else if (change.context) transport.setPeer(change.nodeId, change.context);
    },
  });
  const peerApi = new GrpcPeerApi();
  const service = new KvService({ raft, kv, members: config.peers, peerApi });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': 64 * 1024 * 1024,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5000,
  });
  transport.register(server);
  registerApi(server, service);
  try {
    await bind(server, config.listen);
  } catch (err) {
    await transport.close();
    await storage.close();
    throw err;
  }
  raft.start();
  logger.info('listening', {
    address: config.listen,
    peers: Object.fromEntries(config.peers),
    dataDir: config.dataDir,
    tickMs: config.tickMs,
    electionTick: config.electionTick,
    // Recorded for later issues (REST server, runtime, agent); not used yet.
    http: config.http,
    runtime: config.runtime,
    defaultImage: config.defaultImage,
    labels: config.labels,
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await raft.stop();
      // Closing the transport ends the peers' streams, so the server drains at once.
      await transport.close();
      peerApi.close();
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
    kv,
    fatal,
    async handOff(timeoutMs = 2000) {
      if (!raft.isLeader()) return;
      try {
        const res = await service.transferLeader({ to: 0 }, { remainingMs: timeoutMs });
        logger.info('handed off leadership', { to: res.to, term: res.term });
      } catch (err) {
        logger.warn('leadership hand-off failed', { error: errorMessage(err) });
      }
    },
    stop,
  };
}
