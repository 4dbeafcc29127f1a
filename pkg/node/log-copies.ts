// The node's side of log copies (pkg/agent/log-copies.ts): which peers a
// finished Run's log goes to (PeerLogCopySender), and removing the copies
// this node keeps, and its own Run logs, once their Runs are gone (RunLogJanitor).
//
// How many copies: as many as the node failures the cluster itself survives,
// floor((nodes - 1) / 2), at least one: a 3-node cluster keeps 1 copy, a
// 5-node one 2, so a Run's log is lost only when more nodes are down than
// the control plane could stand anyway. Which peers: Ready nodes first, in
// an order drawn from the Run's uid (rendezvous hashing), so copies spread
// over the cluster instead of piling up on one node.
import { createHash } from 'node:crypto';
import {
  listLogCopyUids,
  listRunLogUids,
  removeLogCopy,
  removeRunLogFiles,
  runLogFilesModifiedMs,
  type LogCopySender,
} from '../agent/index.js';
import type { RunLogCopy } from '../client/index.js';
import type { Node } from '../store/index.js';
import type { Logger } from '../reconcile/index.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';

export interface PeerLogCopySenderOptions {
  readonly nodeName: string;
  /** The Node objects of this node's replica. */
  readonly nodes: () => readonly Node[];
  /** A node's gRPC address (undefined: unknown). */
  readonly addressOf: (nodeName: string) => string | undefined;
  /** One call to the node at `address`; per copy, in order: '' when kept, else why not. */
  readonly saveMany: (
    address: string,
    copies: readonly RunLogCopy[],
    timeoutMs: number,
  ) => Promise<readonly string[]>;
  /** Deadline of one hand-over. Default 10 000 ms. */
  readonly timeoutMs?: number;
}

/** One copy on its way: the peers it may go to, in order, and how far it got. */
interface Placement {
  readonly copy: RunLogCopy;
  readonly peers: readonly Node[];
  next: number;
  readonly took: string[];
  readonly failures: string[];
}

/**
 * Sends each copy to its own peers (rankPeers), but the copies bound for
 * one peer in one call: a batch of Runs costs a call per peer, not per Run.
 * A copy a peer refuses (or a peer that does not answer) moves on to the
 * copy's next peer in a further round, as a single copy would.
 */
export class PeerLogCopySender implements LogCopySender {
  constructor(private readonly o: PeerLogCopySenderOptions) {}

  async sendMany(copies: readonly RunLogCopy[]): Promise<Array<readonly string[] | Error>> {
    const nodes = this.o.nodes();
    const others = nodes.filter((n) => n.metadata.name !== this.o.nodeName);
    if (others.length === 0) return copies.map(() => []);
    const want = Math.max(1, Math.floor((nodes.length - 1) / 2));
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const placements: Placement[] = copies.map((copy) => ({
      copy,
      peers: rankPeers(others, copy.runUid),
      next: 0,
      took: [],
      failures: [],
    }));
    for (;;) {
      const round = this.nextRound(placements, want);
      if (round.size === 0) break;
      await Promise.all(
        [...round].map(async ([name, { address, group }]) => {
          let errors: readonly string[];
          try {
            errors = await this.o.saveMany(
              address,
              group.map((p) => p.copy),
              timeoutMs,
            );
          } catch (err) {
            errors = group.map(() => errorMessage(err));
          }
          group.forEach((p, i) => {
            const error = errors[i];
            if (error === '') p.took.push(name);
            else p.failures.push(`${name}: ${error ?? 'no answer for this copy'}`);
          });
        }),
      );
    }
    return placements.map((p) =>
      p.took.length > 0
        ? p.took
        : new JobctlError(
            Reason.Unavailable,
            `no other node took the copy (${p.failures.join('; ') || 'no address known'})`,
          ),
    );
  }

  /** Each copy still short of `want` peers, grouped by the next peers (with an address) it goes to. */
  private nextRound(
    placements: readonly Placement[],
    want: number,
  ): Map<string, { address: string; group: Placement[] }> {
    const round = new Map<string, { address: string; group: Placement[] }>();
    for (const p of placements) {
      let sending = 0;
      while (p.took.length + sending < want && p.next < p.peers.length) {
        const name = (p.peers[p.next++] as Node).metadata.name;
        const address = this.o.addressOf(name);
        if (!address) continue;
        const slot = round.get(name) ?? { address, group: [] };
        slot.group.push(p);
        round.set(name, slot);
        sending++;
      }
    }
    return round;
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

export interface RunLogJanitorOptions {
  readonly dataDir: string;
  /** This node's replica: is an object with this uid (a Run's) still there? */
  readonly hasUid: (uid: string) => boolean;
  /**
   * Resolves once this node's replica holds every write committed before the
   * call (a ReadIndex): a node restarted and still replaying has not yet seen
   * recent Runs, and must not take their files for those of deleted ones. A
   * sweep that cannot wait for it (no leader) removes nothing.
   */
  readonly caughtUp: () => Promise<void>;
  /** Drops the copy journal's lines of Runs gone (LogCopier.compactJournal). */
  readonly compactJournal?: (isGone: (runUid: string) => boolean) => Promise<number>;
  /** Wall clock, ms. */
  readonly now?: () => number;
  readonly logger: Logger;
}

/**
 * A Run's own files stay this long after their last change even once the Run
 * is gone: its container may still be stopping and writing (the agent stops it
 * when the Run is deleted).
 */
export const RUN_LOG_REMOVE_AFTER_MS = 60_000;

/**
 * Removes what this node keeps of Runs that are gone (deleted with their Job,
 * by a TTL or a history limit): the copies of other nodes' Runs, the logs of
 * the Runs it ran, and their lines in the journal of copies handed over.
 */
export class RunLogJanitor {
  constructor(private readonly o: RunLogJanitorOptions) {}

  /** One pass; returns how many copies and Run logs it removed. Never throws. */
  async sweep(): Promise<number> {
    try {
      await this.o.caughtUp();
    } catch {
      return 0; // no leader to ask: the next sweep tries again
    }
    let removed = 0;
    try {
      for (const uid of await listLogCopyUids(this.o.dataDir)) {
        // A Run replaced under the same name has a new uid: its old copy goes too.
        if (this.o.hasUid(uid)) continue;
        await removeLogCopy(this.o.dataDir, uid);
        removed++;
      }
    } catch (err) {
      this.o.logger.warn('log copy sweep failed', { err: errorMessage(err) });
    }
    removed += await this.sweepOwnLogs();
    try {
      await this.o.compactJournal?.((uid) => !this.o.hasUid(uid));
    } catch (err) {
      this.o.logger.warn('compacting the journal of copied run logs failed', {
        err: errorMessage(err),
      });
    }
    return removed;
  }

  private async sweepOwnLogs(): Promise<number> {
    const before = (this.o.now?.() ?? Date.now()) - RUN_LOG_REMOVE_AFTER_MS;
    let removed = 0;
    try {
      for (const uid of await listRunLogUids(this.o.dataDir)) {
        // Only the files of Runs that are gone are looked at more closely.
        if (this.o.hasUid(uid)) continue;
        try {
          if ((await runLogFilesModifiedMs(this.o.dataDir, uid)) > before) continue;
          await removeRunLogFiles(this.o.dataDir, uid);
          removed++;
        } catch (err) {
          this.o.logger.warn('could not remove the log of a deleted run', {
            uid,
            err: errorMessage(err),
          });
        }
      }
    } catch (err) {
      this.o.logger.warn('run log sweep failed', { err: errorMessage(err) });
    }
    return removed;
  }
}
