// The simulated application: a state machine that records what it applied. Its
// state is the applied index and a hash chain over every applied (index, term,
// data), so "every node applies the same entries in the same order" reduces to
// comparing indexes and hashes. A snapshot carries that pair plus the last few
// entries (payload, so snapshots span several chunks), and stays small no
// matter how long the run: a far-behind follower catches up in bounded time.
import type { Entry, Snapshot } from '../types.js';

export interface AppliedEntry {
  readonly index: number;
  readonly term: number;
  readonly data: string;
}

/** What a snapshot of the recording state machine holds. */
export interface SnapshotImage {
  readonly index: number;
  readonly term: number;
  /** Hash chain over entries 1..index. */
  readonly hash: number;
  /** The last few applied entries (ending at index). */
  readonly tail: readonly AppliedEntry[];
}

const FNV_OFFSET = 0x811c9dc5;
const TAIL = 12;

/** Extends a hash chain by one applied entry. */
export function chainHash(h: number, a: AppliedEntry): number {
  const s = `${a.index}:${a.term}:${a.data};`;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export const emptyChainHash = FNV_OFFSET;

/** Entry payloads are short ASCII strings in the simulator; latin1 is a cheap exact encoding. */
export function dataString(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1');
}

export function dataBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'latin1'));
}

export class RecordingStateMachine {
  private baseIndex = 0;
  private hashValue = FNV_OFFSET;
  private lastTerm = 0;
  /** Entries applied since the last restore (all of them if never restored). */
  private seq: AppliedEntry[] = [];
  private tail: AppliedEntry[] = [];

  get appliedIndex(): number {
    return this.baseIndex + this.seq.length;
  }

  get hash(): number {
    return this.hashValue;
  }

  /** Entries applied since the last snapshot restore (or since start). */
  get applied(): readonly AppliedEntry[] {
    return this.seq;
  }

  /** Applies the next entry; returns the recorded form. The checker checks order. */
  apply(e: Entry): AppliedEntry {
    const rec: AppliedEntry = { index: e.index, term: e.term, data: dataString(e.data) };
    this.seq.push(rec);
    this.tail.push(rec);
    if (this.tail.length > 2 * TAIL) this.tail = this.tail.slice(-TAIL);
    this.hashValue = chainHash(this.hashValue, rec);
    this.lastTerm = e.term;
    return rec;
  }

  snapshotData(): Uint8Array {
    return encodeImage({
      index: this.appliedIndex,
      term: this.lastTerm,
      hash: this.hashValue,
      tail: this.tail.slice(-TAIL),
    });
  }

  restore(snap: Snapshot): SnapshotImage {
    const img = decodeImage(snap.data);
    this.baseIndex = img.index;
    this.hashValue = img.hash;
    this.lastTerm = img.term;
    this.seq = [];
    this.tail = img.tail.slice();
    return img;
  }
}

export function encodeImage(img: SnapshotImage): Uint8Array {
  return dataBytes(
    JSON.stringify({
      i: img.index,
      t: img.term,
      h: img.hash,
      tail: img.tail.map((a) => [a.index, a.term, a.data]),
    }),
  );
}

export function decodeImage(data: Uint8Array): SnapshotImage {
  const raw = JSON.parse(dataString(data)) as {
    i: number;
    t: number;
    h: number;
    tail: [number, number, string][];
  };
  return {
    index: raw.i,
    term: raw.t,
    hash: raw.h,
    tail: raw.tail.map(([index, term, d]) => ({ index, term, data: d })),
  };
}
