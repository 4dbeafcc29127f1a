// A hand-written proto3 encoder/decoder for raft.proto's MessageBatch, used as
// the Raft service's serializer instead of proto-loader's generic one (which
// converts every message and entry through reflection-built fromObject /
// toObject). The bytes are plain proto3: the contract stays proto/raft.proto,
// and test/unit/transport/raft-wire.test.ts checks both directions against
// protobufjs. Like etcd's generated marshallers, it reads and writes the
// Message union directly, with no intermediate objects.
import type { ConfState, Entry, Message, MessageType, SnapshotMetadata } from '../raft/types.js';

// Field numbers of RaftMessage (raft.proto).
const F = {
  type: 1,
  from: 2,
  to: 3,
  term: 4,
  index: 5,
  logTerm: 6,
  commit: 7,
  entries: 8,
  reject: 9,
  rejectHint: 10,
  logTermHint: 11,
  context: 12,
  lastLogIndex: 13,
  lastLogTerm: 14,
  transfer: 15,
  metadata: 16,
  offset: 17,
  data: 18,
  done: 19,
  snapIndex: 20,
  transferee: 21,
} as const;

/** MessageType enum values, in raft.proto order. */
const typeCodes: Record<MessageType, number> = {
  vote: 1,
  preVote: 2,
  voteResp: 3,
  preVoteResp: 4,
  app: 5,
  appResp: 6,
  heartbeat: 7,
  heartbeatResp: 8,
  snap: 9,
  snapResp: 10,
  timeoutNow: 11,
  prop: 12,
  readIndex: 13,
  readIndexResp: 14,
  transferLeader: 15,
};
const typeNames: (MessageType | undefined)[] = [];
for (const [name, code] of Object.entries(typeCodes)) typeNames[code] = name as MessageType;

const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** A growable output buffer. */
class Writer {
  buf: Uint8Array;
  pos = 0;

