// `jobctl delete KIND NAME... | KIND -l SEL | -f FILE [--wait] [--timeout]`:
// deletes (cascading to the Job's Runs, whose containers the agents stop) and
// prints `job.jobctl.dev "x" deleted`. A missing object is reported in
// kubectl's words and the others are still deleted; the exit code is then 1.
import type { ResourceClient } from '../../client/index.js';
import type { Resource } from '../../store/types.js';
import { ExitCode, UsageError, describeError } from '../errors.js';
import { qualifiedKind } from '../printers/printer.js';
import { defineVerb } from '../command.js';
import { buildObjects, filenameFlags } from '../resource/builder.js';
import { namespaceFor, resolveKind, type Ref } from '../resource/refs.js';
import { clientOf, commonOptions, type CommonOptions, type VerbDeps } from './deps.js';

export interface DeleteOptions extends CommonOptions {
  readonly kind?: string;
  readonly names?: readonly string[];
  readonly filenames?: readonly string[];
  readonly recursive?: boolean;
  readonly selector?: string;
  /** Wait until each object is gone. */
  readonly wait?: boolean;
  /** With --wait: "60s" (default), "0" for no limit. */
  readonly timeout?: string;
  readonly dryRun?: string;
}

export const deleteVerb = defineVerb({
  name: 'delete',
  describe: 'Delete resources by name, label selector or file (stops running containers)',
  positionals: [{ name: 'kind' }, { name: 'names', array: true }],
  flags: {
    ...filenameFlags,
    selector: { type: 'string', alias: 'l', describe: 'delete everything matching' },
    wait: { type: 'boolean', describe: 'wait until the objects are gone' },
    timeout: { type: 'string', describe: 'with --wait: how long (default 60s; 0 = no limit)' },
    'dry-run': { type: 'string', describe: 'client|server' },
  },
  toOptions: (a, conn): DeleteOptions => ({
    ...commonOptions(a, conn),
    kind: a.kind,
    names: a.names,
    filenames: a.filename,
    recursive: a.recursive === true,
    selector: a.selector,
    wait: a.wait === true,
    timeout: a.timeout,
    dryRun: a.dryRun,
  }),
  run: runDelete,
});

interface Target extends Ref {
  readonly namespace: string;
}

async function targets(
  opts: DeleteOptions,
  client: ResourceClient,
  deps: VerbDeps,
): Promise<{ targets: Target[]; errors: string[] }> {
  const names = opts.names ?? [];
  const files = opts.filenames ?? [];
  if (files.length > 0) {
    if (opts.kind || names.length > 0) {
      throw new UsageError('when paths are given (-f), no resource type or names may be given');
    }
    const built = await buildObjects({
      filenames: files,
      recursive: opts.recursive,
      readStdin: deps.readStdin,
      namespace: opts.namespace,
      namespaceExplicit: opts.namespaceExplicit,
      validate: false,
      verb: 'delete',
    });
    return {
      targets: built.infos.map((i) => ({ info: i.info, name: i.name, namespace: i.namespace })),
      errors: built.errors,
    };
  }
  if (!opts.kind) {
    throw new UsageError('You must provide one or more resources by argument or filename.');
  }
  // kubectl also takes "job/a job/b".
  const info = resolveKind(opts.kind.includes('/') ? opts.kind.split('/')[0]! : opts.kind);
  const all = opts.kind.includes('/') ? [opts.kind.split('/')[1]!, ...names] : names;
  const ns = namespaceFor(info, opts.namespace);
  if (opts.selector) {
    if (all.length > 0)
      throw new UsageError('name cannot be provided when a selector is specified');
    const list = await client.list(info.kind, { namespace: ns, labelSelector: opts.selector });
    if (list.items.length === 0) deps.stderr.write(`No resources found\n`);
    return {
      targets: list.items.map((o) => ({
        info,
        name: o.metadata.name,
        namespace: o.metadata.namespace,
      })),
      errors: [],
    };
  }
  if (all.length === 0) {
    throw new UsageError(`resource(s) were provided, but no name was specified`);
  }
  return { targets: all.map((name) => ({ info, name, namespace: ns })), errors: [] };
}

export async function runDelete(opts: DeleteOptions, deps: VerbDeps): Promise<number> {
  const { parseDryRun, dryRunSuffix } = await import('./apply.js');
  const dryRun = parseDryRun(opts.dryRun);
  const client = await clientOf(deps);
  const found = await targets(opts, client, deps);
  if (found.errors.length > 0) {
    for (const line of found.errors) deps.stderr.write(`${line}\n`);
    return ExitCode.Failed;
  }
  let code: number = ExitCode.Ok;
  const deleted: { target: Target; object: Resource }[] = [];
  for (const t of found.targets) {
    try {
      const object =
        dryRun === 'client'
          ? await client.get(t.info.kind, t.namespace, t.name)
          : await client.delete(
              t.info.kind,
              t.namespace,
              t.name,
              dryRun === 'server' ? { dryRun: 'server' } : {},
            );
      deps.stdout.write(`${qualifiedKind(t.info)} "${t.name}" deleted${dryRunSuffix(dryRun)}\n`);
      deleted.push({ target: t, object });
    } catch (err) {
      const d = describeError(err);
      deps.stderr.write(`${d.line}\n`);
      if (d.code !== ExitCode.Failed) return d.code;
      code = ExitCode.Failed;
    }
  }
  if (opts.wait && dryRun === 'none' && deleted.length > 0) {
    const { deadline, follow, parseTimeout } = await import('./wait.js');
    const dl = deadline(deps.clock, parseTimeout(opts.timeout, 60_000), deps.signal);
    try {
      for (const { target, object } of deleted) {
        const r = await follow(
          client,
          target.info.kind,
          target.namespace,
          target.name,
          () => false,
          dl.signal,
          {
            uid: object.metadata.uid,
            notFoundIsDeleted: true,
          },
        );
        if (r.kind !== 'deleted') {
          deps.stderr.write(
            `error: timed out waiting for the condition on ${target.info.plural}/${target.name}\n`,
          );
          return dl.timedOut() ? ExitCode.WaitTimeout : ExitCode.Failed;
        }
      }
    } finally {
      dl.cancel();
    }
  }
  return code;
}
