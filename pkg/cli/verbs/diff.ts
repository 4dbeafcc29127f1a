// `jobctl diff -f FILE|DIR|- [-R]`: what apply would change, as a unified
// diff of the live object against the server's dry-run result, both as YAML.
// Exit 0: no differences; 1: differences (kubectl's convention); errors as usual.
import type { ApplyResult, ResourceClient } from '../../client/index.js';
import { DRY_RUN_PLACEMENT_ANNOTATION, type Resource } from '../../store/types.js';
import { Reason, isReason } from '../../util/errors.js';
import { ExitCode } from '../errors.js';
import { unifiedDiff } from '../printers/diff.js';
import { toYaml } from '../printers/printer.js';
import { defineVerb } from '../command.js';
import { buildObjects, filenameFlags, validatedResource, type Info } from '../resource/builder.js';
import { clientOf, commonOptions, paletteOf, type CommonOptions, type VerbDeps } from './deps.js';

export interface DiffOptions extends CommonOptions {
  readonly filenames: readonly string[];
  readonly recursive?: boolean;
}

export const diffVerb = defineVerb({
  name: 'diff',
  describe: 'Show what apply would change (exit 0: none, 1: differences)',
  flags: filenameFlags,
  toOptions: (a, conn): DiffOptions => ({
    ...commonOptions(a, conn),
    filenames: a.filename,
    recursive: a.recursive === true,
  }),
  run: runDiff,
});

/**
 * Without the fields that change on every write or are placeholders in a dry
 * run, and without the server's note of where a dry-run Job would be placed
 * (an answer about now, not a change apply would make).
 */
function comparable(o: Resource | undefined, created: boolean): unknown {
  if (!o) return undefined;
  const { resourceVersion: _rv, annotations, ...meta } = o.metadata;
  const { [DRY_RUN_PLACEMENT_ANNOTATION]: _placement, ...kept } = annotations ?? {};
  const rest = Object.keys(kept).length > 0 ? { ...meta, annotations: kept } : meta;
  if (created) {
    const { uid: _uid, creationTimestamp: _ts, ...fresh } = rest;
    return { ...o, metadata: fresh };
  }
  return { ...o, metadata: rest };
}

async function live(client: ResourceClient, item: Info): Promise<Resource | undefined> {
  try {
    return await client.get(item.info.kind, item.namespace, item.name);
  } catch (err) {
    if (isReason(err, Reason.NotFound)) return undefined;
    throw err;
  }
}

/** The server's dry run; a change needing --force is shown as what --force would do. */
async function merged(client: ResourceClient, item: Info, deps: VerbDeps): Promise<ApplyResult> {
  const input = validatedResource(item.object);
  try {
    return await client.apply(input, { dryRun: 'server' });
  } catch (err) {
    if (!isReason(err, Reason.Invalid)) throw err;
    const forced = await client.apply(input, { dryRun: 'server', force: true });
    deps.stderr.write(`warning: ${(err as Error).message}\n`);
    return forced;
  }
}

export async function runDiff(opts: DiffOptions, deps: VerbDeps): Promise<number> {
  const built = await buildObjects({
    filenames: opts.filenames,
    recursive: opts.recursive,
    readStdin: deps.readStdin,
    namespace: opts.namespace,
    namespaceExplicit: opts.namespaceExplicit,
    validate: true,
    verb: 'diff',
  });
  if (built.errors.length > 0) {
    for (const line of built.errors) deps.stderr.write(`${line}\n`);
    return ExitCode.Failed;
  }
  const client = await clientOf(deps);
  const palette = await paletteOf(deps, opts.noColor);
  let differs = false;
  for (const item of built.infos) {
    const before = await live(client, item);
    const after = await merged(client, item, deps);
    const created = before === undefined;
    const a = before ? await toYaml(comparable(before, false)) : '';
    const b = await toYaml(comparable(after.object, created));
    const hunks = unifiedDiff(a, b);
    if (hunks.length === 0) continue;
    differs = true;
    const path = `${item.info.apiVersion.replace('/', '.')}.${item.info.kind}.${item.namespace ? `${item.namespace}.` : ''}${item.name}`;
    const lines = [`--- live/${path}`, `+++ merged/${path}`, ...hunks].map((l) =>
      l.startsWith('+') ? palette.added(l) : l.startsWith('-') ? palette.removed(l) : l,
    );
    deps.stdout.write(`${lines.join('\n')}\n`);
  }
  return differs ? 1 : ExitCode.Ok;
}
