// Raft transport over gRPC: one long-lived client stream (Raft.Send) per peer.
// Messages produced in one synchronous run (a Ready's send() calls) are
// written as a single MessageBatch, in a microtask: Node's HTTP/2 puts the
// bytes on the socket in its next check phase, so a setImmediate here would
// hold every MsgApp and MsgAppResp one whole event-loop turn longer (a poll
// phase full of API calls, on a busy leader) on each write's critical path.
// A broken stream drops its messages (Raft retransmits), reports the peer
// unreachable and reconnects after an exponential back-off.
// The receiving side sends its response headers as soon as it accepts a
// stream: grpc-js keeps every message a client writes in the call's retry
// buffer (up to 1 MiB per call) until the server has answered something, and a
// Raft stream is answered only when it ends. Raft never wants a stream
// replayed (it retransmits what was lost itself), so nothing is kept.
import * as grpc from '@grpc/grpc-js';
import type { Message, NodeId, Logger } from '../raft/index.js';
import { silentLogger } from '../raft/index.js';
import { backoffDelay, type BackoffOptions } from '../util/backoff.js';
import { realClock, type Clock, type Timer } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import {
  MessageBatch,
  type RaftClient,
  RaftService,
  type RaftServer,
  type SendAck,
} from './gen/raft.js';
import { channelOptions } from './channel-options.js';
import { batchToWire, messagesFromBatch } from './raft-message.js';
import { withReusedWriters } from './reused-writer.js';
import type { MessageHandler, Transport, UnreachableHandler } from './transport.js';

export interface GrpcTransportOptions {
  readonly id: NodeId;
  /** Peer id -> "host:port" (may include this node; it is ignored). */
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Reconnect back-off after a stream breaks. Default 50 ms doubling to 1 s. */
  readonly backoff?: BackoffOptions;
  /** Credentials of the streams to peers (mutual TLS: pkg/tls peerCredentials). Default plaintext. */
  readonly credentials?: grpc.ChannelCredentials;
  /**
   * Whether `id` was removed from the cluster (this node applied its
   * removal): its streams are refused with a status that tells it so, since
   * the leader no longer replicates to it and it may never learn otherwise.
   */
  readonly isRemoved?: (id: NodeId) => boolean;
  /** Called when a peer refused our stream because we were removed from the cluster. */
  readonly onRemoved?: (by: NodeId) => void;
  /**
   * This node's cluster id, sent with every stream; a stream carrying another
   * cluster's id is refused (a member of an old cluster, e.g. the one a backup
   * was restored from, dialling a member of the new one). Omitted: not checked.
   */
  readonly clusterId?: string;
}

/** The metadata key of the sender's cluster id on Raft streams. */
const CLUSTER_ID_KEY = 'jobctl-cluster-id';

/** The status details of a stream refused because its sender was removed. */
const REMOVED = 'was removed from the cluster';

const defaultBackoff: BackoffOptions = { initialMs: 50, maxMs: 1000 };

/**
 * The Raft client with each MessageBatch (a Ready's MsgApps, entries and all)
 * encoded with a reused writer (reused-writer.ts): one copy of the entries
 * instead of three or four. Same bytes on the wire.
 */
const RaftStreamClient = grpc.makeGenericClientConstructor(
  withReusedWriters(RaftService, { send: { request: MessageBatch } }),
  'jobctl.raft.v1.Raft',
) as unknown as typeof RaftClient;

/** The outgoing half for one peer: a stream, a queue and a reconnect schedule. */
class PeerStream {
  private client: RaftClient | undefined;
  private call: grpc.ClientWritableStream<MessageBatch> | undefined;
  private queue: Message[] = [];
  private flushScheduled = false;
  private failures = 0;
  private retryTimer: Timer | undefined;
  private closed = false;

  constructor(
    readonly id: NodeId,
    private address: string,
    private readonly owner: GrpcTransport,
  ) {}

  readdress(address: string): void {
    if (address === this.address) return;
    this.address = address;
    this.reset();
  }

  enqueue(msg: Message): void {
    if (this.closed) return;
    this.queue.push(msg);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.closed || this.queue.length === 0) return;
    const msgs = this.queue;
    this.queue = [];
    if (this.retryTimer) {
      // Backing off after a failure: drop, and let Raft slow down for this peer.
      this.owner.reportUnreachable(this.id);
      return;
    }
    const call = this.call ?? this.open();
    call.write(batchToWire(msgs));
  }

  private open(): grpc.ClientWritableStream<MessageBatch> {
    this.client ??= new RaftStreamClient(this.address, this.owner.credentials, channelOptions);
    const md = new grpc.Metadata();
    if (this.owner.clusterId) md.set(CLUSTER_ID_KEY, this.owner.clusterId);
    const call = this.client.send(md, (err) => {
      if (this.call === call) this.call = undefined;
      if (this.closed) return;
      if (err?.code === grpc.status.FAILED_PRECONDITION && err.details.includes(REMOVED)) {
        this.owner.removedBy(this.id);
      }
      if (err) this.failed(err);
    });
    call.on('error', () => {
      /* reported through the callback */
    });
    this.call = call;
    return call;
  }

  private failed(err: grpc.ServiceError): void {
    const delay = backoffDelay(this.owner.backoff, this.failures++);
    if (this.failures === 1) {
      this.owner.logger.info('raft peer stream broken', {
        peer: this.id,
        address: this.address,
        error: errorMessage(err),
      });
    }
    this.owner.reportUnreachable(this.id);
    this.retryTimer?.cancel();
    this.retryTimer = this.owner.clock.setTimer(delay, () => {
      this.retryTimer = undefined;
    });
  }

  /** A message came back from this peer, so it is alive: reconnect promptly. */
  markAlive(): void {
    if (this.failures > 0 && !this.call) {
      this.failures = 0;
      this.retryTimer?.cancel();
      this.retryTimer = undefined;
    } else if (this.call) {
      this.failures = 0;
    }
  }

  private reset(): void {
    const call = this.call;
    this.call = undefined;
    call?.end();
    this.client?.close();
    this.client = undefined;
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.retryTimer?.cancel();
    this.reset();
  }
}

