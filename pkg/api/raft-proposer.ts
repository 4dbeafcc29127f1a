// RaftProposer: store commands through Raft. Any node accepts any write: on a
// follower, RaftNode.propose hands the entry to the Raft core, which forwards
// it to the leader as MsgProp (no gRPC hop, no leader address needed); the
// call resolves when this node applies the entry, with the result the store
// computed for it. Backpressure surfaces as RaftNode's errors with their
// reasons: TooManyRequests (queue full), Timeout (not committed within the
// deadline; the write may still commit), Unavailable (no leader, stopping).
import type { RaftNode } from '../raft/index.js';
import { encodeCommand, type Command, type CommandResult, type Proposer } from '../store/index.js';
import { JobctlError, Reason } from '../util/errors.js';

export class RaftProposer implements Proposer {
  constructor(
    private readonly raft: Pick<RaftNode, 'propose'>,
    /** Deadline of one proposal (default: the shell's, 5 s). */
    private readonly timeoutMs?: number,
  ) {}

  async propose(command: Command): Promise<CommandResult> {
    const result = await this.raft.propose(
      encodeCommand(command),
      this.timeoutMs !== undefined ? { timeoutMs: this.timeoutMs } : {},
    );
    if (result === undefined || typeof result !== 'object') {
      throw new JobctlError(Reason.Internal, 'the state machine returned no result for a command');
    }
    return result as CommandResult;
  }
}
