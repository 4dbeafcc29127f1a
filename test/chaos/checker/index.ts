// The chaos checker: everything the harness asserts about one recorded History.
//   linearizability   per key (./linearizability.ts over ./model.ts), the final
//                     linearizable read after healing included
//   acked writes lost an acknowledged write no later write could have overwritten,
//                     absent from the final state
//   watches           ./watch.ts
//   stores            every node's local copy of Jobs and Runs identical after healing
//   runs              every remaining Job in a final phase; Succeeded Runs == completions
//                     for a succeeded Job; no run uid started twice; Lost Runs counted
//   cron              the CronJob's Jobs: one per slot, named for it, all finished; the
//                     CronJob caught up with the clock and ran the latest slot
import type { CronFinal, History, Op } from '../history.js';
import { checkKey, minimalWindow, opsForKey, type KeyOp } from './linearizability.js';
import { checkWatches, finalMismatches, type WatchAnomaly } from './watch.js';

export { checkKey, minimalWindow, opsForKey } from './linearizability.js';
export { checkWatches, finalMismatches } from './watch.js';

export interface KeyFailure {
  readonly key: string;
  readonly undecided: boolean;
  /** The minimal failing window of the key's history. */
  readonly window: readonly Op[];
}

export interface CheckReport {
  readonly ops: number;
  readonly keys: number;
  readonly linearizable: boolean;
  readonly nonLinearizable: KeyFailure[];
  readonly ackedLost: { key: string; op: Op; final: string }[];
  readonly watch: WatchAnomaly[];
  readonly storeDiffs: string[];
  readonly unfinishedJobs: string[];
  readonly wrongCompletions: string[];
  readonly duplicateStarts: { runUid: string; starts: number; lost: boolean }[];
  readonly lostRuns: number;
  readonly cron: string[];
  /** One line per anomaly, for the log. */
  readonly anomalies: string[];
}

function keysOf(h: History): string[] {
  const keys = new Set<string>();
  for (const op of h.ops) if (op.key) keys.add(op.key);
  for (const k of Object.keys(h.final?.jobs ?? {})) keys.add(k);
  return [...keys].sort();
}

const isWrite = (op: Op): boolean =>
  op.kind === 'create' || op.kind === 'update' || op.kind === 'apply' || op.kind === 'delete';

/**
 * An acknowledged write is lost when the final state is not what it left and no
 * other write on the key (acknowledged or in doubt) could have been ordered after it.
 */
export function ackedLost(h: History): CheckReport['ackedLost'] {
  if (!h.final) return [];
  const out: CheckReport['ackedLost'] = [];
  const byKey = new Map<string, Op[]>();
  for (const op of h.ops) {
    if (!op.key || !isWrite(op) || op.result === 'fail') continue;
    let l = byKey.get(op.key);
    if (!l) byKey.set(op.key, (l = []));
    l.push(op);
  }
  for (const [key, writes] of byKey) {
    const final = h.final.jobs[key];
    for (const w of writes) {
      if (w.result !== 'ok') continue;
      const later = writes.some(
        (o) => o !== w && (o.completeMs === undefined || o.completeMs > w.invokeMs),
      );
      if (later) continue;
      const left = w.kind === 'delete' ? undefined : w.value;
      if (final?.value !== left) out.push({ key, op: w, final: final ? final.value : '(absent)' });
    }
  }
  return out;
}

/**
 * The chaos CronJob (every minute, Allow, no starting deadline): each Job is named
 * for the slot it was made for, no slot has two Jobs, every Job finished, and the
 * CronJob dealt with every slot up to healing. With Allow and no deadline the
 * controller only ever moves lastSlotTime by firing the latest due slot, so the
 * slot at lastSlotTime has a Job. (A leader whose clock ran ahead may have fired a
 * slot early and counted those between as missed: that is allowed.)
 */
export function checkCron(cron: CronFinal | undefined): string[] {
  if (!cron) return [];
  const out: string[] = [];
  const bySlot = new Map<string, string[]>();
  for (const j of cron.jobs) {
    const slotMs = Date.parse(j.slot);
    const want = `${cron.name}-${Math.floor(slotMs / 60_000)}`;
    if (Number.isNaN(slotMs) || j.name !== want)
      out.push(`job ${j.name} made for slot ${j.slot || '(none)'}, expected name ${want}`);
    bySlot.set(j.slot, [...(bySlot.get(j.slot) ?? []), j.name]);
    if (j.phase !== 'Succeeded' && j.phase !== 'Failed')
      out.push(`job ${j.name} never finished (${j.phase || 'no phase'})`);
  }
  for (const [slot, names] of bySlot)
    if (names.length > 1) out.push(`slot ${slot} fired ${names.length} times: ${names.join(', ')}`);
  if (Date.parse(cron.dueSlot) > Date.parse(cron.createdAt)) {
    const last = cron.lastSlotTime;
    if (!(Date.parse(last ?? '') >= Date.parse(cron.dueSlot)))
      out.push(`lastSlotTime ${last ?? '(none)'} behind the slot due at healing ${cron.dueSlot}`);
    else if (!bySlot.has(last ?? '')) out.push(`the slot at lastSlotTime (${last}) has no Job`);
  }
  return out;
}

