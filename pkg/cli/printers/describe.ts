// `describe` output: an object's fields as aligned "Key:  value" lines, its
// conditions, related objects (a Job's Runs, a Node's active Runs) and recent
// events, in kubectl's layout. Pure: the verb fetches, this formats.
import type { Condition, CronJob, Job, Node, Queue, Resource, Run } from '../../store/types.js';
import { formatInZone } from '../../util/cron.js';
import type { Palette } from './color.js';
import { ColumnTable, type Row } from './columns.js';
import { age, humanDuration } from '../../util/duration.js';
import {
  commandText,
  cronJobNextTimes,
  cronJobZone,
  jobStatusText,
  labelsText,
  nodeStatus,
  queueLimitText,
} from '../../api/columns/index.js';
import { sandboxLines, sandboxPolicyLines } from './sandbox.js';

/** One recent event (an Event object, or several of them merged by count). */
export interface EventLine {
  readonly type: string;
  readonly reason: string;
  /** When it last happened. */
  readonly at: string | undefined;
  /** When it first happened, and how often (a repeated event is one line). */
  readonly firstAt?: string;
  readonly count?: number;
  readonly from: string;
  readonly message: string;
}

export interface DescribeContext {
  readonly now: number;
  readonly palette: Palette;
  /** Related Runs (a Job's, or those active on a Node). */
  readonly runs?: readonly Run[];
  /** undefined: events are not available (shown as <none>). */
  readonly events?: readonly EventLine[];
}

type Field = readonly [string, string | undefined];

const NONE = '<none>';
/** Values start in this column (kubectl's tabwriter aligns the same way). */
const KEY_WIDTH = 16;

function fields(list: readonly Field[], indent = ''): string[] {
  // (Nested fields, e.g. capacity, are indented; their values still line up.)
  return list.map(([k, v]) => {
    const key = `${indent}${k}:`;
    return `${key.padEnd(Math.max(KEY_WIDTH, key.length + 1))}${v ?? NONE}`.trimEnd();
  });
}

/** Labels one per line, continuing under the first as kubectl does. */
function mapField(key: string, map: Readonly<Record<string, string>> | undefined): string[] {
  const entries = Object.entries(map ?? {}).map(([k, v]) => `${k}=${v}`);
  if (entries.length === 0) return fields([[key, NONE]]);
  const [first, ...rest] = entries;
  return [...fields([[key, first]]), ...rest.map((e) => `${' '.repeat(KEY_WIDTH)}${e}`)];
}

function timestamp(ts: string | undefined, now: number): string | undefined {
  return ts ? `${ts} (${age(ts, now)} ago)` : undefined;
}

function table(title: string, headers: readonly string[], rows: readonly Row[]): string[] {
  if (rows.length === 0) return [`${title}:`.padEnd(KEY_WIDTH) + NONE];
  const lines = new ColumnTable(headers).render(rows).trimEnd().split('\n');
  return [`${title}:`, ...lines.map((l) => `  ${l}`)];
}

function conditions(conds: readonly Condition[] | undefined, ctx: DescribeContext): string[] {
  return table(
    'Conditions',
    ['Type', 'Status', 'Reason', 'Message', 'Last Transition'],
    (conds ?? []).map((c) => [
      c.type,
      { text: c.status, paint: (t) => ctx.palette.phase(c.status, t) },
      c.reason ?? '',
      c.message ?? '',
      age(c.lastTransitionTime, ctx.now),
    ]),
  );
}

function runsTable(
  runs: readonly Run[] | undefined,
  ctx: DescribeContext,
  title = 'Runs',
): string[] {
  return table(
    title,
    ['Name', 'Attempt', 'Node', 'Status', 'Exit', 'Reason', 'Age'],
    (runs ?? []).map((r) => {
      const phase = r.status?.phase ?? 'Pending';
      return [
        r.metadata.name,
        String(r.spec.attempt ?? 0),
        r.spec.nodeName || NONE,
        { text: phase, paint: (t) => ctx.palette.phase(phase, t) },
        r.status?.exitCode !== undefined ? String(r.status.exitCode) : NONE,
        r.status?.reason ?? NONE,
        age(r.metadata.creationTimestamp, ctx.now),
      ];
    }),
  );
}

function events(ctx: DescribeContext): string[] {
  if (!ctx.events || ctx.events.length === 0) return [`${'Events:'.padEnd(KEY_WIDTH)}${NONE}`];
  return table(
    'Events',
    ['Type', 'Reason', 'Age', 'From', 'Message'],
    ctx.events.map((e) => [e.type, e.reason, eventAge(e, ctx.now), e.from, e.message]),
  );
}

/** kubectl's Age of an event: "5m", or "5m (x3 over 10m)" when it repeated. */
export function eventAge(e: EventLine, now: number): string {
  const last = age(e.at, now);
  if (e.count === undefined || e.count <= 1) return last;
  return `${last} (x${e.count} over ${age(e.firstAt ?? e.at, now)})`;
}

