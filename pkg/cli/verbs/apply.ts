// `jobctl apply -f FILE|DIR|- [-R] [--dry-run=client|server] [--force]
// [--prune -l SEL] [--wait[=TIMEOUT]]`. Everything is validated client-side
// first (every error of every object, exit 1, nothing written); then each
// object is applied server-side and reported as created/configured/unchanged.
// --prune deletes Jobs and CronJobs matching -l that the files no longer name
// (never the Jobs a CronJob made: the cron controller keeps those within the
// CronJob's history limits); --wait follows the applied Jobs until they finish
// (0 ok, 4 failed, 5 timeout), not the Jobs an applied CronJob will make.
// --dry-run=server also prints, under each Job, where its first Run would be
// placed now or why it would wait ("0/3 nodes available: ...", "queue batch
// is full (5/5 running), position 13 of 13"), as the server worked it out.
import type { ApplyResult, ResourceClient } from '../../client/index.js';
import { jsonEqual } from '../../store/canonical.js';
import type { Outcome } from '../../store/index.js';
import { defaultKinds } from '../../store/kinds.js';
import { DRY_RUN_PLACEMENT_ANNOTATION, type Resource } from '../../store/types.js';
import { Reason, isReason } from '../../util/errors.js';
import { ExitCode, UsageError, describeError } from '../errors.js';
import {
  OBJECT_FORMATS,
  formatObjects,
  parseOutputFormat,
  qualifiedName,
} from '../printers/printer.js';
import { defineVerb } from '../command.js';
import { buildObjects, filenameFlags, validatedResource, type Info } from '../resource/builder.js';
import { clientOf, commonOptions, type CommonOptions, type VerbDeps } from './deps.js';

export type DryRun = 'none' | 'client' | 'server';

export interface ApplyOptions extends CommonOptions {
  readonly filenames: readonly string[];
  readonly recursive?: boolean;
  /** --dry-run[=client|server|none]; a bare --dry-run means client. */
  readonly dryRun?: string;
  readonly force?: boolean;
  readonly prune?: boolean;
  readonly selector?: string;
  /** --wait given (with or without a value). */
  readonly wait?: boolean;
  /** --wait=TIMEOUT ("10m"); empty or absent: no limit. */
  readonly waitTimeout?: string;
  readonly output?: string;
}

export const applyVerb = defineVerb({
  name: 'apply',
  describe: 'Create or update resources from files (-f FILE|DIR|-)',
  flags: {
    ...filenameFlags,
    'dry-run': { type: 'string', describe: 'client|server: only show what would happen' },
    force: {
      type: 'boolean',
      describe: 'delete and recreate objects whose immutable fields changed',
    },
    prune: { type: 'boolean', describe: 'delete Jobs matching -l that the files no longer name' },
    selector: { type: 'string', alias: 'l', describe: 'label selector (for --prune)' },
    wait: { type: 'string', describe: 'wait for the applied Jobs to finish (--wait[=TIMEOUT])' },
  },
  toOptions: (a, conn): ApplyOptions => ({
    ...commonOptions(a, conn),
    filenames: a.filename,
    recursive: a.recursive === true,
    dryRun: a.dryRun,
    force: a.force === true,
    prune: a.prune === true,
    selector: a.selector,
    wait: a.wait !== undefined,
    waitTimeout: a.wait,
    output: a.output,
  }),
  run: runApply,
});

export function parseDryRun(value: string | boolean | undefined): DryRun {
  if (value === undefined || value === false || value === 'none' || value === 'false')
    return 'none';
  if (value === true || value === '' || value === 'client' || value === 'true') return 'client';
  if (value === 'server') return 'server';
  throw new UsageError(
    `Invalid dry-run value (${String(value)}). Must be "none", "server", or "client".`,
  );
}

export const dryRunSuffix = (d: DryRun): string =>
  d === 'client' ? ' (dry run)' : d === 'server' ? ' (server dry run)' : '';

/** Client dry run: the outcome predicted from the live object, nothing sent. */
async function predict(client: ResourceClient, item: Info): Promise<ApplyResult> {
  const object = validatedResource(item.object);
  let live: Resource;
  try {
    live = await client.get(item.info.kind, item.namespace, item.name);
  } catch (err) {
    if (isReason(err, Reason.NotFound)) return { outcome: 'created', object };
    throw err;
  }
  const meta = (object.metadata ?? {}) as Partial<Resource['metadata']>;
  const same =
    jsonEqual(object.spec ?? {}, live.spec) &&
    jsonEqual(meta.labels ?? {}, live.metadata.labels) &&
    jsonEqual(meta.annotations ?? {}, live.metadata.annotations);
  return { outcome: same ? 'unchanged' : 'configured', object };
}

