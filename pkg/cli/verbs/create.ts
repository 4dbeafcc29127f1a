// `jobctl create job NAME --from=cronjob/X [--dry-run=client|server] [-o FORMAT]`:
// runs a CronJob now, as kubectl's `create job --from`. The Job is the
// CronJob's jobTemplate under the given name, controlled by the CronJob (its
// concurrencyPolicy and history limits count it; deleting the CronJob deletes
// it) and annotated `jobctl.dev/cronjob-scheduled-at: manual`.
import { defaultKinds } from '../../store/kinds.js';
import { jobFromCronJob, type CronJob, type Resource } from '../../store/types.js';
import { ExitCode, UsageError } from '../errors.js';
import {
  OBJECT_FORMATS,
  formatObjects,
  parseOutputFormat,
  qualifiedName,
} from '../printers/printer.js';
import { defineVerb, type VerbGroup } from '../command.js';
import { clientOf, commonOptions, type CommonOptions, type VerbDeps } from './deps.js';

export interface CreateJobOptions extends CommonOptions {
  readonly name: string;
  /** "cronjob/NAME" (also cronjobs/, cj/, cronjob.jobctl.dev/). */
  readonly from?: string;
  readonly dryRun?: string;
  readonly output?: string;
}

const createJobVerb = defineVerb({
  name: 'job',
  describe: 'Create a Job from a CronJob now: jobctl create job NAME --from=cronjob/X',
  positionals: [{ name: 'name', required: true }],
  flags: {
    from: { type: 'string', describe: 'the CronJob whose jobTemplate to run: cronjob/NAME' },
    'dry-run': { type: 'string', describe: 'client|server' },
  },
  toOptions: (a, conn): CreateJobOptions => ({
    ...commonOptions(a, conn),
    name: a.name,
    from: a.from,
    dryRun: a.dryRun,
    output: a.output,
  }),
  validate(opts) {
    if (opts.from === undefined)
      throw new UsageError('required flag "from" not set (--from=cronjob/NAME)');
    cronJobNameOf(opts.from);
  },
  run: runCreateJob,
});

export const createCommand: VerbGroup = {
  name: 'create',
  describe: 'Create a resource imperatively (create job NAME --from=cronjob/X)',
  subcommands: [createJobVerb],
};

/** "cronjob/report" → "report"; anything but a CronJob is a usage error. */
export function cronJobNameOf(from: string): string {
  const slash = from.indexOf('/');
  const kind = slash > 0 ? defaultKinds.resolve(from.slice(0, slash)) : undefined;
  const name = from.slice(slash + 1);
  if (kind?.kind !== 'CronJob' || name === '' || name.includes('/')) {
    throw new UsageError(`--from must be cronjob/NAME (got "${from}")`);
  }
  return name;
}

export async function runCreateJob(opts: CreateJobOptions, deps: VerbDeps): Promise<number> {
  const format = parseOutputFormat(opts.output, OBJECT_FORMATS);
  const { parseDryRun, dryRunSuffix } = await import('./apply.js');
  const dryRun = parseDryRun(opts.dryRun);
  const client = await clientOf(deps);
  const cronJob: CronJob = await client.get(
    'CronJob',
    opts.namespace,
    cronJobNameOf(opts.from ?? ''),
  );
  const input = jobFromCronJob(cronJob, opts.name, 'manual');
  // A client-side dry run prints the Job as built here: no uid or
  // resourceVersion yet, which is what the printers expect of a manifest.
  let object: Resource = input as unknown as Resource;
  if (dryRun === 'server') object = (await client.apply(input, { dryRun: 'server' })).object;
  else if (dryRun !== 'client') object = await client.create(input);
  if (format === 'table' || format === 'wide') {
    const info = defaultKinds.get('Job')!;
    deps.stdout.write(`${qualifiedName(info, opts.name)} created${dryRunSuffix(dryRun)}\n`);
  } else {
    deps.stdout.write(
      await formatObjects(format, () => defaultKinds.get('Job')!, [object], { single: true }),
    );
  }
  return ExitCode.Ok;
}
