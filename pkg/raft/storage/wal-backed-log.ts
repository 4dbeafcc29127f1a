// The log since the snapshot, as DiskStorage serves it to the Raft core:
// every entry's term, size and the place of its record in the WAL, but the
// data of only the newest entries in memory (`heldBytes` of it). Older
// entries are read back from their WAL segment when asked for, which only
// a follower far behind the leader, or a node replaying its log after a
// restart, ever does.
//
// Why: the log since the last snapshot can be a quarter of the state or more
// (hundreds of MB at 100,000 Jobs), and every node kept all of it in memory
// although, in steady state, Raft reads only the last few entries (to send
// them to followers and to apply them). The WAL already holds every byte.
//
// An entry is dropped from memory only once its record is written (the WAL
// tells where, see Wal.append's onWritten): until then memory is its only
// copy. Reads are synchronous (the Storage interface is): one positional
// read per run of entries in the same segment.
import type { Entry } from '../types.js';
import { StorageCorruptError } from './errors.js';
import { decodeEntryRecord } from './record.js';

/** How the log reaches the WAL's segments. */
export interface WalSegments {
  /** Bytes [start, end) of segment `seq` (fewer at the end of the file). */
  read(seq: number, start: number, end: number): Uint8Array;
  /** The segment's file, for error messages. */
  path(seq: number): string;
}

/** Where an entry's record lies: its segment's sequence number and byte offset. */
export interface WalPlace {
  readonly seq: number;
  readonly start: number;
}

/** Bytes of an entry record before its data (tag, term, index, type, length). */
const RECORD_HEADER_BYTES = 22;
/** seq of an entry not yet written to the WAL. */
const UNWRITTEN = -1;

export interface WalBackedLogStats {
  /** Entries in the log (since the snapshot). */
  readonly entries: number;
  /** Entries whose data is in memory, and that data's size. */
  readonly heldEntries: number;
  readonly heldBytes: number;
  /** Entries read back from the WAL so far, and positional reads made for them. */
  readonly readBack: number;
  readonly reads: number;
}

export class WalBackedLog {
  /** Index of the entry before the first one (the snapshot's). */
  private base: number;
  // Parallel arrays, position k holding entry base + 1 + k.
  private terms: number[] = [];
  private sizes: number[] = [];
  private seqs: number[] = [];
  private starts: number[] = [];
  /** The entry itself, for k >= oldestHeld; undefined below (read back on demand). */
  private held: (Entry | undefined)[] = [];
  private oldestHeld = 0;
  private heldBytes = 0;
  private readBack = 0;
  private reads = 0;

  /**
   * An empty log after `base`, keeping the data of the newest `holdBytes`
   * of written entries in memory.
   */
  constructor(
    base: number,
    private readonly holdBytes: number,
    private readonly wal: WalSegments,
  ) {
    this.base = base;
  }

  lastIndex(): number {
    return this.base + this.terms.length;
  }

  /** Term of entry `index` (base < index <= lastIndex, checked by the caller). */
  term(index: number): number {
    return this.terms[index - this.base - 1] as number;
  }

  /** Empties the log; it continues after `base` (a snapshot from the leader was installed). */
  reset(base: number): void {
    this.base = base;
    this.terms = [];
    this.sizes = [];
    this.seqs = [];
    this.starts = [];
    this.held = [];
    this.oldestHeld = 0;
    this.heldBytes = 0;
  }

  /** Drops the entries up to `index` (covered by a snapshot now). */
  compactTo(index: number): void {
    const drop = Math.min(index - this.base, this.terms.length);
    if (drop <= 0) return;
    for (let k = Math.max(drop, this.oldestHeld) - 1; k >= this.oldestHeld; k--) {
      this.heldBytes -= this.sizes[k] as number;
    }
    this.terms.splice(0, drop);
    this.sizes.splice(0, drop);
    this.seqs.splice(0, drop);
    this.starts.splice(0, drop);
    this.held.splice(0, drop);
    this.oldestHeld = Math.max(0, this.oldestHeld - drop);
    this.base += drop;
  }

