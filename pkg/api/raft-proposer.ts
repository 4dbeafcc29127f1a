// RaftProposer: store commands through Raft. Any node accepts any write: on a
// follower, RaftNode.propose hands the entry to the Raft core, which forwards
// it to the leader as MsgProp (no gRPC hop, no leader address needed); the
// call resolves when this node applies the entry, with the result the store
// computed for it. Concurrent writes are packed into one entry
// (command-batcher.ts: group commit), on followers too, so a follower forwards
// them to the leader in batches. Backpressure surfaces as errors with their
// reasons: TooManyRequests (queue full), Timeout (not committed within the
// deadline; the write may still commit), Unavailable (no leader, stopping).
import type { RaftNode } from '../raft/index.js';
import type { Command, CommandResult, Proposer } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import { CommandBatcher, type BatchLimits } from './command-batcher.js';

export interface RaftProposerOptions {
  /** Deadline of one write (default 5 s, the shell's). */
  readonly timeoutMs?: number;
  /** How writes are packed; `false`: one entry per write. */
  readonly batching?: BatchLimits | false;
  readonly clock?: Clock;
}

export class RaftProposer implements Proposer {
  private readonly batcher: CommandBatcher;

  constructor(
    raft: Pick<RaftNode, 'propose'> & Partial<Pick<RaftNode, 'onLeaderChange'>>,
    o: RaftProposerOptions = {},
  ) {
    const limits: BatchLimits =
      o.batching === false ? { maxCommands: 1, maxInFlight: Infinity } : (o.batching ?? {});
    this.batcher = new CommandBatcher({
      ...limits,
      send: (data, { timeoutMs }) => raft.propose(data, { timeoutMs }),
      ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
      ...(o.clock ? { clock: o.clock } : {}),
    });
    // An entry handed to a leader that is gone may end only at its deadline:
    // the writes queued behind it go to the new leader at once.
    raft.onLeaderChange?.(() => this.batcher.release());
  }

  propose(command: Command): Promise<CommandResult> {
    return this.batcher.propose(command);
  }
}
