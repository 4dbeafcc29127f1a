// `jobctl get KIND [NAME...] [-l SEL] [-w] [--watch-only] [-A] [-o FORMAT]`:
// kubectl's get. Lists (in pages) or fetches by name, prints through the
// printer -o picks; -w then streams one line per change from the list's
// revision, so nothing between the list and the watch is missed.
// `get events [--for KIND/NAME]` lists Events sorted by when they last
// happened, optionally only those about one object (a field selector on
// spec.involvedObject).
import type { ResourceClient } from '../../client/index.js';
import type { KindInfo } from '../../store/kinds.js';
import { isFinalRunPhase, type Resource } from '../../store/types.js';
import type { WatchEvent } from '../../store/index.js';
import { JobctlError, Reason, isReason } from '../../util/errors.js';
import { UsageError } from '../errors.js';
import type { Palette } from '../printers/color.js';
import { ColumnTable } from '../printers/columns.js';
import { formatCustomColumns, parseCustomColumns } from '../printers/custom-columns.js';
import { executeJsonPath, parseTemplate } from '../printers/jsonpath.js';
import {
  formatObjects,
  listOf,
  parseOutputFormat,
  qualifiedName,
  templateOutput,
  type OutputFormat,
  type TemplateOutput,
} from '../printers/printer.js';
import { eventLastSeen } from '../../api/columns/index.js';
import {
  tableHeaders,
  tableRow,
  type RowContext,
  type TableShape,
} from '../printers/resource-columns.js';
import { namespaceFor, parseRef, resolveKind, type Ref } from '../resource/refs.js';
import { defineVerb } from '../command.js';
import { clientOf, commonOptions, paletteOf, type CommonOptions, type VerbDeps } from './deps.js';

export interface GetOptions extends CommonOptions {
  readonly kind: string;
  readonly names?: readonly string[];
  readonly selector?: string;
  readonly fieldSelector?: string;
  readonly allNamespaces?: boolean;
  readonly output?: string;
  readonly watch?: boolean;
  readonly watchOnly?: boolean;
  /** 'stale' reads the answering node's copy (DESIGN.md §3); default linearizable. */
  readonly consistency?: string;
  /** Page size when listing (default 500, as kubectl's --chunk-size). */
  readonly chunkSize?: number;
  /** Events only: those about this object, as KIND/NAME (job/hello, run/hello-0, node/n1). */
  readonly for?: string;
}

/** `get KIND [NAMES..]`: its flags, options and run (also read by the fast path, fast-get.ts). */
export const getVerb = defineVerb({
  name: 'get',
  describe: 'Display resources: jobs, runs, nodes, cronjobs, queues, events',
  positionals: [
    { name: 'kind', required: true, describe: 'jobs | runs | nodes | cronjobs | queues | events' },
    { name: 'names', array: true },
  ],
  flags: {
    selector: {
      type: 'string',
      alias: 'l',
      describe: 'label selector (a=b, a!=b, a in (x,y), !a)',
    },
    'field-selector': { type: 'string', describe: 'field selector (e.g. status.phase=Running)' },
    watch: {
      type: 'boolean',
      alias: 'w',
      describe: 'after listing, print changes as they happen',
    },
    'watch-only': { type: 'boolean', describe: 'print changes only, without the initial list' },
    consistency: {
      type: 'string',
      describe: "linearizable (default) | stale: read the answering node's copy",
    },
    'chunk-size': { type: 'number', describe: 'list page size (default 500)' },
    for: {
      type: 'string',
      describe: 'events only: those about KIND/NAME (job/hello, run/hello-0, node/node-1)',
    },
  },
  toOptions: (a, conn): GetOptions => ({
    ...commonOptions(a, conn),
    kind: a.kind,
    names: a.names,
    selector: a.selector,
    fieldSelector: a.fieldSelector,
    allNamespaces: a.allNamespaces === true,
    output: a.output,
    watch: a.watch === true,
    watchOnly: a.watchOnly === true,
    chunkSize: a.chunkSize,
    consistency: a.consistency,
    for: a.for,
  }),
  run: runGet,
});

/** Validated options with defaults resolved (kubectl's Complete + Validate). */
interface Plan {
  readonly info: KindInfo;
  readonly names: readonly string[];
  readonly format: OutputFormat | TemplateOutput['format'];
  /** The argument of -o jsonpath=... or custom-columns=... (parsed up front: bad ones fail early). */
  readonly template?: string;
  /** '' = all namespaces. */
  readonly namespace: string;
  readonly shape: TableShape;
  readonly watch: boolean;
  readonly watchOnly: boolean;
  /** The user's field selector, plus the --for filter on events. */
  readonly fieldSelector: string | undefined;
}

