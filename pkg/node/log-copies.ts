// The node's side of log copies (pkg/agent/log-copies.ts): which peers a
// finished Run's log goes to (PeerLogCopySender), and removing the copies
// this node keeps once their Runs are gone (LogCopyJanitor).
//
// How many copies: as many as the node failures the cluster itself survives,
// floor((nodes - 1) / 2), at least one: a 3-node cluster keeps 1 copy, a
// 5-node one 2, so a Run's log is lost only when more nodes are down than
// the control plane could stand anyway. Which peers: Ready nodes first, in
// an order drawn from the Run's uid (rendezvous hashing), so copies spread
// over the cluster instead of piling up on one node.
import { createHash } from 'node:crypto';
import { listLogCopies, removeLogCopy, type LogCopySender } from '../agent/index.js';
import type { RunLogCopy } from '../client/index.js';
import type { Node, Run } from '../store/index.js';
import type { Logger } from '../reconcile/index.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';

export interface PeerLogCopySenderOptions {
  readonly nodeName: string;
  /** The Node objects of this node's replica. */
  readonly nodes: () => readonly Node[];
  /** A node's gRPC address (undefined: unknown). */
  readonly addressOf: (nodeName: string) => string | undefined;
  readonly save: (address: string, copy: RunLogCopy, timeoutMs: number) => Promise<void>;
  /** Deadline of one hand-over. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

export class PeerLogCopySender implements LogCopySender {
  constructor(private readonly o: PeerLogCopySenderOptions) {}

  async send(copy: RunLogCopy): Promise<readonly string[]> {
    const nodes = this.o.nodes();
    const others = nodes.filter((n) => n.metadata.name !== this.o.nodeName);
    if (others.length === 0) return [];
    const want = Math.max(1, Math.floor((nodes.length - 1) / 2));
    const took: string[] = [];
    const failures: string[] = [];
    for (const n of rankPeers(others, copy.runUid)) {
      if (took.length >= want) break;
      const address = this.o.addressOf(n.metadata.name);
      if (!address) continue;
      try {
        await this.o.save(address, copy, this.o.timeoutMs ?? 10_000);
        took.push(n.metadata.name);
      } catch (err) {
        failures.push(`${n.metadata.name}: ${errorMessage(err)}`);
      }
    }
    if (took.length === 0) {
      throw new JobctlError(
        Reason.Unavailable,
        `no other node took the copy (${failures.join('; ') || 'no address known'})`,
      );
    }
    return took;
  }
}

/** Ready nodes first, each group in an order drawn from `key` (rendezvous hashing). */
export function rankPeers(nodes: readonly Node[], key: string): Node[] {
  const ready = (n: Node): boolean =>
    (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const weight = (n: Node): string =>
    createHash('sha256').update(`${key}/${n.metadata.name}`).digest('hex');
  return [...nodes].sort(
    (a, b) => Number(ready(b)) - Number(ready(a)) || weight(a).localeCompare(weight(b)),
  );
}

export interface LogCopyJanitorOptions {
  readonly dataDir: string;
  /** This node's replica: is the Run still there? */
  readonly getRun: (namespace: string, name: string) => Run | undefined;
  readonly logger: Logger;
}

/** Removes the copies this node keeps of Runs that are gone (deleted with their Job). */
export class LogCopyJanitor {
  constructor(private readonly o: LogCopyJanitorOptions) {}

  /** One pass; returns how many copies it removed. Never throws. */
  async sweep(): Promise<number> {
    let removed = 0;
    try {
      for (const c of await listLogCopies(this.o.dataDir)) {
        const run = this.o.getRun(c.namespace, c.run);
        if (run && run.metadata.uid === c.runUid) continue;
        await removeLogCopy(this.o.dataDir, c.runUid);
        removed++;
      }
    } catch (err) {
      this.o.logger.warn('log copy sweep failed', { err: errorMessage(err) });
    }
    return removed;
  }
}