function metadata(o: Resource, ctx: DescribeContext, namespaced = true): string[] {
  return [
    ...fields([['Name', o.metadata.name]]),
    ...(namespaced ? fields([['Namespace', o.metadata.namespace]]) : []),
    ...mapField('Labels', o.metadata.labels),
    ...mapField('Annotations', o.metadata.annotations),
    ...fields([
      ['UID', o.metadata.uid],
      ['Created', timestamp(o.metadata.creationTimestamp, ctx.now)],
    ]),
  ];
}

/**
 * Why the Job's unplaced Runs wait, one line each (what the scheduler wrote:
 * `queue batch is full (5/5 running), position 3 of 12`, or why no node fits).
 */
function waitingLines(runs: readonly Run[] | undefined): string[] {
  const waiting = (runs ?? []).filter(
    (r) => !r.spec.nodeName && (r.status?.phase ?? 'Pending') === 'Pending' && r.status?.message,
  );
  if (waiting.length === 0) return [];
  if (waiting.length === 1) return fields([['Waiting', waiting[0]?.status?.message]]);
  return ['Waiting:', ...waiting.map((r) => `  ${r.metadata.name}: ${r.status?.message ?? ''}`)];
}

export function describeJob(job: Job, ctx: DescribeContext): string {
  const s = job.spec;
  const st = job.status ?? {};
  const phase = jobStatusText(job);
  const env = (s.env ?? []).map((e) => `${e.name}=${e.value}`);
  const lines = [
    ...metadata(job as Resource, ctx),
    ...fields([
      ['Image', s.image],
      ['Command', commandText(s.command)],
      ['Working Dir', s.workingDir],
      ['Environment', env.length ? env.join(', ') : undefined],
      [
        'Resources',
        s.resources ? `cpu=${s.resources.cpu}, memory=${s.resources.memory}` : undefined,
      ],
      ['Completions', String(s.completions)],
      ['Parallelism', String(s.parallelism)],
      ['Backoff Limit', String(s.backoffLimit)],
      ['Deadline', s.activeDeadlineSeconds != null ? `${s.activeDeadlineSeconds}s` : undefined],
      ['TTL', s.ttlSecondsAfterFinished != null ? `${s.ttlSecondsAfterFinished}s` : undefined],
      ['Node Selector', s.nodeSelector ? labelsText(s.nodeSelector) : undefined],
      ['Priority', String(s.priority ?? 0)],
      ['Queue', s.queue],
      ['Suspend', String(s.suspend ?? false)],
    ]),
    ...sandboxLines(s),
    `${'Status:'.padEnd(KEY_WIDTH)}${ctx.palette.phase(phase)}`,
    ...fields([
      ['Start Time', timestamp(st.startTime, ctx.now)],
      ['Completed At', timestamp(st.completionTime, ctx.now)],
      [
        'Runs Status',
        `${st.active ?? 0} Active / ${st.succeeded ?? 0} Succeeded / ${st.failed ?? 0} Failed`,
      ],
    ]),
    ...waitingLines(ctx.runs),
    ...conditions(st.conditions, ctx),
    ...runsTable(ctx.runs, ctx),
    ...events(ctx),
  ];
  return `${lines.join('\n')}\n`;
}

/** A CronJob: its schedule in its zone (with the next three times), template and Jobs. */
export function describeCronJob(cj: CronJob, ctx: DescribeContext): string {
  const s = cj.spec;
  const st = cj.status ?? {};
  const t = s.jobTemplate?.spec;
  const zone = cronJobZone(cj);
  const next = cronJobNextTimes(cj, ctx.now, 3).map(
    (d) => `${formatInZone(d, zone)} (in ${humanDuration(d.getTime() - ctx.now)})`,
  );
  const nextLines =
    next.length === 0
      ? fields([['Next Schedules', s.suspend ? 'none (suspended)' : undefined]])
      : [
          ...fields([['Next Schedules', next[0]]]),
          ...next.slice(1).map((n) => `${' '.repeat(KEY_WIDTH)}${n}`),
        ];
  const lines = [
    ...metadata(cj as Resource, ctx),
    ...fields([
      ['Schedule', s.schedule],
      ['Time Zone', zone],
      ['Concurrency Policy', s.concurrencyPolicy ?? 'Allow'],
      ['Suspend', String(s.suspend ?? false)],
      [
        'Starting Deadline',
        s.startingDeadlineSeconds != null ? `${s.startingDeadlineSeconds}s` : undefined,
      ],
      ['Successful Job History Limit', String(s.successfulJobsHistoryLimit ?? 3)],
      ['Failed Job History Limit', String(s.failedJobsHistoryLimit ?? 1)],
      ['Image', t?.image],
      ['Command', commandText(t?.command)],
      ['Last Schedule Time', timestamp(st.lastScheduleTime, ctx.now)],
      ['Last Successful Time', timestamp(st.lastSuccessfulTime, ctx.now)],
      ['Active Jobs', st.active?.length ? st.active.map((r) => r.name).join(', ') : undefined],
    ]),
    ...nextLines,
    ...events(ctx),
  ];
  return `${lines.join('\n')}\n`;
}

