// What a table of each kind shows: the one definition of the columns that
// `jobctl get` prints and that the server's Table (kubectl get) answers with,
// as Kubernetes' additionalPrinterColumns are for a CRD. Each column is a pure
// function of (object, context); priority 1 columns are the wide-only ones
// (`-o wide`). Colour is the CLI's business: a column only says how its
// words may be tinted.
//
// Loaded by every `jobctl get`, so it imports nothing but types and the
// duration helpers.
import type {
  Condition,
  CronJob,
  Job,
  Node,
  Queue,
  Resource,
  Run,
  SandboxPolicy,
} from '../../store/types.js';
import { CronError, nextFirings, parseCron } from '../../util/cron.js';
import { age, humanDuration } from '../../util/duration.js';

export interface CellContext {
  /** Wall clock now, in ms (ages and durations). */
  readonly now: number;
  /** Active Runs per node name, for the nodes table (absent: only the limit is shown). */
  readonly activeRunsByNode?: ReadonlyMap<string, number>;
}

export interface PrinterColumn {
  /** The header, as printed: 'NAME', 'LAST SCHEDULE'. */
  readonly name: string;
  /** OpenAPI type of the cell, for the Table's columnDefinitions. */
  readonly type: 'string' | 'integer' | 'date';
  /** 'name' marks the column that names the object (kubectl's convention). */
  readonly format?: 'name';
  readonly description: string;
  /** 0: always shown; 1: only in the wide table. */
  readonly priority: 0 | 1;
  /** How the CLI may colour the cell: by the phase it names, or when it says Warning. */
  readonly tint?: 'phase' | 'warning';
  cell(o: Resource, ctx: CellContext): string;
}

const NONE = '<none>';

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

/**
 * The STATUS column: the phase, or Terminating while a Job marked for deletion
 * stops its Runs (as kubectl shows a Job or Pod being deleted; a Job that had
 * already finished keeps saying how it ended).
 */
export function jobStatusText(job: Job): string {
  const phase = jobPhase(job);
  if (job.metadata.deletionTimestamp === undefined) return phase;
  return phase === 'Succeeded' || phase === 'Failed' ? phase : 'Terminating';
}

