// Between pkg/raft's Message union and raft.proto's one flat RaftMessage (the
// generated code in gen/raft.ts). Each variant writes the fields its interface
// declares and reads back only those, so a round trip is exact; fields a
// variant does not use stay at their zero value, which proto3 does not send.
import type { ConfState, Entry, Message, MessageType, SnapshotMetadata } from '../raft/index.js';
import {
  EntryType as WireEntryType,
  MessageType as WireType,
  type Entry as WireEntry,
  type MessageBatch,
  type RaftMessage,
  type SnapshotMetadata as WireSnapshotMetadata,
} from './gen/raft.js';

const toWireType: Record<MessageType, WireType> = {
  vote: WireType.MSG_VOTE,
  preVote: WireType.MSG_PRE_VOTE,
  voteResp: WireType.MSG_VOTE_RESP,
  preVoteResp: WireType.MSG_PRE_VOTE_RESP,
  app: WireType.MSG_APP,
  appResp: WireType.MSG_APP_RESP,
  heartbeat: WireType.MSG_HEARTBEAT,
  heartbeatResp: WireType.MSG_HEARTBEAT_RESP,
  snap: WireType.MSG_SNAP,
  snapResp: WireType.MSG_SNAP_RESP,
  timeoutNow: WireType.MSG_TIMEOUT_NOW,
  prop: WireType.MSG_PROP,
  readIndex: WireType.MSG_READ_INDEX,
  readIndexResp: WireType.MSG_READ_INDEX_RESP,
  transferLeader: WireType.MSG_TRANSFER_LEADER,
};
const fromWireType: (MessageType | undefined)[] = [];
for (const [name, code] of Object.entries(toWireType)) fromWireType[code] = name as MessageType;

const noBytes = new Uint8Array(0);

/**
 * A plain Uint8Array copy of received bytes: the decoder hands out views into
 * the whole received batch (a Buffer), which a log entry must not keep alive.
 */
const copyBytes = (b: Uint8Array): Uint8Array =>
  b.length === 0 ? new Uint8Array(0) : new Uint8Array(b);

function entryToWire(e: Entry): WireEntry {
  return {
    term: e.term,
    index: e.index,
    type: e.type === 'confChange' ? WireEntryType.ENTRY_CONF_CHANGE : WireEntryType.ENTRY_NORMAL,
    data: e.data,
  };
}

function entryFromWire(e: WireEntry): Entry {
  return {
    term: e.term,
    index: e.index,
    type: e.type === WireEntryType.ENTRY_CONF_CHANGE ? 'confChange' : 'normal',
    data: copyBytes(e.data),
  };
}

function metadataToWire(m: SnapshotMetadata): WireSnapshotMetadata {
  return {
    index: m.index,
    term: m.term,
    confState: {
      voters: [...m.confState.voters],
      learners: [...m.confState.learners],
      contexts: Object.fromEntries(
        Object.entries(m.confState.contexts ?? {}).map(([id, c]) => [Number(id), c]),
      ),
    },
  };
}

function metadataFromWire(m: WireSnapshotMetadata | undefined): SnapshotMetadata {
  const confState: ConfState = {
    voters: m?.confState?.voters ?? [],
    learners: m?.confState?.learners ?? [],
    ...(m?.confState?.contexts && Object.keys(m.confState.contexts).length > 0
      ? { contexts: { ...m.confState.contexts } }
      : {}),
  };
  return { index: m?.index ?? 0, term: m?.term ?? 0, confState };
}

/** An all-zero RaftMessage: what proto3 leaves out. */
function emptyWire(m: Message): RaftMessage {
  return {
    type: toWireType[m.type],
    from: m.from,
    to: m.to,
    term: m.term,
    index: 0,
    logTerm: 0,
    commit: 0,
    entries: [],
    reject: false,
    rejectHint: 0,
    logTermHint: 0,
    context: '',
    lastLogIndex: 0,
    lastLogTerm: 0,
    transfer: false,
    metadata: undefined,
    offset: 0,
    data: noBytes,
    done: false,
    snapIndex: 0,
    transferee: 0,
  };
}