/** Events of cluster-scoped objects (Nodes) are kept in this namespace (pkg/events). */
const CLUSTER_EVENT_NAMESPACE = 'default';

/**
 * `--for KIND/NAME` as a field selector on the Event's involved object, and
 * the namespace its events live in (cluster-scoped objects' go to 'default').
 */
function forFilter(
  target: string,
  namespace: string,
): { fieldSelector: string; namespace: string } {
  const ref = parseRef(target);
  return {
    fieldSelector: `spec.involvedObject.kind=${ref.info.kind},spec.involvedObject.name=${ref.name}`,
    namespace: ref.info.namespaced ? namespace : CLUSTER_EVENT_NAMESPACE,
  };
}

/**
 * The kind and names: `get KIND [NAME...]`, or kubectl's `get KIND/NAME
 * [KIND/NAME...]` (one kind at a time here).
 */
function kindAndNames(opts: GetOptions): { info: KindInfo; names: readonly string[] } {
  if (!opts.kind.includes('/')) return { info: resolveKind(opts.kind), names: opts.names ?? [] };
  const refs = [opts.kind, ...(opts.names ?? [])].map((r) => parseRef(r));
  const info = (refs[0] as Ref).info;
  if (refs.some((r) => r.info !== info)) {
    throw new UsageError('KIND/NAME arguments must all name one kind (e.g. job/a job/b)');
  }
  return { info, names: refs.map((r) => r.name) };
}

function outputOf(value: string | undefined): Pick<Plan, 'format' | 'template'> {
  const template = templateOutput(value);
  if (!template) return { format: parseOutputFormat(value) };
  if (template.format === 'jsonpath') parseTemplate(template.template);
  else parseCustomColumns(template.template);
  return template;
}

function complete(opts: GetOptions): Plan {
  const { info, names } = kindAndNames(opts);
  if (opts.consistency && opts.consistency !== 'linearizable' && opts.consistency !== 'stale') {
    throw new UsageError(`--consistency must be linearizable or stale, not "${opts.consistency}"`);
  }
  const { format, template } = outputOf(opts.output);
  if (names.length > 0 && opts.selector) {
    throw new UsageError('name cannot be provided when a selector is specified');
  }
  const watch = opts.watch === true || opts.watchOnly === true;
  if (watch && names.length > 1) {
    throw new UsageError(
      `watch is only supported on individual resources and resource collections, but ${names.length} resources were found`,
    );
  }
  const all = opts.allNamespaces === true && info.namespaced;
  let namespace = all ? '' : namespaceFor(info, opts.namespace);
  let fieldSelector = opts.fieldSelector || undefined;
  if (opts.for !== undefined) {
    if (info.kind !== 'Event') throw new UsageError('--for can only be used with events');
    const f = forFilter(opts.for, namespace);
    if (!all) namespace = f.namespace;
    fieldSelector = [f.fieldSelector, fieldSelector].filter(Boolean).join(',');
  }
  return {
    info,
    names,
    format,
    ...(template !== undefined ? { template } : {}),
    namespace,
    shape: { wide: format === 'wide', withNamespace: all, withEvent: watch },
    watch,
    watchOnly: opts.watchOnly === true,
    fieldSelector,
  };
}

/** Runs get; returns the exit code. With -w it returns when deps.signal aborts. */
export async function runGet(opts: GetOptions, deps: VerbDeps): Promise<number> {
  const plan = complete(opts);
  const client = await clientOf(deps);
  const palette = await paletteOf(deps, opts.noColor);
  const listed = await fetch(client, plan, opts, deps);
  if (!plan.watch) {
    await print(plan, listed.items, listed.resourceVersion, client, palette, deps);
    return listed.missing ? 1 : 0;
  }
  return watchAndPrint(plan, opts, listed, client, palette, deps);
}

const consistency = (opts: GetOptions): { consistency?: 'stale' | 'linearizable' } =>
  opts.consistency === 'stale' ? { consistency: 'stale' } : {};

interface Fetched {
  readonly items: Resource[];
  readonly resourceVersion: string;
  /** Some named object was not found (already reported on stderr). */
  readonly missing: boolean;
}

