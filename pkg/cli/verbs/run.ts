// `jobctl run NAME --image IMG [--env K=V]... [--completions N]
// [--parallelism N] [--backoff-limit N] [-l k=v,...] [--dry-run] [-o FORMAT]
// [--] [CMD ARGS...]`: the imperative shortcut that creates one Job. The
// manifest it builds is validated exactly as apply's would be.
import type { Resource } from '../../store/types.js';
import { API_VERSION } from '../../store/types.js';
import { defaultKinds } from '../../store/kinds.js';
import { JobctlError, Reason, isReason } from '../../util/errors.js';
import { ExitCode, UsageError } from '../errors.js';
import {
  OBJECT_FORMATS,
  formatObjects,
  parseOutputFormat,
  qualifiedName,
} from '../printers/printer.js';
import { defineVerb } from '../command.js';
import { validatedResource } from '../resource/builder.js';
import { clientOf, commonOptions, type CommonOptions, type VerbDeps } from './deps.js';

export interface RunOptions extends CommonOptions {
  readonly name: string;
  readonly image?: string;
  readonly command?: readonly string[];
  readonly env?: readonly string[];
  readonly labels?: string;
  readonly completions?: number;
  readonly parallelism?: number;
  readonly backoffLimit?: number;
  readonly dryRun?: string;
  readonly output?: string;
}

export const runJobVerb = defineVerb({
  name: 'run',
  describe: 'Create a Job running IMAGE: jobctl run NAME --image IMG [--] CMD...',
  positionals: [
    { name: 'name', required: true },
    { name: 'command', array: true },
  ],
  passThrough: true,
  flags: {
    image: { type: 'string', describe: 'container image' },
    env: { type: 'string', array: true, describe: 'NAME=VALUE (repeatable)' },
    completions: { type: 'number' },
    parallelism: { type: 'number' },
    'backoff-limit': { type: 'number' },
    labels: { type: 'string', alias: 'l', describe: 'labels: a=b,c=d' },
    'dry-run': { type: 'string', describe: 'client|server' },
  },
  toOptions: (a, conn): RunOptions => ({
    ...commonOptions(a, conn),
    name: a.name,
    image: a.image,
    command: [...a.command, ...a['--']],
    env: a.env,
    labels: a.labels,
    completions: a.completions,
    parallelism: a.parallelism,
    backoffLimit: a.backoffLimit,
    dryRun: a.dryRun,
    output: a.output,
  }),
  run: runRun,
});

/** "a=b,c=d" → {a: b, c: d}. */
export function parseLabels(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid label "${part}": expected KEY=VALUE`);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

function parseEnv(pairs: readonly string[] | undefined): { name: string; value: string }[] {
  return (pairs ?? []).map((p) => {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --env "${p}": expected NAME=VALUE`);
    return { name: p.slice(0, eq), value: p.slice(eq + 1) };
  });
}

/** The Job manifest the flags describe (before validation and defaults). */
export function jobManifest(opts: RunOptions): Record<string, unknown> {
  const spec: Record<string, unknown> = { image: opts.image };
  if (opts.command && opts.command.length > 0) spec.command = [...opts.command];
  const env = parseEnv(opts.env);
  if (env.length > 0) spec.env = env;
  if (opts.completions !== undefined) spec.completions = opts.completions;
  if (opts.parallelism !== undefined) spec.parallelism = opts.parallelism;
  if (opts.backoffLimit !== undefined) spec.backoffLimit = opts.backoffLimit;
  const labels = parseLabels(opts.labels);
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: {
      name: opts.name,
      namespace: opts.namespace,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    },
    spec,
  };
}

export async function runRun(opts: RunOptions, deps: VerbDeps): Promise<number> {
  if (!opts.name) throw new UsageError('NAME is required for run');
  if (!opts.image) throw new UsageError('required flag(s) "image" not set');
  const format = parseOutputFormat(opts.output, OBJECT_FORMATS);
  const { parseDryRun, dryRunSuffix } = await import('./apply.js');
  const dryRun = parseDryRun(opts.dryRun);
  const v = await import('../../api/validation/index.js');
  const result = v.validateManifest(jobManifest(opts), {
    source: 'run',
    namespace: opts.namespace,
  });
  if (!result.ok) {
    for (const line of v.formatValidationErrors(
      undefined,
      result.kind,
      result.name,
      result.errors,
    )) {
      deps.stderr.write(`error: ${line}\n`);
    }
    return ExitCode.Failed;
  }
  const input = validatedResource(result.object);
  const info = defaultKinds.get('Job')!;
  let object: Resource = input;
  if (dryRun !== 'client') {
    const client = await clientOf(deps);
    if (dryRun === 'server') {
      // run creates: an existing Job is an error even in a dry run.
      try {
        await client.get('job', opts.namespace, opts.name);
        throw new JobctlError(Reason.AlreadyExists, `jobs "${opts.name}" already exists`);
      } catch (err) {
        if (!isReason(err, Reason.NotFound)) throw err;
      }
      object = (await client.apply(input, { dryRun: 'server' })).object;
    } else {
      object = await client.create(input);
    }
  }
  if (format === 'table' || format === 'wide') {
    deps.stdout.write(`${qualifiedName(info, opts.name)} created${dryRunSuffix(dryRun)}\n`);
  } else {
    deps.stdout.write(await formatObjects(format, () => info, [object], { single: true }));
  }
  return ExitCode.Ok;
}