/** One Raft message as raft.proto's RaftMessage. */
export function messageToWire(m: Message): RaftMessage {
  const w = emptyWire(m);
  switch (m.type) {
    case 'vote':
    case 'preVote':
      w.lastLogIndex = m.lastLogIndex;
      w.lastLogTerm = m.lastLogTerm;
      w.transfer = m.transfer;
      break;
    case 'voteResp':
    case 'preVoteResp':
      w.reject = m.reject;
      break;
    case 'app':
      w.index = m.index;
      w.logTerm = m.logTerm;
      w.commit = m.commit;
      w.entries = m.entries.map(entryToWire);
      break;
    case 'appResp':
      w.index = m.index;
      w.reject = m.reject;
      w.rejectHint = m.rejectHint;
      w.logTermHint = m.logTermHint;
      break;
    case 'heartbeat':
      w.commit = m.commit;
      w.context = m.context;
      break;
    case 'heartbeatResp':
    case 'readIndex':
      w.context = m.context;
      break;
    case 'snap':
      w.metadata = metadataToWire(m.metadata);
      w.offset = m.offset;
      w.data = m.data;
      w.done = m.done;
      break;
    case 'snapResp':
      w.snapIndex = m.snapIndex;
      w.offset = m.offset;
      w.reject = m.reject;
      break;
    case 'timeoutNow':
      break;
    case 'prop':
      w.entries = m.entries.map(entryToWire);
      break;
    case 'readIndexResp':
      w.context = m.context;
      w.index = m.index;
      break;
    case 'transferLeader':
      w.transferee = m.transferee;
      break;
  }
  return w;
}

/** A received RaftMessage as a Raft message; undefined for a type this node does not know (a newer peer). */
export function messageFromWire(w: RaftMessage): Message | undefined {
  const type = fromWireType[w.type];
  if (type === undefined) return undefined;
  const { from, to, term } = w;
  switch (type) {
    case 'vote':
    case 'preVote':
      return {
        type,
        from,
        to,
        term,
        lastLogIndex: w.lastLogIndex,
        lastLogTerm: w.lastLogTerm,
        transfer: w.transfer,
      };
    case 'voteResp':
    case 'preVoteResp':
      return { type, from, to, term, reject: w.reject };
    case 'app':
      return {
        type,
        from,
        to,
        term,
        index: w.index,
        logTerm: w.logTerm,
        commit: w.commit,
        entries: w.entries.map(entryFromWire),
      };
    case 'appResp':
      return {
        type,
        from,
        to,
        term,
        index: w.index,
        reject: w.reject,
        rejectHint: w.rejectHint,
        logTermHint: w.logTermHint,
      };
    case 'heartbeat':
      return { type, from, to, term, commit: w.commit, context: w.context };
    case 'heartbeatResp':
      return { type, from, to, term, context: w.context };
    case 'snap':
      return {
        type,
        from,
        to,
        term,
        metadata: metadataFromWire(w.metadata),
        offset: w.offset,
        data: copyBytes(w.data),
        done: w.done,
      };
    case 'snapResp':
      return {
        type,
        from,
        to,
        term,
        snapIndex: w.snapIndex,
        offset: w.offset,
        reject: w.reject,
      };
    case 'timeoutNow':
      return { type, from, to, term };
    case 'prop':
      return { type, from, to, term, entries: w.entries.map(entryFromWire) };
    case 'readIndex':
      return { type, from, to, term, context: w.context };
    case 'readIndexResp':
      return { type, from, to, term, context: w.context, index: w.index };
    case 'transferLeader':
      return { type, from, to, term, transferee: w.transferee };
  }
}

/** One flush to one peer as a MessageBatch. */
export function batchToWire(msgs: readonly Message[]): MessageBatch {
  return { messages: msgs.map(messageToWire) };
}

/** The messages of a received batch, in order, without those of unknown types. */
export function messagesFromBatch(batch: MessageBatch): Message[] {
  const out: Message[] = [];
  for (const w of batch.messages) {
    const m = messageFromWire(w);
    if (m) out.push(m);
  }
  return out;
}