async function fetch(
  client: ResourceClient,
  plan: Plan,
  opts: GetOptions,
  deps: VerbDeps,
): Promise<Fetched> {
  if (plan.names.length > 0) {
    const items: Resource[] = [];
    let missing = false;
    let rv = '0';
    for (const name of plan.names) {
      try {
        const o = await client.get(plan.info.kind, plan.namespace, name, consistency(opts));
        items.push(o);
        if (Number(o.metadata.resourceVersion) > Number(rv)) rv = o.metadata.resourceVersion;
      } catch (err) {
        if (!isReason(err, Reason.NotFound) || plan.watch) throw err;
        deps.stderr.write(`Error from server (NotFound): ${(err as Error).message}\n`);
        missing = true;
      }
    }
    return { items, resourceVersion: rv, missing };
  }
  const items: Resource[] = [];
  let resourceVersion = '';
  let cont: string | undefined;
  do {
    const page = await client.list(plan.info.kind, {
      namespace: plan.namespace,
      labelSelector: opts.selector,
      fieldSelector: plan.fieldSelector,
      ...consistency(opts),
      limit: opts.chunkSize ?? 500,
      continue: cont,
    });
    items.push(...page.items);
    if (!resourceVersion) resourceVersion = page.resourceVersion;
    cont = page.continue;
  } while (cont);
  if (plan.info.kind === 'Event') sortByLastSeen(items);
  return { items, resourceVersion, missing: false };
}

/** Events oldest first, by when they last happened (kubectl sorts them so too). */
function sortByLastSeen(items: Resource[]): void {
  const at = (o: Resource): number => Date.parse(eventLastSeen(o) ?? '') || 0;
  items.sort((a, b) => at(a) - at(b));
}

/** kubectl's empty-list message (on stderr). */
function noResources(plan: Plan): string {
  if (!plan.info.namespaced || plan.namespace === '') return 'No resources found\n';
  return `No resources found in ${plan.namespace} namespace.\n`;
}

async function rowContext(
  plan: Plan,
  client: ResourceClient,
  palette: Palette,
  deps: VerbDeps,
): Promise<RowContext> {
  const ctx: RowContext = { now: deps.clock.now(), palette };
  if (plan.info.kind !== 'Node') return ctx;
  // RUNS column: active Runs bound to each node (best effort).
  try {
    const runs = await client.list('Run', { consistency: 'stale' });
    const counts = new Map<string, number>();
    for (const r of runs.items) {
      const node = r.spec?.nodeName;
      if (node && !isFinalRunPhase(r.status?.phase)) {
        counts.set(node, (counts.get(node) ?? 0) + 1);
      }
    }
    return { ...ctx, activeRunsByNode: counts };
  } catch {
    return ctx;
  }
}

async function print(
  plan: Plan,
  items: readonly Resource[],
  resourceVersion: string,
  client: ResourceClient,
  palette: Palette,
  deps: VerbDeps,
): Promise<void> {
  const { format, info } = plan;
  if (format === 'json' || format === 'yaml') {
    // One named object prints alone; anything else as a List (even empty).
    const single = plan.names.length === 1 && items.length === 1;
    deps.stdout.write(await formatObjects(format, () => info, items, { single, resourceVersion }));
    return;
  }
  if (items.length === 0) {
    if (plan.names.length === 0) deps.stderr.write(noResources(plan));
    return;
  }
  if (format === 'name') {
    deps.stdout.write(await formatObjects('name', () => info, items, { single: false }));
    return;
  }
  if (format === 'jsonpath') {
    const single = plan.names.length === 1 && items.length === 1;
    const value = single ? items[0] : listOf(items, resourceVersion);
    deps.stdout.write(executeJsonPath(plan.template ?? '', value));
    return;
  }
  if (format === 'custom-columns') {
    deps.stdout.write(formatCustomColumns(parseCustomColumns(plan.template ?? ''), items));
    return;
  }
  const ctx = await rowContext(plan, client, palette, deps);
  const table = new ColumnTable(tableHeaders(info, plan.shape));
  deps.stdout.write(table.render(items.map((o) => tableRow(info, o, plan.shape, ctx))));
}

/** Column widths `get -w` starts with, whatever the first rows hold. */
const WATCH_MIN_WIDTHS: Readonly<Record<string, number>> = {
  NAME: 24,
  JOB: 24,
  NODE: 12,
  // A Job being deleted says Terminating (its DELETED event too, as kubectl's rows do).
  STATUS: 'Terminating'.length,
};

