// One-line descriptions of messages and Readies for the trace. Short, because a
// violation prints the last few dozen of them.
import type { Message, Ready } from '../types.js';

export function describeMessage(m: Message): string {
  const head = `${m.type} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case 'app':
      return `${head} prev=${m.index}/${m.logTerm} n=${m.entries.length} c=${m.commit}`;
    case 'appResp':
      return m.reject
        ? `${head} REJ i=${m.index} hint=${m.rejectHint}/${m.logTermHint}`
        : `${head} i=${m.index}`;
    case 'vote':
    case 'preVote':
      return `${head} last=${m.lastLogIndex}/${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.reject ? 'REJ' : 'ok'}`;
    case 'heartbeat':
      return `${head} c=${m.commit}${m.context ? ` ctx=${m.context}` : ''}`;
    case 'heartbeatResp':
      return `${head}${m.context ? ` ctx=${m.context}` : ''}`;
    case 'snap':
      return `${head} snap=${m.metadata.index}/${m.metadata.term} off=${m.offset} len=${m.data.length}${m.done ? ' done' : ''}`;
    case 'snapResp':
      return `${head} snap=${m.snapIndex} off=${m.offset}${m.reject ? ' REJ' : ''}`;
    case 'prop':
      return `${head} n=${m.entries.length}`;
    case 'readIndex':
      return `${head} ctx=${m.context}`;
    case 'readIndexResp':
      return `${head} ctx=${m.context} i=${m.index}`;
    case 'transferLeader':
      return `${head} to=${m.transferee}`;
    case 'timeoutNow':
      return head;
  }
}

export function describeReady(rd: Ready): string {
  const parts: string[] = [];
  if (rd.softState) parts.push(`${rd.softState.role} lead=${rd.softState.lead}`);
  if (rd.hardState) {
    const h = rd.hardState;
    parts.push(`hs=t${h.term}/v${h.vote}/c${h.commit}`);
  }
  if (rd.entries.length > 0) {
    const f = rd.entries[0];
    const l = rd.entries[rd.entries.length - 1];
    parts.push(`ents=${f?.index}..${l?.index}@t${l?.term}`);
  }
  if (rd.snapshot) parts.push(`snap=${rd.snapshot.metadata.index}/${rd.snapshot.metadata.term}`);
  if (rd.committedEntries.length > 0) {
    const f = rd.committedEntries[0];
    const l = rd.committedEntries[rd.committedEntries.length - 1];
    parts.push(`apply=${f?.index}..${l?.index}`);
  }
  if (rd.readStates.length > 0) {
    parts.push(`reads=${rd.readStates.map((r) => `${r.context}@${r.index}`).join(',')}`);
  }
  if (rd.messages.length > 0) parts.push(`msgs=${rd.messages.length}`);
  if (rd.mustSync) parts.push('sync');
  return parts.join(' ');
}
