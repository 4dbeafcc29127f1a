// Before it campaigns, a node checks that no committed membership change waits
// to be applied. After a restart every unapplied entry may be on disk only, so
// the check reads the log a page at a time, and reads a committed entry once.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../../pkg/raft/config.js';
import { encodeConfChange } from '../../../../pkg/raft/raft.js';
import { RawNode } from '../../../../pkg/raft/rawnode.js';
import { MemoryStorage } from '../../../../pkg/raft/storage/memory.js';
import type { Entry } from '../../../../pkg/raft/types.js';
import { ConfChangeType, EntryType, Role } from '../../../../pkg/raft/types.js';
import { SeededRng } from '../../../../pkg/util/rng.js';

const ENTRIES = 300;
const ENTRY_BYTES = 32 * 1024;

interface Restarted {
  raft: RawNode;
  /** Sizes in bytes of the storage reads made so far. */
  reads: number[];
  entriesRead: () => number;
}

/** A node restarted with ENTRIES committed entries, none applied. */
function restarted(confChangeAt?: number): Restarted {
  const storage = new MemoryStorage({ peers: [1, 2, 3] });
  const ents: Entry[] = [];
  for (let i = 1; i <= ENTRIES; i++) {
    ents.push(
      i === confChangeAt
        ? {
            index: i,
            term: 1,
            type: EntryType.ConfChange,
            data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId: 4 }),
          }
        : { index: i, term: 1, type: EntryType.Normal, data: new Uint8Array(ENTRY_BYTES) },
    );
  }
  storage.saveSync({ entries: ents, hardState: { term: 1, vote: 0, commit: ENTRIES } });
  const reads: number[] = [];
  let count = 0;
  const read = storage.entries.bind(storage);
  storage.entries = (lo, hi, maxBytes) => {
    const out = read(lo, hi, maxBytes);
    reads.push(out.reduce((n, e) => n + e.data.length, 0));
    count += out.length;
    return out;
  };
  const raft = new RawNode({
    id: 1,
    peers: [],
    storage,
    applied: 0,
    rng: new SeededRng(3),
    logger: silentLogger,
  });
  return { raft, reads, entriesRead: () => count };
}

describe('the campaign check for an unapplied membership change', () => {
  it('finds one near the end of a long unapplied log, reading it in bounded pages', () => {
    const n = restarted(ENTRIES - 10);
    n.raft.campaign();
    assert.equal(n.raft.status().role, Role.Follower, 'no campaign past an unapplied change');
    assert.ok(n.reads.length >= 3, `read in ${n.reads.length} call(s)`);
    for (const bytes of n.reads) {
      assert.ok(bytes <= 4 * 1024 * 1024 + ENTRY_BYTES, `a read of ${bytes} bytes`);
    }
    // Still refused the next time; the change is still unapplied.
    n.raft.campaign();
    assert.equal(n.raft.status().role, Role.Follower);
  });

  it('campaigns when none is unapplied, and does not read the same entries again', () => {
    const n = restarted();
    n.raft.campaign();
    assert.notEqual(n.raft.status().role, Role.Follower);
    assert.equal(n.entriesRead(), ENTRIES, 'every unapplied entry read once');
    n.raft.campaign();
    assert.notEqual(n.raft.status().role, Role.Follower);
    assert.equal(n.entriesRead(), ENTRIES, 'the second campaign read nothing again');
  });
});