  constructor(size = 256) {
    this.buf = new Uint8Array(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    while (v > 127) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A non-zero unsigned integer field (proto3 omits zeros). */
  uint(field: number, v: number | undefined): void {
    if (!v) return;
    this.tag(field, VARINT);
    this.varint(v);
  }

  bool(field: number, v: boolean | undefined): void {
    if (!v) return;
    this.tag(field, VARINT);
    this.varint(1);
  }

  bytes(field: number, v: Uint8Array | undefined): void {
    if (!v || v.length === 0) return;
    this.tag(field, LEN);
    this.varint(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  string(field: number, v: string | undefined): void {
    if (v) this.bytes(field, textEncoder.encode(v));
  }

  /** Starts a length-delimited sub-message; returns the mark for end(). */
  begin(field: number): number {
    this.tag(field, LEN);
    this.ensure(5);
    const mark = this.pos;
    this.pos += 5; // room for the longest 32-bit length varint
    return mark;
  }

  /** Ends a sub-message: writes its length minimally and closes the gap. */
  end(mark: number): void {
    const len = this.pos - mark - 5;
    let lenBytes = 1;
    for (let v = len; v > 127; v = Math.floor(v / 128)) lenBytes++;
    const bodyStart = mark + 5;
    if (lenBytes < 5) this.buf.copyWithin(mark + lenBytes, bodyStart, this.pos);
    // The length fits the reserved room, so it is written in place (no ensure()).
    let p = mark;
    let v = len;
    while (v > 127) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[p] = v;
    this.pos = mark + lenBytes + len;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.buffer, this.buf.byteOffset, this.pos);
  }
}

type AnyMessage = Message & {
  index?: number;
  logTerm?: number;
  commit?: number;
  entries?: readonly Entry[];
  reject?: boolean;
  rejectHint?: number;
  logTermHint?: number;
  context?: string;
  lastLogIndex?: number;
  lastLogTerm?: number;
  transfer?: boolean;
  metadata?: SnapshotMetadata;
  offset?: number;
  data?: Uint8Array;
  done?: boolean;
  snapIndex?: number;
  transferee?: number;
};

function writeMessage(w: Writer, m: AnyMessage): void {
  w.uint(F.type, typeCodes[m.type]);
  w.uint(F.from, m.from);
  w.uint(F.to, m.to);
  w.uint(F.term, m.term);
  w.uint(F.index, m.index);
  w.uint(F.logTerm, m.logTerm);
  w.uint(F.commit, m.commit);
  if (m.entries) {
    for (const e of m.entries) {
      const mark = w.begin(F.entries);
      w.uint(1, e.term);
      w.uint(2, e.index);
      w.uint(3, e.type === 'confChange' ? 1 : 0);
      w.bytes(4, e.data);
      w.end(mark);
    }
  }
  w.bool(F.reject, m.reject);
  w.uint(F.rejectHint, m.rejectHint);
  w.uint(F.logTermHint, m.logTermHint);
  w.string(F.context, m.context);
  w.uint(F.lastLogIndex, m.lastLogIndex);
  w.uint(F.lastLogTerm, m.lastLogTerm);
  w.bool(F.transfer, m.transfer);
  if (m.metadata) {
    const mark = w.begin(F.metadata);
    w.uint(1, m.metadata.index);
    w.uint(2, m.metadata.term);
    const cs = w.begin(3);
    packed(w, 1, m.metadata.confState.voters);
    packed(w, 2, m.metadata.confState.learners);
    w.end(cs);
    w.end(mark);
  }
  w.uint(F.offset, m.offset);
  w.bytes(F.data, m.data);
  w.bool(F.done, m.done);
  w.uint(F.snapIndex, m.snapIndex);
  w.uint(F.transferee, m.transferee);
}

function packed(w: Writer, field: number, values: readonly number[]): void {
  if (values.length === 0) return;
  const mark = w.begin(field);
  for (const v of values) w.varint(v);
  w.end(mark);
}

/** Encodes a MessageBatch { messages }. */
export function encodeBatch(msgs: readonly Message[]): Buffer {
  const w = new Writer(128 + msgs.length * 64);
  for (const m of msgs) {
    const mark = w.begin(1);
    writeMessage(w, m as AnyMessage);
    w.end(mark);
  }
  return w.finish();
}

/** A cursor over received bytes. */
class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly limit = buf.length,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.limit) throw new RangeError('raft wire: truncated varint');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * mul;
      if (b < 0x80) return result;
      mul *= 128;
    }
    throw new RangeError('raft wire: varint too long');
  }

  /** Returns [start, end) of a length-delimited field and moves past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (end > this.limit) throw new RangeError('raft wire: truncated field');
    this.pos = end;
    return [start, end];
  }

  skip(wire: number): void {
    if (wire === VARINT) this.varint();
    else if (wire === I64) this.pos += 8;
    else if (wire === LEN) this.span();
    else if (wire === I32) this.pos += 4;
    else throw new RangeError(`raft wire: unsupported wire type ${wire}`);
  }
}

function readEntry(r: Reader, end: number): Entry {
  let term = 0;
  let index = 0;
  let type = 0;
  let data: Uint8Array = new Uint8Array(0);
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 1) term = r.varint();
    else if (field === 2) index = r.varint();
    else if (field === 3) type = r.varint();
    else if (field === 4) {
      const [s, e] = r.span();
      data = new Uint8Array(r.buf.subarray(s, e)); // a plain copy, not a Buffer view
    } else r.skip(tag & 7);
  }
  return { term, index, type: type === 1 ? 'confChange' : 'normal', data };
}

function readConfState(r: Reader, end: number): ConfState {
  const voters: number[] = [];
  const learners: number[] = [];
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    const wire = tag & 7;
    const out = field === 1 ? voters : field === 2 ? learners : undefined;
    if (!out) {
      r.skip(wire);
    } else if (wire === LEN) {
      const [s, e] = r.span();
      const sub = new Reader(r.buf, s, e);
      while (sub.pos < e) out.push(sub.varint());
    } else {
      out.push(r.varint());
    }
  }
  return { voters, learners };
}

function readMetadata(r: Reader, end: number): SnapshotMetadata {
  let index = 0;
  let term = 0;
  let confState: ConfState = { voters: [], learners: [] };
  while (r.pos < end) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 1) index = r.varint();
    else if (field === 2) term = r.varint();
    else if (field === 3) {
      const [s, e] = r.span();
      confState = readConfState(new Reader(r.buf, s, e), e);
    } else r.skip(tag & 7);
  }
  return { index, term, confState };
}

function readMessage(r: Reader, end: number): Message | undefined {
  let type = 0;
  let from = 0;
  let to = 0;
  let term = 0;
  let index = 0;
  let logTerm = 0;
  let commit = 0;
  const entries: Entry[] = [];
  let reject = false;
  let rejectHint = 0;
  let logTermHint = 0;
  let context = '';
  let lastLogIndex = 0;
  let lastLogTerm = 0;
  let transfer = false;
  let metadata: SnapshotMetadata = { index: 0, term: 0, confState: { voters: [], learners: [] } };
  let offset = 0;
  let data: Uint8Array = new Uint8Array(0);
  let done = false;
  let snapIndex = 0;
  let transferee = 0;
  while (r.pos < end) {
    const tag = r.varint();
    switch (tag >>> 3) {
      case F.type:
        type = r.varint();
        break;
      case F.from:
        from = r.varint();
        break;
      case F.to:
        to = r.varint();
        break;
      case F.term:
        term = r.varint();
        break;
      case F.index:
        index = r.varint();
        break;
      case F.logTerm:
        logTerm = r.varint();
        break;
      case F.commit:
        commit = r.varint();
        break;
      case F.entries: {
        const [s, e] = r.span();
        entries.push(readEntry(new Reader(r.buf, s, e), e));
        break;
      }
      case F.reject:
        reject = r.varint() !== 0;
        break;
      case F.rejectHint:
        rejectHint = r.varint();
        break;
      case F.logTermHint:
        logTermHint = r.varint();
        break;
      case F.context: {
        const [s, e] = r.span();
        context = textDecoder.decode(r.buf.subarray(s, e));
        break;
      }
      case F.lastLogIndex:
        lastLogIndex = r.varint();
        break;
      case F.lastLogTerm:
        lastLogTerm = r.varint();
        break;
      case F.transfer:
        transfer = r.varint() !== 0;
        break;
      case F.metadata: {
        const [s, e] = r.span();
        metadata = readMetadata(new Reader(r.buf, s, e), e);
        break;
      }
      case F.offset:
        offset = r.varint();
        break;
      case F.data: {
        const [s, e] = r.span();
        data = new Uint8Array(r.buf.subarray(s, e)); // a plain copy, not a Buffer view
        break;
      }
      case F.done:
        done = r.varint() !== 0;
        break;
      case F.snapIndex:
        snapIndex = r.varint();
        break;
      case F.transferee:
        transferee = r.varint();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  const t = typeNames[type];
  if (t === undefined) return undefined;
  switch (t) {
    case 'vote':
    case 'preVote':
      return { type: t, from, to, term, lastLogIndex, lastLogTerm, transfer };
    case 'voteResp':
    case 'preVoteResp':
      return { type: t, from, to, term, reject };
    case 'app':
      return { type: t, from, to, term, index, logTerm, commit, entries };
    case 'appResp':
      return { type: t, from, to, term, index, reject, rejectHint, logTermHint };
    case 'heartbeat':
      return { type: t, from, to, term, commit, context };
    case 'heartbeatResp':
      return { type: t, from, to, term, context };
    case 'snap':
      return { type: t, from, to, term, metadata, offset, data, done };
    case 'snapResp':
      return { type: t, from, to, term, snapIndex, offset, reject };
    case 'timeoutNow':
      return { type: t, from, to, term };
    case 'prop':
      return { type: t, from, to, term, entries };
    case 'readIndex':
      return { type: t, from, to, term, context };
    case 'readIndexResp':
      return { type: t, from, to, term, context, index };
    case 'transferLeader':
      return { type: t, from, to, term, transferee };
  }
}

/** Decodes a MessageBatch; messages of an unknown type (a newer peer) are skipped. */
export function decodeBatch(buf: Uint8Array): Message[] {
  const r = new Reader(buf);
  const out: Message[] = [];
  while (r.pos < buf.length) {
    const tag = r.varint();
    if (tag >>> 3 !== 1 || (tag & 7) !== LEN) {
      r.skip(tag & 7);
      continue;
    }
    const [s, e] = r.span();
    const m = readMessage(new Reader(buf, s, e), e);
    if (m) out.push(m);
  }
  return out;
}
