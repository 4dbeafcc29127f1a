// Where one replicated write's time goes, step by step (compare's BENCH_TRACE):
// the lines write-trace-preload.ts writes in every jobd, put together per
// write with the load generator's own start and end of each call. The traced
// writes are issued one at a time with a pause after each, so that the
// controllers' answers to one write (its status, an Event) are over before
// the next starts and every step found belongs to that write.
//
// Steps (API node = the node the client writes to; leader = the node that
// appends the entry first, the same one unless leadership moved):
//   grpc_in        client call -> ApiService.apply on the leader
//   admit_batch    ApiService.apply -> the batcher sends the entry
//   to_ready       -> the leader's Ready that appends it
//   leader_wal     the leader's write + fdatasync of it
//   to_follower    the leader's Ready -> the first follower's Ready appending it
//                  (MsgApp over the gRPC stream, both event loops)
//   follower_wal   that follower's write + fdatasync
//   ack_back       its WAL done -> the leader has its MsgAppResp
//   to_apply       MsgAppResp -> the API node applies the entry (includes any
//                  wait for the leader's own fsync, still running)
//   answer         applied -> ApiService.apply returns
//   grpc_out       -> the client has the answer
// and, finer (hops_p50_ms / hops_p90_ms: where the steps above between
// processes and inside one go; the leader's are counted only when it is also
// the API node, the usual case):
//   msgapp_send     the leader's Ready -> it hands the MsgApp to the transport
//   msgapp_transit  -> the first follower's transport has it (both event
//                   loops, grpc-js and HTTP/2 on both sides, the kernel)
//   f_to_ready      -> that follower's Ready appending it
//   f_to_wal        -> its WAL write starts
//   f_ack_send      its WAL done -> its MsgAppResp handed to the transport
//   ack_transit     -> the leader's transport has it
//   ack_to_ready    -> the leader's next Ready (the commit)
//   ready_to_apply  -> the store's apply of the entry starts
//   sm_apply        the store's apply of the entry (every watcher included)
//   apply_to_answer -> ApiService.apply returns (the answer's promise chain
//                   and any work queued ahead of it: informers, reconciles)
// The timestamps of the processes are compared directly (one machine, one
// clock; epoch microseconds from performance.timeOrigin).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { percentile, round } from './stats.js';

/** Microseconds since the epoch, at performance.now()'s resolution. */
export function epochMicros(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

interface Line {
  readonly us: number;
  readonly event: string;
  readonly detail: string;
}

/** One traced client call, in epoch microseconds. */
export interface TracedCall {
  readonly startUs: number;
  readonly endUs: number;
}

export const STEPS = [
  'grpc_in',
  'admit_batch',
  'to_ready',
  'leader_wal',
  'to_follower',
  'follower_wal',
  'ack_back',
  'to_apply',
  'answer',
  'grpc_out',
] as const;
type Step = (typeof STEPS)[number];

export const HOPS = [
  'msgapp_send',
  'msgapp_transit',
  'f_to_ready',
  'f_to_wal',
  'f_ack_send',
  'ack_transit',
  'ack_to_ready',
  'ready_to_apply',
  'sm_apply',
  'apply_to_answer',
] as const;
type Hop = (typeof HOPS)[number];

interface Traced {
  readonly steps: Record<Step, number>;
  /** Absent when a point is missing (e.g. the API node was not the leader). */
  readonly hops: Partial<Record<Hop, number>>;
}

function readLines(file: string): Line[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [us, event, ...rest] = l.split(' ');
      return { us: Number(us), event: event ?? '', detail: rest.join(' ') };
    });
}

const appends = (l: Line): boolean => l.event === 'ready>' && l.detail !== 'entries=0';

/** The first line at or after `from` (and before `to`) that `pred` accepts. */
function first(
  lines: readonly Line[],
  from: number | undefined,
  to: number,
  pred: (l: Line) => boolean,
): Line | undefined {
  if (from === undefined) return undefined;
  return lines.find((l) => l.us >= from && l.us <= to && pred(l));
}

