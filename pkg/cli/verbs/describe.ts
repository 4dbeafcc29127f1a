// `jobctl describe job|run|node|cronjob|queue NAME...`: the object, its conditions,
// related Runs and recent events (a Job's include its Runs'). Events come from
// the Event kind (pkg/events); a server without it shows them as <none>.
import type { ResourceClient } from '../../client/index.js';
import {
  JOB_NAME_LABEL,
  isFinalRunPhase,
  type CronJob,
  type Job,
  type Node,
  type Queue,
  type Resource,
  type Run,
} from '../../store/types.js';
import { Reason, isReason } from '../../util/errors.js';
import { ExitCode, UsageError, describeError } from '../errors.js';
import {
  describeCronJob,
  describeGeneric,
  describeJob,
  describeNode,
  describeQueue,
  describeRun,
  describeSandboxPolicy,
  type DescribeContext,
  type EventLine,
} from '../printers/describe.js';
import { namespaceFor, resolveKind } from '../resource/refs.js';
import { defineVerb } from '../command.js';
import { clientOf, commonOptions, paletteOf, type CommonOptions, type VerbDeps } from './deps.js';

export interface DescribeOptions extends CommonOptions {
  readonly kind: string;
  readonly names: readonly string[];
}

export const describeVerb = defineVerb({
  name: 'describe',
  describe: 'Show details of a job, run, node, cronjob or queue: fields, conditions, runs, events',
  positionals: [
    { name: 'kind', required: true },
    { name: 'names', array: true },
  ],
  toOptions: (a, conn): DescribeOptions => ({
    ...commonOptions(a, conn),
    kind: a.kind,
    names: a.names,
  }),
  run: runDescribe,
});

/** Events shown per object, the most recent ones (kubectl shows them all; we cap). */
const MAX_EVENTS = 50;
/** Events of cluster-scoped objects (Nodes) live in this namespace (pkg/events). */
const CLUSTER_EVENT_NAMESPACE = 'default';

/** An Event's fields (under spec; the top level is accepted too, for older shapes). */
interface EventFields {
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  source?: { component?: string } | string;
}

function eventFields(e: Resource): EventFields {
  const top = e as EventFields;
  return { ...top, ...(e.spec as EventFields | undefined) };
}

/**
 * Recent events about `o` — for a Job also those about its Runs, each message
 * prefixed with the Run it is about — oldest first; undefined when the server
 * has no Event kind.
 */
async function eventsFor(
  client: ResourceClient,
  o: Resource,
  runs: readonly Run[] | undefined,
): Promise<EventLine[] | undefined> {
  const namespace = o.metadata.namespace || CLUSTER_EVENT_NAMESPACE;
  // Only the object itself: let the server filter by name. With Runs: one
  // list of the namespace, filtered here (their names share no selector).
  const withRuns = o.kind === 'Job' && (runs?.length ?? 0) > 0;
  let items: readonly Resource[];
  try {
    items = (
      await client.list('events', {
        namespace,
        ...(withRuns
          ? {}
          : {
              fieldSelector: `spec.involvedObject.kind=${o.kind},spec.involvedObject.name=${o.metadata.name}`,
            }),
      })
    ).items;
  } catch (err) {
    if (isReason(err, Reason.NotFound) || /resource type/.test(String(err))) return undefined;
    throw err;
  }
  // Whose events to show: uid when known (a recreated object's old events stay out).
  const subjects = [o, ...(withRuns ? (runs ?? []) : [])].map((x) => ({
    kind: x.kind,
    name: x.metadata.name,
    uid: x.metadata.uid,
    prefix: x === o ? '' : `run/${x.metadata.name}: `,
  }));
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const lines: EventLine[] = [];
  for (const e of items) {
    const f = eventFields(e);
    const inv = f.involvedObject;
    if (!inv) continue;
    const subject = subjects.find((s) =>
      inv.uid && s.uid ? inv.uid === s.uid : inv.kind === s.kind && inv.name === s.name,
    );
    if (!subject) continue;
    const at = str(f.lastTimestamp) || str(e.metadata?.creationTimestamp);
    lines.push({
      type: str(f.type) || 'Normal',
      reason: str(f.reason),
      at,
      firstAt: str(f.firstTimestamp) || at,
      count: typeof f.count === 'number' ? f.count : 1,
      from: typeof f.source === 'string' ? f.source : str(f.source?.component),
      message: `${subject.prefix}${str(f.message).trim()}`,
    });
  }
  const time = (l: EventLine): number => Date.parse(l.at ?? '') || 0;
  return lines.sort((a, b) => time(a) - time(b)).slice(-MAX_EVENTS);
}

async function related(client: ResourceClient, o: Resource): Promise<Run[] | undefined> {
  if (o.kind === 'Job') {
    const runs = await client.list('runs', {
      namespace: o.metadata.namespace,
      labelSelector: `${JOB_NAME_LABEL}=${o.metadata.name}`,
    });
    return (runs.items as Run[]).filter((r) => !r.spec.jobUid || r.spec.jobUid === o.metadata.uid);
  }
  if (o.kind === 'Node') {
    const runs = await client.list('runs', { fieldSelector: `spec.nodeName=${o.metadata.name}` });
    return (runs.items as Run[]).filter((r) => !isFinalRunPhase(r.status?.phase));
  }
  return undefined;
}

export async function runDescribe(opts: DescribeOptions, deps: VerbDeps): Promise<number> {
  const info = resolveKind(opts.kind);
  if (opts.names.length === 0) {
    throw new UsageError(`you must specify the name of the ${info.singular} to describe`);
  }
  const client = await clientOf(deps);
  const palette = await paletteOf(deps, opts.noColor);
  let code: number = ExitCode.Ok;
  let first = true;
  for (const name of opts.names) {
    let o: Resource;
    try {
      o = await client.get(info.kind, namespaceFor(info, opts.namespace), name);
    } catch (err) {
      const d = describeError(err);
      if (d.code !== ExitCode.Failed) throw err;
      deps.stderr.write(`${d.line}\n`);
      code = ExitCode.Failed;
      continue;
    }
    const runs = await related(client, o);
    const ctx: DescribeContext = {
      now: deps.clock.now(),
      palette,
      runs,
      events: await eventsFor(client, o, runs),
    };
    const text =
      o.kind === 'Job'
        ? describeJob(o as Job, ctx)
        : o.kind === 'Run'
          ? describeRun(o as Run, ctx)
          : o.kind === 'Node'
            ? describeNode(o as Node, ctx)
            : o.kind === 'CronJob'
              ? describeCronJob(o as CronJob, ctx)
              : o.kind === 'SandboxPolicy'
                ? describeSandboxPolicy(o, ctx)
                : o.kind === 'Queue'
                  ? describeQueue(o as Queue, ctx)
                  : describeGeneric(o, ctx);
    deps.stdout.write(first ? text : `\n\n${text}`);
    first = false;
  }
  return code;
}
