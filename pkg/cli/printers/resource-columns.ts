// What `get` shows for each kind: the columns of the default and wide tables
// and how one object becomes one row. Pure functions of (object, context).
import type { KindInfo } from '../../store/kinds.js';
import type {
  Condition,
  CronJob,
  Job,
  Node,
  Resource,
  Run,
  SandboxPolicy,
} from '../../store/types.js';
import type { Palette } from './color.js';
import type { Cell, Row } from './columns.js';
import { CronError, nextFirings, parseCron } from '../../util/cron.js';
import { age, humanDuration } from './duration.js';

export interface RowContext {
  /** Wall clock now, in ms (ages and durations). */
  readonly now: number;
  readonly palette: Palette;
  /** Active Runs per node name, for the nodes table (absent: not shown). */
  readonly activeRunsByNode?: ReadonlyMap<string, number>;
}

interface KindColumns {
  readonly headers: readonly string[];
  readonly wide: readonly string[];
  row(o: Resource, ctx: RowContext): Row;
  wideRow(o: Resource, ctx: RowContext): Row;
}

const NONE = '<none>';

const phaseCell = (phase: string, ctx: RowContext): Cell => ({
  text: phase,
  paint: (t) => ctx.palette.phase(phase, t),
});

export function labelsText(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? NONE : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

/** A command as one line: shell forms unwrapped ("sh -c 'echo hi'" → "echo hi"). */
export function commandText(command: readonly string[] | undefined): string {
  if (!command || command.length === 0) return NONE;
  if (command.length === 3 && command[0] === 'sh' && command[1] === '-c') return command[2] ?? '';
  return command.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

/** The Job's phase as shown: Pending until the controller first writes status. */
export function jobPhase(job: Job): string {
  return job.status?.phase ?? 'Pending';
}

function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

const jobColumns: KindColumns = {
  headers: ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'],
  wide: ['IMAGE', 'COMMAND', 'SELECTOR'],
  row(o, ctx) {
    const job = o as Job;
    return [
      job.metadata.name,
      phaseCell(jobPhase(job), ctx),
      `${job.status?.succeeded ?? 0}/${job.spec.completions ?? 1}`,
      jobDuration(job, ctx.now),
      age(job.metadata.creationTimestamp, ctx.now),
    ];
  },
  wideRow(o) {
    const job = o as Job;
    return [
      job.spec.image ?? NONE,
      commandText(job.spec.command),
      `jobctl.dev/job-name=${job.metadata.name}`,
    ];
  },
};

const runColumns: KindColumns = {
  headers: ['NAME', 'JOB', 'NODE', 'STATUS', 'EXIT', 'REASON', 'AGE'],
  wide: ['ATTEMPT', 'IMAGE', 'CONTAINER'],
  row(o, ctx) {
    const run = o as Run;
    const phase = run.status?.phase ?? 'Pending';
    return [
      run.metadata.name,
      run.spec.jobName || NONE,
      run.spec.nodeName || NONE,
      phaseCell(phase, ctx),
      run.status?.exitCode !== undefined ? String(run.status.exitCode) : NONE,
      run.status?.reason ?? NONE,
      age(run.metadata.creationTimestamp, ctx.now),
    ];
  },
  wideRow(o) {
    const run = o as Run;
    return [
      String(run.spec.attempt ?? 0),
      run.spec.container?.image ?? NONE,
      run.status?.containerID ? run.status.containerID.slice(0, 12) : NONE,
    ];
  },
};

function condition(conds: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

/** Ready | NotReady | Unknown, plus ",SchedulingDisabled" when cordoned (as kubectl). */
export function nodeStatus(node: Node): string {
  const ready = condition(node.status?.conditions, 'Ready');
  let s = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  if (node.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

const nodeColumns: KindColumns = {
  headers: ['NAME', 'STATUS', 'ROLE(S)', 'CPU', 'MEMORY', 'RUNS', 'AGE'],
  wide: ['ADDRESS', 'RAFT-ID', 'TERM', 'LABELS'],
  row(o, ctx) {
    const node = o as Node;
    const status = nodeStatus(node);
    const alloc = node.status?.allocatable ?? node.status?.capacity;
    const active = ctx.activeRunsByNode
      ? (ctx.activeRunsByNode.get(node.metadata.name) ?? 0)
      : undefined;
    const maxRuns = alloc?.runs !== undefined ? String(alloc.runs) : '?';
    return [
      node.metadata.name,
      phaseCell(status, ctx),
      node.status?.raft?.role ?? NONE,
      alloc?.cpu ?? NONE,
      alloc?.memory ?? NONE,
      active !== undefined ? `${active}/${maxRuns}` : maxRuns,
      age(node.metadata.creationTimestamp, ctx.now),
    ];
  },
  wideRow(o) {
    const node = o as Node;
    return [
      node.status?.raft?.address ?? NONE,
      node.status?.raft?.id !== undefined ? String(node.status.raft.id) : NONE,
      node.status?.raft?.term !== undefined ? String(node.status.raft.term) : NONE,
      labelsText(node.metadata.labels),
    ];
  },
};

/**
 * The CronJob's next `count` scheduled times after `nowMs` (none while
 * suspended, or for a schedule or zone this CLI cannot read).
 */
export function cronJobNextTimes(cj: CronJob, nowMs: number, count: number): Date[] {
  if (cj.spec.suspend) return [];
  try {
    return nextFirings(parseCron(cj.spec.schedule), new Date(nowMs), count, cronJobZone(cj));
  } catch (err) {
    if (err instanceof CronError) return [];
    throw err;
  }
}

export function cronJobZone(cj: CronJob): string {
  return cj.spec.timeZone || 'UTC';
}

const cronJobColumns: KindColumns = {
  headers: ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'NEXT', 'AGE'],
  wide: ['IMAGE', 'COMMAND'],
  row(o, ctx) {
    const cj = o as CronJob;
    const last = cj.status?.lastScheduleTime;
    const [next] = cronJobNextTimes(cj, ctx.now, 1);
    return [
      cj.metadata.name,
      cj.spec.schedule,
      cronJobZone(cj),
      cj.spec.suspend ? 'True' : 'False',
      String(cj.status?.active?.length ?? 0),
      last ? age(last, ctx.now) : NONE,
      next ? `in ${humanDuration(next.getTime() - ctx.now)}` : NONE,
      age(cj.metadata.creationTimestamp, ctx.now),
    ];
  },
  wideRow(o) {
    const cj = o as CronJob;
    const spec = cj.spec.jobTemplate?.spec;
    return [spec?.image ?? NONE, commandText(spec?.command)];
  },
};

/** An Event's fields (they live under spec; see pkg/events). */
interface EventFields {
  involvedObject?: { kind?: string; name?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component?: string; node?: string };
}

const eventFields = (o: Resource): EventFields => (o.spec ?? {}) as EventFields;

/** When an Event last happened: lastTimestamp, else when it was created. */
export function eventLastSeen(o: Resource): string | undefined {
  return eventFields(o).lastTimestamp || o.metadata.creationTimestamp;
}

/** The involved object as kubectl prints it: job/hello, node/node-1. */
export function eventObject(o: Resource): string {
  const inv = eventFields(o).involvedObject;
  const kind = (inv?.kind ?? '').toLowerCase();
  return kind ? `${kind}/${inv?.name ?? ''}` : (inv?.name ?? NONE);
}

/** "agent, node-1" (kubectl's formatEventSource). */
export function eventSource(o: Resource): string {
  const src = eventFields(o).source;
  return [src?.component, src?.node].filter(Boolean).join(', ') || NONE;
}

const eventColumns: KindColumns = {
  headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
  wide: ['SOURCE', 'FIRST SEEN', 'COUNT', 'NAME'],
  row(o, ctx) {
    const e = eventFields(o);
    const type = e.type ?? 'Normal';
    return [
      age(eventLastSeen(o), ctx.now),
      // Warnings stand out in yellow (the palette's colour for 'Unknown').
      type === 'Warning' ? { text: type, paint: (t) => ctx.palette.phase('Unknown', t) } : type,
      e.reason ?? '',
      eventObject(o),
      (e.message ?? '').trim().replace(/\s*\n\s*/g, ' '),
    ];
  },
  wideRow(o, ctx) {
    const e = eventFields(o);
    return [
      eventSource(o),
      age(e.firstTimestamp || o.metadata.creationTimestamp, ctx.now),
      String(e.count ?? 1),
      o.metadata.name,
    ];
  },
};

const sandboxPolicyColumns: KindColumns = {
  headers: ['NAME', 'NETWORK', 'WRITABLE-ROOT', 'ROOT-USER', 'MAX-CPU', 'MAX-MEMORY', 'AGE'],
  wide: ['USERS', 'IMAGES'],
  row(o, ctx) {
    const s = (o as SandboxPolicy).spec ?? {};
    return [
      o.metadata.name,
      (s.allowNetwork ?? ['none']).join(','),
      String(s.allowWritableRootFilesystem ?? false),
      String(s.allowRootUser ?? false),
      s.maxResources?.cpu !== undefined ? String(s.maxResources.cpu) : NONE,
      s.maxResources?.memory !== undefined ? String(s.maxResources.memory) : NONE,
      age(o.metadata.creationTimestamp, ctx.now),
    ];
  },
  wideRow(o) {
    const s = (o as SandboxPolicy).spec ?? {};
    return [
      s.allowUsers?.length ? s.allowUsers.join(',') : NONE,
      s.allowImages ? s.allowImages.join(',') || NONE : '*',
    ];
  },
};

/** Any other kind: name and age. */
const genericColumns: KindColumns = {
  headers: ['NAME', 'AGE'],
  wide: ['LABELS'],
  row: (o, ctx) => [o.metadata.name, age(o.metadata.creationTimestamp, ctx.now)],
  wideRow: (o) => [labelsText(o.metadata.labels)],
};

const BY_KIND: Readonly<Record<string, KindColumns>> = {
  Job: jobColumns,
  Run: runColumns,
  Node: nodeColumns,
  CronJob: cronJobColumns,
  Event: eventColumns,
  SandboxPolicy: sandboxPolicyColumns,
};

export interface TableShape {
  readonly wide: boolean;
  /** Adds a NAMESPACE column first (-A on namespaced kinds). */
  readonly withNamespace: boolean;
  /** Adds an EVENT column first (watch mode). */
  readonly withEvent: boolean;
}

export function tableHeaders(info: KindInfo, shape: TableShape): string[] {
  const cols = BY_KIND[info.kind] ?? genericColumns;
  return [
    ...(shape.withEvent ? ['EVENT'] : []),
    ...(shape.withNamespace ? ['NAMESPACE'] : []),
    ...cols.headers,
    ...(shape.wide ? cols.wide : []),
  ];
}

export function tableRow(
  info: KindInfo,
  o: Resource,
  shape: TableShape,
  ctx: RowContext,
  event?: string,
): Row {
  const cols = BY_KIND[info.kind] ?? genericColumns;
  return [
    ...(shape.withEvent ? [event ?? ''] : []),
    ...(shape.withNamespace ? [o.metadata.namespace] : []),
    ...cols.row(o, ctx),
    ...(shape.wide ? cols.wideRow(o, ctx) : []),
  ];
}