function jobDuration(job: Job, now: number): string {
  const start = job.status?.startTime;
  if (!start) return '';
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

function condition(conds: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}

/**
 * Ready | NotReady | Unknown, plus ",RuntimeNotReady" when a heartbeating node
 * reports its container runtime down (nothing is placed there: a kubectl user
 * would otherwise read "Ready" as "takes work"), and ",SchedulingDisabled" when
 * cordoned (as kubectl).
 */
export function nodeStatus(node: Node): string {
  const ready = condition(node.status?.conditions, 'Ready');
  let s = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  if (
    ready?.status === 'True' &&
    condition(node.status?.conditions, 'RuntimeReady')?.status === 'False'
  ) {
    s += ',RuntimeNotReady';
  }
  if (node.spec?.unschedulable) s += ',SchedulingDisabled';
  return s;
}

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

/** Column builders: a string column (priority 0 unless `wide`). */
const col = (
  name: string,
  description: string,
  cell: (o: Resource, ctx: CellContext) => string,
  extra: Partial<Pick<PrinterColumn, 'type' | 'format' | 'priority' | 'tint'>> = {},
): PrinterColumn => ({ name, type: 'string', description, priority: 0, cell, ...extra });
const wide = { priority: 1 } as const;

const nameColumn = col('NAME', 'Name of the object.', (o) => o.metadata.name, {
  format: 'name',
});
const ageColumn = col(
  'AGE',
  'Time since the object was created.',
  (o, ctx) => age(o.metadata.creationTimestamp, ctx.now),
  { type: 'date' },
);

const job = (o: Resource): Job => o as Job;
const run = (o: Resource): Run => o as Run;
const node = (o: Resource): Node => o as Node;
const cron = (o: Resource): CronJob => o as CronJob;
const queue = (o: Resource): Queue => o as Queue;
const policy = (o: Resource): NonNullable<SandboxPolicy['spec']> => (o as SandboxPolicy).spec ?? {};

const JOB_COLUMNS: readonly PrinterColumn[] = [
  nameColumn,
  col(
    'STATUS',
    'Phase of the Job, or Terminating while it is being deleted.',
    (o) => jobStatusText(job(o)),
    { tint: 'phase' },
  ),
  col(
    'COMPLETIONS',
    'Succeeded Runs of those needed.',
    (o) => `${job(o).status?.succeeded ?? 0}/${job(o).spec.completions ?? 1}`,
  ),
  col('DURATION', 'Time from start to completion (or now).', (o, ctx) =>
    jobDuration(job(o), ctx.now),
  ),
  ageColumn,
  col('IMAGE', 'Container image.', (o) => job(o).spec.image ?? NONE, wide),
  col('COMMAND', 'Command the container runs.', (o) => commandText(job(o).spec.command), wide),
  col(
    'SELECTOR',
    'Label selector of its Runs.',
    (o) => `jobctl.dev/job-name=${o.metadata.name}`,
    wide,
  ),
];

const RUN_COLUMNS: readonly PrinterColumn[] = [
  nameColumn,
  col('JOB', 'Job the Run belongs to.', (o) => run(o).spec.jobName || NONE),
  col('NODE', 'Node the Run is bound to.', (o) => run(o).spec.nodeName || NONE),
  col('STATUS', 'Phase of the Run.', (o) => run(o).status?.phase ?? 'Pending', { tint: 'phase' }),
  col('EXIT', 'Exit code of the container.', (o) => {
    const code = run(o).status?.exitCode;
    return code !== undefined ? String(code) : NONE;
  }),
  col('REASON', 'Why the Run ended.', (o) => run(o).status?.reason ?? NONE),
  ageColumn,
  col('ATTEMPT', 'Attempt number within the Job.', (o) => String(run(o).spec.attempt ?? 0), wide),
  col('IMAGE', 'Container image.', (o) => run(o).spec.container?.image ?? NONE, wide),
  col(
    'CONTAINER',
    'Container ID (short).',
    (o) => run(o).status?.containerID?.slice(0, 12) || NONE,
    wide,
  ),
];

const allocatable = (o: Resource) => node(o).status?.allocatable ?? node(o).status?.capacity;

const NODE_COLUMNS: readonly PrinterColumn[] = [
  nameColumn,
  col(
    'STATUS',
    'Ready, NotReady or Unknown; RuntimeNotReady when the container runtime is down; cordoned nodes add SchedulingDisabled.',
    (o) => nodeStatus(node(o)),
    { tint: 'phase' },
  ),
  col('ROLE(S)', 'Raft role.', (o) => node(o).status?.raft?.role ?? NONE),
  col('CPU', 'Allocatable CPU.', (o) => String(allocatable(o)?.cpu ?? NONE)),
  col('MEMORY', 'Allocatable memory.', (o) => String(allocatable(o)?.memory ?? NONE)),
  col('RUNS', 'Active Runs of the most the node takes.', (o, ctx) => {
    const runs = allocatable(o)?.runs;
    const max = runs !== undefined ? String(runs) : '?';
    const active = ctx.activeRunsByNode?.get(o.metadata.name);
    return ctx.activeRunsByNode ? `${active ?? 0}/${max}` : max;
  }),
  ageColumn,
  col(
    'ADDRESS',
    'Address for peers and clients.',
    (o) => node(o).status?.raft?.address ?? NONE,
    wide,
  ),
  col(
    'RAFT-ID',
    'Raft member ID.',
    (o) => {
      const id = node(o).status?.raft?.id;
      return id !== undefined ? String(id) : NONE;
    },
    wide,
  ),
  col(
    'TERM',
    'Raft term.',
    (o) => {
      const term = node(o).status?.raft?.term;
      return term !== undefined ? String(term) : NONE;
    },
    wide,
  ),
  col('LABELS', 'Labels of the node.', (o) => labelsText(o.metadata.labels), wide),
];

/**
 * The CronJob's next `count` scheduled times after `nowMs` (none while
 * suspended, or for a schedule or zone that cannot be read).
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

const CRONJOB_COLUMNS: readonly PrinterColumn[] = [
  nameColumn,
  col('SCHEDULE', 'Cron schedule.', (o) => cron(o).spec.schedule),
  col('TIMEZONE', 'Time zone of the schedule.', (o) => cronJobZone(cron(o))),
  col('SUSPEND', 'Whether new Jobs are held back.', (o) =>
    cron(o).spec.suspend ? 'True' : 'False',
  ),
  col('ACTIVE', 'Jobs running now.', (o) => String(cron(o).status?.active?.length ?? 0)),
  col('LAST SCHEDULE', 'Time since the last Job was scheduled.', (o, ctx) => {
    const last = cron(o).status?.lastScheduleTime;
    return last ? age(last, ctx.now) : NONE;
  }),
  col('NEXT', 'Time until the next scheduled Job.', (o, ctx) => {
    const [next] = cronJobNextTimes(cron(o), ctx.now, 1);
    return next ? `in ${humanDuration(next.getTime() - ctx.now)}` : NONE;
  }),
  ageColumn,
  col('IMAGE', 'Container image.', (o) => cron(o).spec.jobTemplate?.spec?.image ?? NONE, wide),
  col(
    'COMMAND',
    'Command the container runs.',
    (o) => commandText(cron(o).spec.jobTemplate?.spec?.command),
    wide,
  ),
];

/** "5" or "5 (2 per namespace)": the Queue's limits. */
export function queueLimitText(q: Queue): string {
  const per = q.spec.maxRunningPerNamespace;
  return per !== undefined
    ? `${q.spec.maxRunning} (${per} per namespace)`
    : String(q.spec.maxRunning);
}

const QUEUE_COLUMNS: readonly PrinterColumn[] = [
  nameColumn,
  col('RUNNING', 'Runs of the queue holding a slot (bound to a node, or chosen to start).', (o) =>
    String(queue(o).status?.running ?? 0),
  ),
  col('PENDING', 'Runs of the queue waiting for a slot.', (o) =>
    String(queue(o).status?.pending ?? 0),
  ),
  col('LIMIT', 'Most Runs of the queue at once (and per namespace).', (o) =>
    queueLimitText(queue(o)),
  ),
  ageColumn,
  col('PRIORITY', 'Priority of the queue.', (o) => String(queue(o).spec.priority ?? 0), wide),
];

const EVENT_COLUMNS: readonly PrinterColumn[] = [
  col('LAST SEEN', 'Time since the event last happened.', (o, ctx) =>
    age(eventLastSeen(o), ctx.now),
  ),
  col('TYPE', 'Normal or Warning.', (o) => eventFields(o).type ?? 'Normal', { tint: 'warning' }),
  col('REASON', 'Why the event happened.', (o) => eventFields(o).reason ?? ''),
  col('OBJECT', 'The object it is about.', eventObject),
  col('MESSAGE', 'What happened.', (o) =>
    (eventFields(o).message ?? '').trim().replace(/\s*\n\s*/g, ' '),
  ),
  col('SOURCE', 'Component (and node) that reported it.', eventSource, wide),
  col(
    'FIRST SEEN',
    'Time since it first happened.',
    (o, ctx) => age(eventFields(o).firstTimestamp || o.metadata.creationTimestamp, ctx.now),
    wide,
  ),
  col('COUNT', 'How often it happened.', (o) => String(eventFields(o).count ?? 1), wide),
  col('NAME', 'Name of the Event.', (o) => o.metadata.name, { ...wide, format: 'name' }),
];

const SANDBOX_POLICY_COLUMNS: readonly PrinterColumn[] = [
  nameColumn,
  col('NETWORK', 'Networks Jobs may ask for.', (o) =>
    (policy(o).allowNetwork ?? ['none']).join(','),
  ),
  col('WRITABLE-ROOT', 'Whether a writable root filesystem is allowed.', (o) =>
    String(policy(o).allowWritableRootFilesystem ?? false),
  ),
  col('ROOT-USER', 'Whether running as root is allowed.', (o) =>
    String(policy(o).allowRootUser ?? false),
  ),
  col('MAX-CPU', 'Most CPU a Job may ask for.', (o) => {
    const cpu = policy(o).maxResources?.cpu;
    return cpu !== undefined ? String(cpu) : NONE;
  }),
  col('MAX-MEMORY', 'Most memory a Job may ask for.', (o) => {
    const memory = policy(o).maxResources?.memory;
    return memory !== undefined ? String(memory) : NONE;
  }),
  ageColumn,
  col(
    'USERS',
    'Users Jobs may run as.',
    (o) => (policy(o).allowUsers?.length ? (policy(o).allowUsers ?? []).join(',') : NONE),
    wide,
  ),
  col(
    'IMAGES',
    'Images Jobs may use (* any).',
    (o) => {
      const images = policy(o).allowImages;
      return images ? images.join(',') || NONE : '*';
    },
    wide,
  ),
];

/** Any other kind: name and age, labels when wide. */
const GENERIC_COLUMNS: readonly PrinterColumn[] = [
  nameColumn,
  ageColumn,
  col('LABELS', 'Labels of the object.', (o) => labelsText(o.metadata.labels), wide),
];

const BY_KIND: Readonly<Record<string, readonly PrinterColumn[]>> = {
  Job: JOB_COLUMNS,
  Run: RUN_COLUMNS,
  Node: NODE_COLUMNS,
  CronJob: CRONJOB_COLUMNS,
  Event: EVENT_COLUMNS,
  SandboxPolicy: SANDBOX_POLICY_COLUMNS,
  Queue: QUEUE_COLUMNS,
};

/** The columns of a kind's table, default ones first, then the wide-only ones. */
export function printerColumns(kind: string): readonly PrinterColumn[] {
  return BY_KIND[kind] ?? GENERIC_COLUMNS;
}
