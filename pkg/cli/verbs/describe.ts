// `jobctl describe job|run|node|cronjob NAME...`: the object, its conditions,
// related Runs and recent events. Events come from the Event kind when the
// server has one; until then (NotFound for the kind) they show as <none>.
import type { ResourceClient } from '../../client/types.js';
import { JOB_NAME_LABEL, type Job, type Node, type Resource, type Run } from '../../store/types.js';
import { Reason, isReason } from '../../util/errors.js';
import { ExitCode, UsageError } from '../errors.js';
import {
  describeGeneric,
  describeJob,
  describeNode,
  describeRun,
  type DescribeContext,
  type EventLine,
} from '../printers/describe.js';
import { FINAL_RUN_PHASES } from '../printers/resource-columns.js';
import { namespaceFor, resolveKind } from '../resource/refs.js';
import {
  clientOf,
  describeVerbError,
  paletteOf,
  type CommonOptions,
  type VerbDeps,
} from './deps.js';

export interface DescribeOptions extends CommonOptions {
  readonly kind: string;
  readonly names: readonly string[];
}

/** Recent events about `o`, or undefined when the server has no Event kind. */
async function eventsFor(client: ResourceClient, o: Resource): Promise<EventLine[] | undefined> {
  let items: readonly Resource[];
  try {
    items = (await client.list('events', { namespace: o.metadata.namespace })).items;
  } catch (err) {
    if (isReason(err, Reason.NotFound) || /resource type/.test(String(err))) return undefined;
    throw err;
  }
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  return items
    .map((e) => e as unknown as Record<string, Record<string, unknown> | undefined>)
    .filter((e) => {
      const inv =
        e.involvedObject ?? (e.spec?.involvedObject as Record<string, unknown> | undefined);
      return (
        inv !== undefined &&
        (inv.uid === o.metadata.uid || (inv.kind === o.kind && inv.name === o.metadata.name))
      );
    })
    .map((e) => {
      const src = { ...e.spec, ...e } as Record<string, unknown>;
      const from = src.source as Record<string, unknown> | string | undefined;
      return {
        type: str(src.type) || 'Normal',
        reason: str(src.reason),
        at: str(src.lastTimestamp) || str(src.eventTime) || str(e.metadata?.creationTimestamp),
        from: typeof from === 'string' ? from : str(from?.component),
        message: str(src.message),
      };
    })
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0))
    .slice(-20);
}

async function related(client: ResourceClient, o: Resource): Promise<Run[] | undefined> {
  if (o.kind === 'Job') {
    const runs = await client.list('runs', {
      namespace: o.metadata.namespace,
      labelSelector: `${JOB_NAME_LABEL}=${o.metadata.name}`,
    });
    return (runs.items as unknown as Run[]).filter(
      (r) => !r.spec.jobUid || r.spec.jobUid === o.metadata.uid,
    );
  }
  if (o.kind === 'Node') {
    const runs = await client.list('runs', { fieldSelector: `spec.nodeName=${o.metadata.name}` });
    return (runs.items as unknown as Run[]).filter(
      (r) => !FINAL_RUN_PHASES.has(r.status?.phase ?? 'Pending'),
    );
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
      const d = describeVerbError(err);
      if (d.code !== ExitCode.Failed) throw err;
      deps.stderr.write(`${d.line}\n`);
      code = ExitCode.Failed;
      continue;
    }
    const ctx: DescribeContext = {
      now: deps.clock.now(),
      palette,
      runs: await related(client, o),
      events: await eventsFor(client, o),
    };
    const text =
      o.kind === 'Job'
        ? describeJob(o as unknown as Job, ctx)
        : o.kind === 'Run'
          ? describeRun(o as unknown as Run, ctx)
          : o.kind === 'Node'
            ? describeNode(o as unknown as Node, ctx)
            : describeGeneric(o, ctx);
    deps.stdout.write(first ? text : `\n\n${text}`);
    first = false;
  }
  return code;
}