export async function runApply(opts: ApplyOptions, deps: VerbDeps): Promise<number> {
  // Complete + validate flags before touching files or the server.
  if (opts.filenames.length === 0) {
    throw new UsageError('must specify -f FILE, DIR or - (stdin)');
  }
  const format = parseOutputFormat(opts.output, OBJECT_FORMATS);
  const dryRun = parseDryRun(opts.dryRun);
  if (opts.prune && !opts.selector) {
    throw new UsageError('--prune requires a label selector (-l): all resources would be pruned');
  }
  if (opts.wait && dryRun !== 'none') throw new UsageError('--wait cannot be used with --dry-run');
  let waitMs = 0;
  if (opts.wait) {
    const { parseTimeout } = await import('./wait.js');
    waitMs = parseTimeout(opts.waitTimeout, 0, '--wait');
  }

  const built = await buildObjects({
    filenames: opts.filenames,
    recursive: opts.recursive,
    readStdin: deps.readStdin,
    namespace: opts.namespace,
    namespaceExplicit: opts.namespaceExplicit,
    validate: true,
  });
  if (built.errors.length > 0) {
    for (const line of built.errors) deps.stderr.write(`${line}\n`);
    return ExitCode.Failed;
  }

  const client = await clientOf(deps);
  const suffix = dryRunSuffix(dryRun);
  const applied: Resource[] = [];
  const appliedJobs: Info[] = [];
  let failed = false;
  for (const item of built.infos) {
    const input = validatedResource(item.object);
    let result: ApplyResult;
    try {
      result =
        dryRun === 'client'
          ? await predict(client, item)
          : await client.apply(input, {
              ...(dryRun === 'server' ? { dryRun: 'server' as const } : {}),
              ...(opts.force ? { force: true } : {}),
            });
    } catch (err) {
      deps.stderr.write(`${describeError(err).line}\n`);
      if (describeError(err).code === ExitCode.Unreachable) return ExitCode.Unreachable;
      failed = true;
      continue;
    }
    applied.push(result.object);
    if (item.info.kind === 'Job') appliedJobs.push(item);
    if (format === 'table') {
      deps.stdout.write(
        `${qualifiedName(item.info, item.name)} ${result.outcome as Outcome}${suffix}\n`,
      );
      // A server dry run of a Job says where its first Run would go now, or why it would wait.
      const placement = result.object.metadata.annotations?.[DRY_RUN_PLACEMENT_ANNOTATION];
      if (dryRun === 'server' && placement) deps.stdout.write(`  first Run: ${placement}\n`);
    }
  }
  if (format !== 'table' && format !== 'wide' && applied.length > 0) {
    deps.stdout.write(
      await formatObjects(
        format,
        (o) => defaultKinds.get(o.kind) ?? defaultKinds.kinds()[0]!,
        applied,
        {
          single: applied.length === 1,
        },
      ),
    );
  }
  if (opts.prune) {
    if (!(await prune(client, opts, built.infos, dryRun, deps))) failed = true;
  }
  if (failed) return ExitCode.Failed;
  if (opts.wait && appliedJobs.length > 0) return waitAll(client, appliedJobs, waitMs, deps);
  return ExitCode.Ok;
}

/** Deletes prunable objects matching -l that the input does not name. False if any delete failed. */
async function prune(
  client: ResourceClient,
  opts: ApplyOptions,
  infos: readonly Info[],
  dryRun: DryRun,
  deps: VerbDeps,
): Promise<boolean> {
  const keep = new Set(infos.map((i) => `${i.info.kind}/${i.namespace}/${i.name}`));
  const namespaces = new Set(infos.filter((i) => i.info.namespaced).map((i) => i.namespace));
  if (namespaces.size === 0) namespaces.add(opts.namespace);
  const suffix = dryRunSuffix(dryRun);
  let ok = true;
  for (const kind of ['Job', 'CronJob']) {
    const info = defaultKinds.get(kind)!;
    for (const ns of [...namespaces].sort()) {
      const list = await client.list(kind, { namespace: ns, labelSelector: opts.selector });
      for (const o of list.items) {
        if (keep.has(`${kind}/${o.metadata.namespace}/${o.metadata.name}`)) continue;
        // Objects a controller owns (a CronJob's Jobs) are its business, not ours.
        if (o.metadata.ownerReferences.length > 0) continue;
        try {
          if (dryRun === 'none') {
            await client.delete(kind, o.metadata.namespace, o.metadata.name, {
              preconditions: { uid: o.metadata.uid },
            });
          } else if (dryRun === 'server') {
            await client.delete(kind, o.metadata.namespace, o.metadata.name, { dryRun: 'server' });
          }
          deps.stdout.write(`${qualifiedName(info, o.metadata.name)} pruned${suffix}\n`);
        } catch (err) {
          if (isReason(err, Reason.NotFound)) continue;
          deps.stderr.write(`${describeError(err).line}\n`);
          ok = false;
        }
      }
    }
  }
  return ok;
}

/** --wait: follows every applied Job until it finishes, sharing one deadline. */
async function waitAll(
  client: ResourceClient,
  jobs: readonly Info[],
  timeoutMs: number,
  deps: VerbDeps,
): Promise<number> {
  const { deadline, waitForTargets, worstCode } = await import('./wait.js');
  const dl = deadline(deps.clock, timeoutMs, deps.signal);
  const { startJobsProgress } = await import('./wait-progress.js');
  const progress = startJobsProgress(deps, client, jobs, dl.signal);
  try {
    // Each Job is reported as soon as it finishes.
    const results = await waitForTargets(
      client,
      jobs.map((j) => ({ ref: { info: j.info, name: j.name }, namespace: j.namespace })),
      'finished',
      dl.signal,
      dl.timedOut,
      {
        onUpdate: (job) => progress.update(job),
        onResult: (_i, r) => {
          progress.line.clear();
          (r.code === ExitCode.Ok ? deps.stdout : deps.stderr).write(`${r.line}\n`);
        },
      },
    );
    const codes = results.map((r) => r.code);
    return worstCode(codes);
  } finally {
    progress.stop();
    dl.cancel();
  }
}
