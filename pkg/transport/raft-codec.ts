// Converts between pkg/raft's Message union and the flat proto RaftMessage of
// proto/raft.proto. Each variant reads and writes only the fields its
// interface declares, so a round trip is exact (tested in test/unit/transport).
import type {
  ConfState,
  Entry,
  EntryType,
  Message,
  MessageType,
  SnapshotMetadata,
} from '../raft/types.js';

/** The proto-loader shape of RaftMessage (camelCase, uint64 as number). */
export interface WireMessage {
  type: string;
  from: number;
  to: number;
  term: number;
  index?: number;
  logTerm?: number;
  commit?: number;
  entries?: WireEntry[];
  reject?: boolean;
  rejectHint?: number;
  logTermHint?: number;
  context?: string;
  lastLogIndex?: number;
  lastLogTerm?: number;
  transfer?: boolean;
  metadata?: WireSnapshotMetadata | null;
  offset?: number;
  data?: Uint8Array;
  done?: boolean;
  snapIndex?: number;
  transferee?: number;
}

export interface WireEntry {
  term: number;
  index: number;
  type: string;
  data: Uint8Array;
}

interface WireSnapshotMetadata {
  index: number;
  term: number;
  confState?: { voters?: number[]; learners?: number[] } | null;
}

const toWireType: Record<MessageType, string> = {
  vote: 'MSG_VOTE',
  preVote: 'MSG_PRE_VOTE',
  voteResp: 'MSG_VOTE_RESP',
  preVoteResp: 'MSG_PRE_VOTE_RESP',
  app: 'MSG_APP',
  appResp: 'MSG_APP_RESP',
  heartbeat: 'MSG_HEARTBEAT',
  heartbeatResp: 'MSG_HEARTBEAT_RESP',
  snap: 'MSG_SNAP',
  snapResp: 'MSG_SNAP_RESP',
  timeoutNow: 'MSG_TIMEOUT_NOW',
  prop: 'MSG_PROP',
  readIndex: 'MSG_READ_INDEX',
  readIndexResp: 'MSG_READ_INDEX_RESP',
  transferLeader: 'MSG_TRANSFER_LEADER',
};
const fromWireType = new Map<string, MessageType>(
  Object.entries(toWireType).map(([k, v]) => [v, k as MessageType]),
);

const toWireEntryType: Record<EntryType, string> = {
  normal: 'ENTRY_NORMAL',
  confChange: 'ENTRY_CONF_CHANGE',
};

/** A zero-copy plain Uint8Array view (protobufjs decodes bytes as Buffer). */
function bytes(b: Uint8Array | undefined | null): Uint8Array {
  if (!b) return new Uint8Array(0);
  return b.constructor === Uint8Array ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function entryToWire(e: Entry): WireEntry {
  return { term: e.term, index: e.index, type: toWireEntryType[e.type], data: e.data };
}

function entryFromWire(e: WireEntry): Entry {
  return {
    term: e.term,
    index: e.index,
    type: e.type === 'ENTRY_CONF_CHANGE' ? 'confChange' : 'normal',
    data: bytes(e.data),
  };
}

function metadataToWire(m: SnapshotMetadata): WireSnapshotMetadata {
  return {
    index: m.index,
    term: m.term,
    confState: { voters: [...m.confState.voters], learners: [...m.confState.learners] },
  };
}

function metadataFromWire(m: WireSnapshotMetadata | null | undefined): SnapshotMetadata {
  const cs: ConfState = {
    voters: m?.confState?.voters ?? [],
    learners: m?.confState?.learners ?? [],
  };
  return { index: m?.index ?? 0, term: m?.term ?? 0, confState: cs };
}

export function messageToWire(m: Message): WireMessage {
  const base = { type: toWireType[m.type], from: m.from, to: m.to, term: m.term };
  switch (m.type) {
    case 'vote':
    case 'preVote':
      return {
        ...base,
        lastLogIndex: m.lastLogIndex,
        lastLogTerm: m.lastLogTerm,
        transfer: m.transfer,
      };
    case 'voteResp':
    case 'preVoteResp':
      return { ...base, reject: m.reject };
    case 'app':
      return {
        ...base,
        index: m.index,
        logTerm: m.logTerm,
        commit: m.commit,
        entries: m.entries.map(entryToWire),
      };
    case 'appResp':
      return {
        ...base,
        index: m.index,
        reject: m.reject,
        rejectHint: m.rejectHint,
        logTermHint: m.logTermHint,
      };
    case 'heartbeat':
      return { ...base, commit: m.commit, context: m.context };
    case 'heartbeatResp':
      return { ...base, context: m.context };
    case 'snap':
      return {
        ...base,
        metadata: metadataToWire(m.metadata),
        offset: m.offset,
        data: m.data,
        done: m.done,
      };
    case 'snapResp':
      return { ...base, snapIndex: m.snapIndex, offset: m.offset, reject: m.reject };
    case 'timeoutNow':
      return base;
    case 'prop':
      return { ...base, entries: m.entries.map(entryToWire) };
    case 'readIndex':
      return { ...base, context: m.context };
    case 'readIndexResp':
      return { ...base, context: m.context, index: m.index };
    case 'transferLeader':
      return { ...base, transferee: m.transferee };
  }
}

/** Decodes one wire message; returns undefined for an unknown type (newer peer). */
export function messageFromWire(w: WireMessage): Message | undefined {
  const type = fromWireType.get(w.type);
  if (type === undefined) return undefined;
  const from = w.from;
  const to = w.to;
  const term = w.term;
  switch (type) {
    case 'vote':
    case 'preVote':
      return {
        type,
        from,
        to,
        term,
        lastLogIndex: w.lastLogIndex ?? 0,
        lastLogTerm: w.lastLogTerm ?? 0,
        transfer: w.transfer ?? false,
      };
    case 'voteResp':
    case 'preVoteResp':
      return { type, from, to, term, reject: w.reject ?? false };
    case 'app':
      return {
        type,
        from,
        to,
        term,
        index: w.index ?? 0,
        logTerm: w.logTerm ?? 0,
        commit: w.commit ?? 0,
        entries: (w.entries ?? []).map(entryFromWire),
      };
    case 'appResp':
      return {
        type,
        from,
        to,
        term,
        index: w.index ?? 0,
        reject: w.reject ?? false,
        rejectHint: w.rejectHint ?? 0,
        logTermHint: w.logTermHint ?? 0,
      };
    case 'heartbeat':
      return { type, from, to, term, commit: w.commit ?? 0, context: w.context ?? '' };
    case 'heartbeatResp':
      return { type, from, to, term, context: w.context ?? '' };
    case 'snap':
      return {
        type,
        from,
        to,
        term,
        metadata: metadataFromWire(w.metadata),
        offset: w.offset ?? 0,
        data: bytes(w.data),
        done: w.done ?? false,
      };
    case 'snapResp':
      return {
        type,
        from,
        to,
        term,
        snapIndex: w.snapIndex ?? 0,
        offset: w.offset ?? 0,
        reject: w.reject ?? false,
      };
    case 'timeoutNow':
      return { type, from, to, term };
    case 'prop':
      return { type, from, to, term, entries: (w.entries ?? []).map(entryFromWire) };
    case 'readIndex':
      return { type, from, to, term, context: w.context ?? '' };
    case 'readIndexResp':
      return { type, from, to, term, context: w.context ?? '', index: w.index ?? 0 };
    case 'transferLeader':
      return { type, from, to, term, transferee: w.transferee ?? 0 };
  }
}