function storeDiffs(h: History): string[] {
  const per = Object.entries(h.final?.perNode ?? {});
  if (per.length < 2) return [];
  const [refNode, ref] = per[0] as [string, Record<string, number>];
  const out: string[] = [];
  for (const [node, s] of per.slice(1)) {
    const keys = new Set([...Object.keys(ref), ...Object.keys(s)]);
    for (const k of keys) {
      if (ref[k] !== s[k])
        out.push(`${k}: node ${refNode} rv ${ref[k]} vs node ${node} rv ${s[k]}`);
    }
  }
  return out;
}

export function checkHistory(h: History, opts: { maxSteps?: number } = {}): CheckReport {
  const keys = keysOf(h);
  // The final state read after healing is one more linearizable read of every key.
  const ops = [...h.ops];
  if (h.final) {
    const last = Math.max(0, ...ops.map((o) => o.completeMs ?? o.invokeMs)) + 1;
    ops.push({
      id: -1,
      client: -1,
      kind: 'list',
      invokeMs: last,
      completeMs: last,
      result: 'ok',
      items: h.final.jobs,
    });
  }
  const nonLinearizable: KeyFailure[] = [];
  for (const key of keys) {
    const kops: KeyOp[] = opsForKey(ops, key);
    const r = checkKey(kops, undefined, opts.maxSteps);
    if (!r.ok) {
      nonLinearizable.push({
        key,
        undecided: r.undecided ?? false,
        window: r.undecided ? [] : minimalWindow(kops).map((k) => k.op),
      });
    }
  }
  const lost = ackedLost(h);
  const watch = checkWatches(h);
  if (h.final) for (const w of h.watches) watch.push(...finalMismatches(w, h.final.jobs));
  const diffs = storeDiffs(h);

  const unfinished: string[] = [];
  const wrong: string[] = [];
  const dups: CheckReport['duplicateStarts'] = [];
  let lostRuns = 0;
  if (h.final) {
    const runsByJob = new Map<string, typeof h.final.runs>();
    for (const r of h.final.runs) {
      let l = runsByJob.get(r.job);
      if (!l) runsByJob.set(r.job, (l = []));
      l.push(r);
      if (r.phase === 'Lost') lostRuns++;
    }
    for (const j of h.final.jobInfo) {
      if (j.suspended) continue;
      if (j.phase !== 'Succeeded' && j.phase !== 'Failed')
        unfinished.push(`${j.name} (${j.phase || 'no phase'})`);
      const ok = (runsByJob.get(j.name) ?? []).filter((r) => r.phase === 'Succeeded').length;
      if (j.phase === 'Succeeded' && ok !== j.completions)
        wrong.push(`${j.name}: ${ok} Succeeded Runs, completions ${j.completions}`);
    }
    const phaseOf = new Map(h.final.runs.map((r) => [r.uid, r.phase]));
    for (const [uid, n] of Object.entries(h.final.starts)) {
      if (n > 1) dups.push({ runUid: uid, starts: n, lost: phaseOf.get(uid) === 'Lost' });
    }
  }

  const anomalies: string[] = [];
  for (const f of nonLinearizable)
    anomalies.push(`not linearizable: key ${f.key}${f.undecided ? ' (search gave up)' : ''}`);
  for (const l of lost)
    anomalies.push(
      `acknowledged write lost: ${l.op.kind} ${l.key}=${l.op.value ?? ''} (op ${l.op.id}), final ${l.final}`,
    );
  for (const w of watch) anomalies.push(`watch ${w.watcher} ${w.kind} on ${w.key}: ${w.detail}`);
  for (const d of diffs) anomalies.push(`stores differ: ${d}`);
  for (const u of unfinished) anomalies.push(`job never finished: ${u}`);
  for (const w of wrong) anomalies.push(`wrong completions: ${w}`);
  for (const d of dups)
    anomalies.push(`run ${d.runUid} started ${d.starts} times${d.lost ? ' (Run Lost)' : ''}`);
  const cron = checkCron(h.final?.cron);
  for (const c of cron) anomalies.push(`cronjob: ${c}`);

  return {
    ops: h.ops.length,
    keys: keys.length,
    linearizable: nonLinearizable.length === 0,
    nonLinearizable,
    ackedLost: lost,
    watch,
    storeDiffs: diffs,
    unfinishedJobs: unfinished,
    wrongCompletions: wrong,
    duplicateStarts: dups,
    lostRuns,
    cron,
    anomalies,
  };
}

/** The summary line of issue 5 (exact keys). */
export function summaryLine(h: History, r: CheckReport): string {
  const count = (k: string): number => h.faults.filter((f) => f.kind === k).length;
  return JSON.stringify({
    name: 'chaos.summary',
    seed: h.seed,
    nodes: h.nodes,
    seconds: h.seconds,
    ops: r.ops,
    faults: {
      kill: count('kill'),
      pause: count('pause'),
      partition: count('partition'),
      loss: count('loss'),
      member: count('member'),
    },
    acked_lost: r.ackedLost.length,
    linearizable: r.linearizable,
    watch_gaps: r.watch.length,
    // Every uid started twice counts, Lost or not (a replacement Run has a new uid).
    duplicate_starts: r.duplicateStarts.length,
    lost_runs: r.lostRuns,
  });
}
