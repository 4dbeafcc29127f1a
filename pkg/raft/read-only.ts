// ReadIndex bookkeeping on the leader (etcd's readOnly, "safe" mode). A read
// request records the commit index at arrival; it may be answered once a
// quorum has acknowledged a heartbeat sent after it, which proves we were
// still leader when the index was recorded. Requests are answered in order:
// an ack for a later request confirms every earlier one too.
import type { NodeId } from './types.js';

export interface ReadIndexRequest {
  readonly context: string;
  /** Who asked: this node (answered with a ReadState) or a follower (MsgReadIndexResp). */
  readonly from: NodeId;
  readonly index: number;
  readonly acks: Set<NodeId>;
}

export class ReadOnly {
  private readonly pending = new Map<string, ReadIndexRequest>();
  private queue: string[] = [];

  /** Records a request; a context already pending is not duplicated (one answer serves both). */
  addRequest(index: number, context: string, from: NodeId): void {
    if (this.pending.has(context)) return;
    this.pending.set(context, { context, from, index, acks: new Set() });
    this.queue.push(context);
  }

  /** Records a heartbeat ack for context; returns who has acked it so far. */
  recvAck(id: NodeId, context: string): ReadonlySet<NodeId> | undefined {
    const req = this.pending.get(context);
    if (!req) return undefined;
    req.acks.add(id);
    return req.acks;
  }

  /** Releases every request up to and including context, oldest first. */
  advance(context: string): ReadIndexRequest[] {
    const at = this.queue.indexOf(context);
    if (at < 0) return [];
    const done = this.queue.slice(0, at + 1);
    this.queue = this.queue.slice(at + 1);
    const out: ReadIndexRequest[] = [];
    for (const ctx of done) {
      const req = this.pending.get(ctx);
      this.pending.delete(ctx);
      if (req) out.push(req);
    }
    return out;
  }

  /** Context of the newest pending request ('' if none), piggybacked on heartbeats. */
  lastPendingContext(): string {
    return this.queue[this.queue.length - 1] ?? '';
  }

  get size(): number {
    return this.queue.length;
  }

  reset(): void {
    this.pending.clear();
    this.queue = [];
  }
}
