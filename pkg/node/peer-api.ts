// How a node reaches its peers' APIs over gRPC: their Raft view and
// leadership transfer (ClusterAdmin), the Logs proxy hop (RunLogs) and log
// copies (PeerLogCopySender). One
// client per address, created on first use.
import type * as grpc from '@grpc/grpc-js';
import type { MembershipChange, PeerApi } from '../api/index.js';
import type {
  LogsOptions,
  MembershipResult,
  NodeRaftStatus,
  RunLogCopy,
  TransferResult,
} from '../client/index.js';
import { ApiClient, membershipResult } from '../transport/api-grpc.js';
import { logCopyMessage, logsRequestOf } from '../transport/api-wire.js';

export class GrpcPeerApi implements PeerApi {
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

  snapshot(address: string): AsyncIterable<Uint8Array> {
    return this.client(address).snapshot();
  }

  async changeMembership(address: string, change: MembershipChange): Promise<MembershipResult> {
    const c = this.client(address);
    const timeoutMs = 30_000;
    switch (change.type) {
      case 'add': {
        const req = { id: change.id, address: change.address, joining: change.joining };
        return membershipResult(await c.addMember(req, timeoutMs));
      }
      case 'promote':
        return membershipResult(await c.promoteMember({ id: change.id }, timeoutMs));
      case 'remove':
        return membershipResult(await c.removeMember({ id: change.id }, timeoutMs));
    }
  }

  /** A Run's output from the node that executed it (the Logs proxy hop), or a copy a peer keeps. */
  logs(address: string, opts: LogsOptions): AsyncIterable<Uint8Array> {
    return this.client(address).logs(logsRequestOf(opts), opts.signal, opts.onInfo);
  }

  /** Hands the node at `address` several copies in one call; per copy: '' when kept, else why not. */
  saveLogCopies(
    address: string,
    copies: readonly RunLogCopy[],
    timeoutMs: number,
  ): Promise<string[]> {
    return this.client(address).saveLogCopies(copies.map(logCopyMessage), timeoutMs);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