/** The steps of one call, or undefined when one of them is missing from the trace. */
function stepsOf(call: TracedCall, nodes: readonly (readonly Line[])[]): Traced | undefined {
  const end = call.endUs;
  // The node the client wrote to, and the node that appended the entry first:
  // the leader (the same node unless leadership moved, when the write is
  // forwarded to the leader as MsgProp and to_ready includes that hop).
  let api: readonly Line[] | undefined;
  let apiIn: Line | undefined;
  for (const n of nodes) {
    const l = first(n, call.startUs, end, (x) => x.event === 'api.apply>');
    if (l && (!apiIn || l.us < apiIn.us)) [api, apiIn] = [n, l];
  }
  if (!api || !apiIn) return undefined;
  const sent = first(api, apiIn.us, end, (l) => l.event === 'batch.send>');
  let leader: readonly Line[] | undefined;
  let ready: Line | undefined;
  for (const n of nodes) {
    const l = first(n, sent?.us, end, appends);
    if (l && (!ready || l.us < ready.us)) [leader, ready] = [n, l];
  }
  if (!leader || !ready) return undefined;
  const walIn = first(leader, ready.us, end, (l) => l.event === 'wal>');
  // The leader's fsync may end after the answer: look past the call's end.
  const walOut = first(leader, walIn?.us, Infinity, (l) => l.event === 'wal<');
  const msgSent = first(leader, ready.us, end, (l) => l.event === 'net.send>');
  let fastest:
    { recv: Line | undefined; ready: Line; walIn: Line; walOut: Line; ack: Line } | undefined;
  for (const f of nodes) {
    if (f === leader) continue;
    const fRecv = first(f, msgSent?.us, end, (l) => l.event === 'net.recv' && l.detail === 'app');
    const fReady = first(f, ready.us, end, appends);
    const fWalIn = first(f, fReady?.us, end, (l) => l.event === 'wal>');
    const fWalOut = first(f, fWalIn?.us, end, (l) => l.event === 'wal<');
    const ack = first(
      f,
      fWalOut?.us,
      end,
      (l) => l.event === 'net.send>' && l.detail.includes('appResp'),
    );
    if (fReady && fWalIn && fWalOut && ack && (!fastest || ack.us < fastest.ack.us)) {
      fastest = { recv: fRecv, ready: fReady, walIn: fWalIn, walOut: fWalOut, ack };
    }
  }
  const acked = first(
    leader,
    fastest?.ack.us,
    end,
    (l) => l.event === 'net.recv' && l.detail === 'appResp',
  );
  const applied = first(
    api,
    acked?.us,
    end,
    (l) => l.event === 'sm.apply>' && l.detail !== 'bytes=0',
  );
  const applyEnd = first(api, applied?.us, end, (l) => l.event === 'sm.apply<');
  const answered = first(api, applied?.us, end, (l) => l.event === 'api.apply<');
  if (!sent || !walIn || !walOut || !fastest || !acked || !applied || !answered) return undefined;
  const ms = (a: number, b: number): number => (b - a) / 1000;
  const hops: Partial<Record<Hop, number>> = {};
  const hop = (k: Hop, a: Line | undefined, b: Line | undefined): void => {
    if (a && b) hops[k] = ms(a.us, b.us);
  };
  hop('msgapp_send', ready, msgSent);
  hop('msgapp_transit', msgSent, fastest.recv);
  hop('f_to_ready', fastest.recv, fastest.ready);
  hop('f_to_wal', fastest.ready, fastest.walIn);
  hop('f_ack_send', fastest.walOut, fastest.ack);
  hop('ack_transit', fastest.ack, acked);
  if (api === leader) {
    const commit = first(leader, acked.us, applied.us, (l) => l.event === 'ready>');
    hop('ack_to_ready', acked, commit);
    hop('ready_to_apply', commit, applied);
    hop('sm_apply', applied, applyEnd);
    hop('apply_to_answer', applyEnd, answered);
  }
  const steps: Record<Step, number> = {
    grpc_in: ms(call.startUs, apiIn.us),
    admit_batch: ms(apiIn.us, sent.us),
    to_ready: ms(sent.us, ready.us),
    leader_wal: ms(walIn.us, walOut.us),
    to_follower: ms(ready.us, fastest.ready.us),
    follower_wal: ms(fastest.walIn.us, fastest.walOut.us),
    ack_back: ms(fastest.walOut.us, acked.us),
    to_apply: ms(acked.us, applied.us),
    answer: ms(applied.us, answered.us),
    grpc_out: ms(answered.us, end),
  };
  return { steps, hops };
}

/** The p50 and p90 of every step (ms) over the traced calls, from the logs in `dir` (DIR/<pid>.log). */
export function traceBreakdown(
  dir: string,
  calls: readonly TracedCall[],
): {
  traced: number;
  total_p50_ms: number;
  p50_ms: Record<Step, number>;
  p90_ms: Record<Step, number>;
  hops_p50_ms: Partial<Record<Hop, number>>;
  hops_p90_ms: Partial<Record<Hop, number>>;
} {
  const nodes = readdirSync(dir)
    .filter((f) => /^\d+\.log$/.test(f))
    .map((f) => readLines(join(dir, f)));
  const found = calls.flatMap((c) => {
    const s = stepsOf(c, nodes);
    return s ? [s] : [];
  });
  const at = (values: number[], p: number): number =>
    round(
      percentile(
        values.sort((a, b) => a - b),
        p,
      ),
      3,
    );
  const pick = (p: number) =>
    Object.fromEntries(
      STEPS.map((k) => [
        k,
        at(
          found.map((s) => s.steps[k]),
          p,
        ),
      ]),
    ) as Record<Step, number>;
  const pickHops = (p: number): Partial<Record<Hop, number>> =>
    Object.fromEntries(
      HOPS.flatMap((k) => {
        const values = found.flatMap((s) => (s.hops[k] === undefined ? [] : [s.hops[k]]));
        return values.length === 0 ? [] : [[k, at(values, p)]];
      }),
    );
  const totals = calls.map((c) => (c.endUs - c.startUs) / 1000).sort((a, b) => a - b);
  return {
    traced: found.length,
    total_p50_ms: round(percentile(totals, 50), 3),
    p50_ms: pick(50),
    p90_ms: pick(90),
    hops_p50_ms: pickHops(50),
    hops_p90_ms: pickHops(90),
  };
}
