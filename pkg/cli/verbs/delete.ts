// `jobctl delete KIND NAME... | KIND -l SEL | -f FILE [--wait=true|false] [--timeout]`:
// deletes and, by default (kubectl's --wait=true), waits until each object is
// gone, then prints `job.jobctl.dev "x" deleted`. A Job whose Runs still run
// is first only marked (deletionTimestamp): the job controller stops its Runs
// (the agents kill the containers; a down node's Runs become Lost after the
// node grace period), then the Job and its Runs are removed (DESIGN §3).
// --wait=false prints at once and returns. A missing object is reported in
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
  /** Wait until each object is gone (default true). */
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
    wait: {
      type: 'boolean',
      default: true,
      describe: 'wait until the objects are gone (--wait=false: return at once)',
    },
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
    wait: a.wait !== false,
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
  const wait = opts.wait !== false && dryRun === 'none';
  // A bad --timeout is a usage error before anything is deleted.
  const timeoutMs = wait ? (await import('./wait.js')).parseTimeout(opts.timeout, 60_000) : 0;
  let code: number = ExitCode.Ok;
  const deleted: { target: Target; object: Resource }[] = [];
  const line = (t: Target): string =>
    `${qualifiedKind(t.info)} "${t.name}" deleted${dryRunSuffix(dryRun)}\n`;
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
      if (!wait) deps.stdout.write(line(t));
      deleted.push({ target: t, object });
    } catch (err) {
      const d = describeError(err);
      deps.stderr.write(`${d.line}\n`);
      if (d.code !== ExitCode.Failed) return d.code;
      code = ExitCode.Failed;
    }
  }
  if (wait && deleted.length > 0) {
    const waited = await waitUntilGone(client, deleted, timeoutMs, deps, line);
    if (waited !== ExitCode.Ok) return waited;
  }
  return code;
}

/** Waits (one watch per namespace for Jobs) until every deleted object is gone, printing each. */
async function waitUntilGone(
  client: ResourceClient,
  deleted: readonly { target: Target; object: Resource }[],
  timeoutMs: number,
  deps: VerbDeps,
  line: (t: Target) => string,
): Promise<number> {
  const { deadline, inOrder, waitForTargets, worstCode } = await import('./wait.js');
  const dl = deadline(deps.clock, timeoutMs, deps.signal);
  const out = inOrder(deleted.length, (i, r) => {
    const t = (deleted[i] as { target: Target }).target;
    if (r.code === ExitCode.Ok) deps.stdout.write(line(t));
    else deps.stderr.write(`${r.line}\n`);
  });
  try {
    await waitForTargets(
      client,
      deleted.map(({ target, object }) => ({
        ref: target,
        namespace: target.namespace,
        uid: object.metadata.uid,
      })),
      'delete',
      dl.signal,
      dl.timedOut,
      { onResult: out.add },
    );
  } finally {
    dl.cancel();
  }
  return worstCode(out.codes);
}