/** Prints the initial list (unless --watch-only), then one line per event until aborted. */
async function watchAndPrint(
  plan: Plan,
  opts: GetOptions,
  listed: Fetched,
  client: ResourceClient,
  palette: Palette,
  deps: VerbDeps,
): Promise<number> {
  const { info, format, shape } = plan;
  // EVENT is as wide as its widest word. Names and phases get room to grow
  // (WATCH_MIN_WIDTHS), so later rows rarely overflow; when one does, a
  // terminal gets the header again at the new widths (pipes keep one header
  // for scripts, and that row is simply wider, as kubectl's).
  const table = new ColumnTable(tableHeaders(info, shape))
    .fit([['MODIFIED']])
    .reserve(WATCH_MIN_WIDTHS);
  let headerShown = false;
  const emit = async (type: string, o: Resource): Promise<void> => {
    if (format === 'json') {
      deps.stdout.write(`${JSON.stringify({ type, object: o })}\n`);
    } else if (format === 'yaml') {
      const { toYaml } = await import('../printers/printer.js');
      deps.stdout.write(`---\n${await toYaml({ type, object: o })}`);
    } else if (format === 'name') {
      deps.stdout.write(`${qualifiedName(info, o.metadata.name)}\n`);
    } else if (format === 'jsonpath') {
      deps.stdout.write(executeJsonPath(plan.template ?? '', o));
    } else if (format === 'custom-columns') {
      const columns = parseCustomColumns(plan.template ?? '');
      const text = formatCustomColumns(columns, [o]);
      deps.stdout.write(headerShown ? text.slice(text.indexOf('\n') + 1) : text);
      headerShown = true;
    } else {
      const ctx = await rowContext(plan, client, palette, deps);
      const row = tableRow(info, o, shape, ctx, type);
      if (!headerShown || (deps.isTTY && table.overflows(row))) {
        table.fit([row]);
        deps.stdout.write(`${table.header()}\n`);
        headerShown = true;
      }
      deps.stdout.write(`${table.line(row)}\n`);
    }
  };

  // What this watcher has shown, by namespace/name → resourceVersion, to
  // reconcile after a relist (Gone) without repeating or missing a change.
  const known = new Map<string, Resource>();
  const key = (o: Resource): string => `${o.metadata.namespace}/${o.metadata.name}`;
  if (!plan.watchOnly) {
    if (format === 'table' || format === 'wide') {
      const ctx = await rowContext(plan, client, palette, deps);
      table.fit(listed.items.map((o) => tableRow(info, o, shape, ctx, 'ADDED')));
    }
    for (const o of listed.items) await emit('ADDED', o);
  }
  for (const o of listed.items) known.set(key(o), o);

  const signal = deps.signal;
  let rv = listed.resourceVersion;
  const fieldSelector =
    plan.names.length === 1
      ? [`metadata.name=${plan.names[0]}`, plan.fieldSelector].filter(Boolean).join(',')
      : plan.fieldSelector;
  while (!signal?.aborted) {
    try {
      for await (const ev of client.watch(info.kind, {
        namespace: plan.namespace,
        labelSelector: opts.selector,
        fieldSelector,
        resourceVersion: rv,
        signal,
      }) as AsyncIterable<WatchEvent>) {
        rv = ev.object.metadata.resourceVersion;
        if (ev.type === 'DELETED') known.delete(key(ev.object));
        else known.set(key(ev.object), ev.object);
        await emit(ev.type, ev.object);
      }
      if (signal?.aborted) break;
    } catch (err) {
      if (!(err instanceof JobctlError && err.reason === Reason.Gone)) throw err;
      rv = await relist(plan, opts, client, known, emit);
    }
  }
  return 0;
}

/** After Gone: list again and emit what changed meanwhile; returns the new revision. */
async function relist(
  plan: Plan,
  opts: GetOptions,
  client: ResourceClient,
  known: Map<string, Resource>,
  emit: (type: string, o: Resource) => Promise<void>,
): Promise<string> {
  const page = await client.list(plan.info.kind, {
    namespace: plan.namespace,
    labelSelector: opts.selector,
    fieldSelector:
      plan.names.length === 1
        ? [`metadata.name=${plan.names[0]}`, plan.fieldSelector].filter(Boolean).join(',')
        : plan.fieldSelector,
  });
  const seen = new Set<string>();
  for (const o of page.items) {
    const k = `${o.metadata.namespace}/${o.metadata.name}`;
    seen.add(k);
    const before = known.get(k);
    if (!before) await emit('ADDED', o);
    else if (before.metadata.resourceVersion !== o.metadata.resourceVersion) {
      await emit('MODIFIED', o);
    }
    known.set(k, o);
  }
  for (const [k, o] of [...known]) {
    if (!seen.has(k)) {
      known.delete(k);
      await emit('DELETED', o);
    }
  }
  return page.resourceVersion;
}
