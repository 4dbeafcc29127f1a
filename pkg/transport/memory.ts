// An in-memory Raft network for tests: every transport created from one
// MemoryNetwork can reach the others. Delivery is asynchronous (a macrotask
// per batch, like a socket) and per-peer ordered; a node can be taken down or
// a link cut, in which case messages are dropped and reported unreachable.
import type { Message, NodeId } from '../raft/index.js';
import type { MessageHandler, Transport, UnreachableHandler } from './transport.js';

export class MemoryNetwork {
  private readonly nodes = new Map<NodeId, MemoryTransport>();
  private readonly down = new Set<NodeId>();
  private readonly cut = new Set<string>();

  /** Creates (or replaces, e.g. after a restart) the transport of node `id`. */
  transport(id: NodeId): MemoryTransport {
    const t = new MemoryTransport(id, this);
    this.nodes.set(id, t);
    this.down.delete(id);
    return t;
  }

  /** Messages to and from `id` are dropped until up(id). */
  takeDown(id: NodeId): void {
    this.down.add(id);
  }

  up(id: NodeId): void {
    this.down.delete(id);
  }

  /** Drops messages in both directions between a and b until heal(). */
  cutLink(a: NodeId, b: NodeId): void {
    this.cut.add(`${a}-${b}`).add(`${b}-${a}`);
  }

  heal(): void {
    this.cut.clear();
    this.down.clear();
  }

  /** @internal */
  deliverable(from: NodeId, to: NodeId): MemoryTransport | undefined {
    if (this.down.has(from) || this.down.has(to) || this.cut.has(`${from}-${to}`)) return undefined;
    const t = this.nodes.get(to);
    return t && !t.isClosed() ? t : undefined;
  }

  /** @internal */
  forget(t: MemoryTransport): void {
    if (this.nodes.get(t.id) === t) this.nodes.delete(t.id);
  }
}

export class MemoryTransport implements Transport {
  private messageHandler: MessageHandler = () => {};
  private unreachableHandler: UnreachableHandler = () => {};
  private readonly outbox = new Map<NodeId, Message[]>();
  private flushScheduled = false;
  private closed = false;

  constructor(
    readonly id: NodeId,
    private readonly network: MemoryNetwork,
  ) {}

  isClosed(): boolean {
    return this.closed;
  }

  send(msgs: readonly Message[]): void {
    if (this.closed) return;
    for (const m of msgs) {
      let q = this.outbox.get(m.to);
      if (!q) this.outbox.set(m.to, (q = []));
      q.push(m);
    }
    if (!this.flushScheduled && this.outbox.size > 0) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const outbox = [...this.outbox];
    this.outbox.clear();
    for (const [to, msgs] of outbox) {
      const dest = this.closed ? undefined : this.network.deliverable(this.id, to);
      if (!dest) {
        if (!this.closed) this.unreachableHandler(to);
        continue;
      }
      dest.receive(msgs);
    }
  }

  /** @internal */
  receive(msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (this.closed) return;
      if (m.to === this.id) this.messageHandler(m);
    }
  }

  onMessage(handler: MessageHandler): void {
    this.messageHandler = handler;
  }

  onUnreachable(handler: UnreachableHandler): void {
    this.unreachableHandler = handler;
  }

  setPeer(): void {
    /* every node of the network is reachable by id */
  }

  removePeer(): void {}

  async close(): Promise<void> {
    this.closed = true;
    this.outbox.clear();
    this.network.forget(this);
  }
}