export class GrpcTransport implements Transport {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly backoff: BackoffOptions;
  readonly credentials: grpc.ChannelCredentials;
  readonly clusterId: string | undefined;
  /** Cluster ids whose streams were refused (each logged once). */
  private readonly foreignClusters = new Set<string>();
  private readonly id: NodeId;
  private readonly peers = new Map<NodeId, PeerStream>();
  private readonly isRemoved: (id: NodeId) => boolean;
  private readonly onRemoved: (by: NodeId) => void;
  private messageHandler: MessageHandler = () => {};
  private unreachableHandler: UnreachableHandler = () => {};
  /** Finishers of the peers' open streams; calling one answers and closes that stream. */
  private readonly incoming = new Set<() => void>();
  private closed = false;

  constructor(opts: GrpcTransportOptions) {
    this.id = opts.id;
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? realClock;
    this.backoff = opts.backoff ?? defaultBackoff;
    this.credentials = opts.credentials ?? grpc.credentials.createInsecure();
    this.isRemoved = opts.isRemoved ?? (() => false);
    this.clusterId = opts.clusterId;
    this.onRemoved = opts.onRemoved ?? (() => {});
    for (const [id, address] of opts.peers) this.setPeer(id, address);
  }

  /** Registers the Raft service on a server (the node shares one server for raft and api). */
  register(server: grpc.Server): void {
    const handlers: RaftServer = { send: (call, cb) => this.serve(call, cb) };
    server.addService(RaftService, handlers);
  }

  private serve(
    call: grpc.ServerReadableStream<MessageBatch, SendAck>,
    cb: grpc.sendUnaryData<SendAck>,
  ): void {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.incoming.delete(finish);
      cb(null, {});
    };
    const theirs = call.metadata.get(CLUSTER_ID_KEY)[0];
    if (this.clusterId && typeof theirs === 'string' && theirs !== this.clusterId) {
      done = true;
      const details = `cluster id mismatch: this node is in cluster ${this.clusterId}, the sender in ${theirs}`;
      if (!this.foreignClusters.has(theirs)) {
        this.foreignClusters.add(theirs);
        this.logger.warn('refused a Raft stream from another cluster', {
          peer: call.getPeer(),
          theirs,
        });
      }
      cb({ code: grpc.status.FAILED_PRECONDITION, details });
      return;
    }
    this.incoming.add(finish);
    // Headers now, not at the end: the sender's call commits and stops
    // buffering its messages for a retry (see the top of this file).
    call.sendMetadata(new grpc.Metadata());
    call.on('data', (batch: MessageBatch) => {
      if (this.closed || done) return;
      let lastFrom = 0;
      for (const msg of messagesFromBatch(batch)) {
        if (msg.to !== this.id) continue;
        if (this.isRemoved(msg.from)) {
          done = true;
          this.incoming.delete(finish);
          cb({ code: grpc.status.FAILED_PRECONDITION, details: `node ${msg.from} ${REMOVED}` });
          return;
        }
        if (msg.from !== lastFrom) {
          lastFrom = msg.from;
          this.peers.get(msg.from)?.markAlive();
        }
        this.messageHandler(msg);
      }
    });
    call.on('end', finish);
    call.on('error', finish);
  }

  send(msgs: readonly Message[]): void {
    if (this.closed) return;
    for (const m of msgs) {
      const peer = this.peers.get(m.to);
      if (peer) peer.enqueue(m);
      else this.reportUnreachable(m.to);
    }
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  onUnreachable(handler: UnreachableHandler): void {
    this.unreachableHandler = handler;
  }

  /** A peer told us we were removed from the cluster. */
  removedBy(peer: NodeId): void {
    if (!this.closed) this.onRemoved(peer);
  }

  reportUnreachable(peer: NodeId): void {
    if (!this.closed) this.unreachableHandler(peer);
  }

  setPeer(id: NodeId, address: string): void {
    if (id === this.id) return;
    const existing = this.peers.get(id);
    if (existing) existing.readdress(address);
    else this.peers.set(id, new PeerStream(id, address, this));
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.close();
    this.peers.delete(id);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.peers.values()) p.close();
    this.peers.clear();
    // Answer every incoming stream so the server can shut down at once; the
    // peers see the stream end and reconnect (to our successor) with back-off.
    for (const finish of [...this.incoming]) finish();
  }
}