  /**
   * Appends entries, each replacing everything from its index on (a
   * conflicting suffix). Entries must attach to the log (checked by the
   * caller); entries at or below base are skipped. They stay in memory
   * until written().
   */
  append(entries: readonly Entry[]): void {
    for (const e of entries) {
      const k = e.index - this.base - 1;
      if (k < 0) continue;
      if (k < this.terms.length) this.truncate(k);
      this.terms.push(e.term);
      this.sizes.push(e.data.byteLength);
      this.seqs.push(UNWRITTEN);
      this.starts.push(0);
      this.held.push(e);
      this.heldBytes += e.data.byteLength;
    }
  }

  /**
   * `entry`'s record now lies at `place` in the WAL. Ignored if the entry was
   * replaced or compacted meanwhile. Entries beyond the newest holdBytes may
   * leave memory now.
   */
  written(entry: Entry, place: WalPlace): void {
    const k = entry.index - this.base - 1;
    if (k < 0 || this.held[k] !== entry) return;
    this.seqs[k] = place.seq;
    this.starts[k] = place.start;
    this.release();
  }

  /**
   * Entries [lo, hi) (within the log, checked by the caller), at least one,
   * stopping before their data would exceed maxBytes: from memory, or read
   * back from the WAL.
   */
  entries(lo: number, hi: number, maxBytes: number): Entry[] {
    const from = lo - this.base - 1;
    let to = from;
    let bytes = 0;
    while (to < hi - this.base - 1) {
      bytes += this.sizes[to] as number;
      if (to > from && bytes > maxBytes) break;
      to++;
    }
    const out: Entry[] = [];
    if (from < this.oldestHeld) this.readBackInto(out, from, Math.min(to, this.oldestHeld));
    for (let k = Math.max(from, this.oldestHeld); k < to; k++) out.push(this.held[k] as Entry);
    return out;
  }

  stats(): WalBackedLogStats {
    return {
      entries: this.terms.length,
      heldEntries: this.terms.length - this.oldestHeld,
      heldBytes: this.heldBytes,
      readBack: this.readBack,
      reads: this.reads,
    };
  }

  /** Drops positions k and above. */
  private truncate(k: number): void {
    for (let j = Math.max(k, this.oldestHeld); j < this.terms.length; j++) {
      this.heldBytes -= this.sizes[j] as number;
    }
    this.terms.length = k;
    this.sizes.length = k;
    this.seqs.length = k;
    this.starts.length = k;
    this.held.length = k;
    this.oldestHeld = Math.min(this.oldestHeld, k);
  }

  /** Lets the oldest written entries go while more than holdBytes are held. */
  private release(): void {
    while (this.heldBytes > this.holdBytes && this.oldestHeld < this.terms.length) {
      const k = this.oldestHeld;
      if (this.seqs[k] === UNWRITTEN) return; // its only copy
      this.heldBytes -= this.sizes[k] as number;
      this.held[k] = undefined;
      this.oldestHeld++;
    }
  }

  /**
   * Reads positions [from, to) back from the WAL: one read per run of
   * entries lying in order in one segment. Each record is checked to be the
   * entry expected there (index and term): anything else means the WAL
   * changed under us, and the node must stop.
   */
  private readBackInto(out: Entry[], from: number, to: number): void {
    let k = from;
    while (k < to) {
      const seq = this.seqs[k] as number;
      const spanStart = this.starts[k] as number;
      let last = k;
      while (
        last + 1 < to &&
        this.seqs[last + 1] === seq &&
        (this.starts[last + 1] as number) > (this.starts[last] as number)
      ) {
        last++;
      }
      const spanEnd =
        (this.starts[last] as number) + RECORD_HEADER_BYTES + (this.sizes[last] as number);
      const bytes = this.wal.read(seq, spanStart, spanEnd);
      this.reads++;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (; k <= last; k++) {
        const start = this.starts[k] as number;
        const got = decodeEntryRecord(view, start - spanStart, bytes.byteLength);
        const entry = typeof got === 'string' ? undefined : got.entry;
        const index = this.base + 1 + k;
        const term = this.terms[k] as number;
        if (!entry || entry.index !== index || entry.term !== term) {
          const found = entry ? `entry ${entry.index} of term ${entry.term}` : (got as string);
          const path = this.wal.path(seq);
          throw new StorageCorruptError(
            `wal: entry ${index} (term ${term}) read back from ${path} offset ${start}: ${found}`,
            path,
            start,
          );
        }
        out.push(entry);
        this.readBack++;
      }
    }
  }
}
