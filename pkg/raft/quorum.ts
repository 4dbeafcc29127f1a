// Majority arithmetic over a set of voters. Membership changes one server at a
// time, so a single majority config is enough (no joint consensus).
import type { NodeId } from './types.js';

export function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/**
 * The largest index replicated on a majority of voters, given each voter's
 * match index (missing voters count as 0). An empty voter set commits nothing.
 */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => number): number {
  if (voters.length === 0) return 0;
  const idx = voters.map(match).sort((a, b) => b - a);
  // The q-th largest value is held by at least q voters.
  return idx[quorumSize(voters.length) - 1] ?? 0;
}

export const VoteResult = {
  Pending: 'pending',
  Won: 'won',
  Lost: 'lost',
} as const;
export type VoteResult = (typeof VoteResult)[keyof typeof VoteResult];

/** Outcome of an election given the votes received so far (true = granted). */
export function voteResult(
  voters: readonly NodeId[],
  votes: ReadonlyMap<NodeId, boolean>,
): VoteResult {
  if (voters.length === 0) return VoteResult.Won;
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const q = quorumSize(voters.length);
  if (granted >= q) return VoteResult.Won;
  // Even if every missing voter granted, no majority is possible.
  if (voters.length - rejected < q) return VoteResult.Lost;
  return VoteResult.Pending;
}

/** Whether the given set of voters that responded forms a majority. */
export function hasQuorum(voters: readonly NodeId[], responded: (id: NodeId) => boolean): boolean {
  let n = 0;
  for (const id of voters) if (responded(id)) n++;
  return n >= quorumSize(voters.length);
}
