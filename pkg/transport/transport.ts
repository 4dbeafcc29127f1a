// The Raft transport contract: how the shell (pkg/raft/node.ts) hands messages
// to peers and receives theirs. Two implementations share one contract suite
// (test/unit/transport): gRPC streams (grpc-raft.ts) and an in-memory network
// for tests (memory.ts).
import type { Message, NodeId } from '../raft/index.js';

export type MessageHandler = (msg: Message) => void;
export type UnreachableHandler = (peer: NodeId) => void;

/**
 * Contract:
 * - send() never blocks or throws for delivery problems: Raft tolerates loss,
 *   so undeliverable messages are dropped and the peer is reported through
 *   onUnreachable (at most once per dropped batch);
 * - messages to the same peer arrive in the order they were sent, or not at all;
 * - the handler receives messages addressed to this node only, asynchronously
 *   (never from inside send());
 * - after close() nothing is delivered or sent.
 */
export interface Transport {
  send(msgs: readonly Message[]): void;
  onMessage(handler: MessageHandler): void;
  onUnreachable(handler: UnreachableHandler): void;
  /** Adds or re-addresses a peer (membership change). */
  setPeer(id: NodeId, address: string): void;
  removePeer(id: NodeId): void;
  close(): Promise<void>;
}