export function describeRun(run: Run, ctx: DescribeContext): string {
  const s = run.spec;
  const st = run.status ?? {};
  const phase = st.phase ?? 'Pending';
  const lines = [
    ...metadata(run as Resource, ctx),
    ...fields([
      ['Job', s.jobName],
      ['Attempt', String(s.attempt ?? 0)],
      ['Node', s.nodeName || undefined],
      ['Image', s.container?.image],
      ['Command', commandText(s.container?.command)],
    ]),
    `${'Status:'.padEnd(KEY_WIDTH)}${ctx.palette.phase(phase)}`,
    ...fields([
      ['Reason', st.reason],
      ['Exit Code', st.exitCode !== undefined ? String(st.exitCode) : undefined],
      ['Container', st.containerID],
      ['Started', timestamp(st.startedAt, ctx.now)],
      ['Finished', timestamp(st.finishedAt, ctx.now)],
      ['Message', st.message],
    ]),
    ...events(ctx),
  ];
  return `${lines.join('\n')}\n`;
}

export function describeNode(node: Node, ctx: DescribeContext): string {
  const st = node.status ?? {};
  const res = (title: string, r: { cpu: string; memory: string; runs: number } | undefined) =>
    r
      ? [
          `${title}:`,
          ...fields(
            [
              ['cpu', r.cpu],
              ['memory', r.memory],
              ['runs', String(r.runs)],
            ],
            '  ',
          ),
        ]
      : fields([[title, NONE]]);
  const status = nodeStatus(node);
  const lines = [
    ...metadata(node as Resource, ctx, false),
    ...fields([['Unschedulable', String(node.spec?.unschedulable ?? false)]]),
    `${'Status:'.padEnd(KEY_WIDTH)}${ctx.palette.phase(status)}`,
    ...fields([
      ['Raft', st.raft ? `id=${st.raft.id} role=${st.raft.role} term=${st.raft.term}` : undefined],
      ['Address', st.raft?.address],
      ['Heartbeat', timestamp(st.heartbeatTime, ctx.now)],
      ['Versions', st.versions ? labelsText(st.versions) : undefined],
    ]),
    ...conditions(st.conditions, ctx),
    ...res('Capacity', st.capacity),
    ...res('Allocatable', st.allocatable),
    ...runsTable(ctx.runs, ctx, 'Active Runs'),
    ...events(ctx),
  ];
  return `${lines.join('\n')}\n`;
}

/** A Queue: its limits, how full it is, and who waits, in the order they will start. */
export function describeQueue(q: Queue, ctx: DescribeContext): string {
  const st = q.status ?? {};
  const listed = st.waiting ?? [];
  const pending = st.pending ?? 0;
  const waiting =
    listed.length === 0
      ? fields([['Waiting', NONE]])
      : [
          ...table(
            'Waiting',
            ['Position', 'Run', 'Job', 'Namespace'],
            listed.map((w) => [String(w.position), w.name, w.jobName, w.namespace]),
          ),
          ...(pending > listed.length ? [`  ... and ${pending - listed.length} more`] : []),
        ];
  const lines = [
    ...metadata(q as Resource, ctx, false),
    ...fields([
      ['Max Running', String(q.spec.maxRunning)],
      [
        'Per Namespace',
        q.spec.maxRunningPerNamespace !== undefined
          ? String(q.spec.maxRunningPerNamespace)
          : undefined,
      ],
      ['Priority', String(q.spec.priority ?? 0)],
      ['Running', `${st.running ?? 0}/${queueLimitText(q)}`],
      ['Pending', String(pending)],
    ]),
    ...waiting,
    ...events(ctx),
  ];
  return `${lines.join('\n')}\n`;
}

export function describeSandboxPolicy(o: Resource, ctx: DescribeContext): string {
  return `${[...metadata(o, ctx), ...sandboxPolicyLines(o), ...events(ctx)].join('\n')}\n`;
}

/** Kinds without a dedicated describer: metadata, then spec and status as JSON. */
export function describeGeneric(o: Resource, ctx: DescribeContext): string {
  const lines = [
    ...metadata(o, ctx, o.metadata.namespace !== ''),
    `Spec:          ${JSON.stringify(o.spec)}`,
    `Status:        ${JSON.stringify(o.status)}`,
    ...events(ctx),
  ];
  return `${lines.join('\n')}\n`;
}
