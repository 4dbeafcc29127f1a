// `jobctl top nodes [NAME...]`: what each node offers and what is booked on
// it, like `kubectl top nodes` but from the scheduler's point of view (jobctl
// measures no live usage): allocated = the requests of the Runs bound to the
// node and not yet finished, out of its status.allocatable (else capacity).
// The same data as the dashboard's cluster page: Node objects plus Runs.
//
//   NAME     STATUS   CPU(alloc/cap)   CPU%   MEMORY(alloc/cap)   MEMORY%   RUNS(active/cap)   RUNS%
//   node-1   Ready    1500m/4          37%    768Mi/15953Mi       4%        3/16               18%
import {
  isFinalRunPhase,
  nodeAllocatable,
  nodeNotReady,
  runRequests,
  type Node,
  type Run,
} from '../../store/index.js';
import { UsageError } from '../errors.js';
import { ColumnTable } from '../printers/columns.js';
import { defineVerb } from '../command.js';
import { clientOf, commonOptions, paletteOf, type CommonOptions, type VerbDeps } from './deps.js';

export interface TopOptions extends CommonOptions {
  /** Only "nodes" (and its aliases) for now. */
  readonly kind: string;
  readonly names: readonly string[];
  /** json: one object per node with the raw numbers (millicores, bytes, runs). */
  readonly output?: string;
}

export const topVerb = defineVerb({
  name: 'top',
  describe: 'Allocated vs capacity of nodes: CPU, memory and Runs booked on each',
  positionals: [
    { name: 'kind', required: true, describe: 'nodes' },
    { name: 'names', array: true },
  ],
  toOptions: (a, conn): TopOptions => ({
    ...commonOptions(a, conn),
    kind: a.kind,
    names: a.names,
    output: a.output,
  }),
  run: runTop,
});

export interface NodeTop {
  readonly name: string;
  readonly status: string;
  /** Millicores. */
  readonly cpu: { readonly allocated: number; readonly capacity: number };
  /** Bytes. */
  readonly memory: { readonly allocated: number; readonly capacity: number };
  readonly runs: { readonly active: number; readonly capacity: number | undefined };
}

const MI = 1024 * 1024;

/** 1500 -> "1500m", 4000 -> "4". */
export function formatCpu(milli: number): string {
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}

/** Bytes in Mi, rounded (the unit Node capacity is reported in). */
export function formatMemory(bytes: number): string {
  return `${Math.round(bytes / MI)}Mi`;
}

/** "37%", or "<unknown>" when there is no capacity to compare with. */
export function percent(used: number, capacity: number | undefined): string {
  if (!capacity || capacity <= 0) return '<unknown>';
  return `${Math.round((used / capacity) * 100)}%`;
}

/** Per-node allocation from Node objects and Runs (pure: shared by tests). */
export function nodeTops(nodes: readonly Node[], runs: readonly Run[]): NodeTop[] {
  const byName = new Map<string, { cpu: number; memory: number; runs: number }>();
  for (const run of runs) {
    const node = run.spec.nodeName;
    if (!node || isFinalRunPhase(run.status?.phase)) continue;
    const req = runRequests(run);
    const u = byName.get(node) ?? { cpu: 0, memory: 0, runs: 0 };
    u.cpu += req.cpu;
    u.memory += req.memory;
    u.runs += 1;
    byName.set(node, u);
  }
  return [...nodes]
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
    .map((n) => {
      const allocatable = nodeAllocatable(n);
      const used = byName.get(n.metadata.name) ?? { cpu: 0, memory: 0, runs: 0 };
      const ready = nodeNotReady(n) === undefined ? 'Ready' : 'NotReady';
      return {
        name: n.metadata.name,
        status: n.spec?.unschedulable ? `${ready},SchedulingDisabled` : ready,
        cpu: { allocated: used.cpu, capacity: allocatable.cpu },
        memory: { allocated: used.memory, capacity: allocatable.memory },
        runs: { active: used.runs, capacity: allocatable.runs },
      };
    });
}

export async function runTop(opts: TopOptions, deps: VerbDeps): Promise<number> {
  if (!['nodes', 'node', 'no'].includes(opts.kind)) {
    throw new UsageError(`top supports nodes only, not "${opts.kind}" (e.g. jobctl top nodes)`);
  }
  if (opts.output !== undefined && opts.output !== 'json') {
    throw new UsageError(`unknown output format "${opts.output}" for top (use -o json)`);
  }
  const client = await clientOf(deps);
  const [nodes, runs] = await Promise.all([
    client.list('Node'),
    client.list('Run'), // every namespace
  ]);
  let items = nodes.items as Node[];
  if (opts.names.length > 0) {
    const missing = opts.names.filter((n) => !items.some((x) => x.metadata.name === n));
    if (missing.length > 0) {
      deps.stderr.write(`Error from server (NotFound): nodes "${missing[0]}" not found\n`);
      return 1;
    }
    items = items.filter((x) => opts.names.includes(x.metadata.name));
  }
  const tops = nodeTops(items, runs.items as Run[]);
  if (opts.output === 'json') {
    deps.stdout.write(`${JSON.stringify({ items: tops }, null, 2)}\n`);
    return 0;
  }
  if (tops.length === 0) {
    deps.stderr.write('No resources found\n');
    return 0;
  }
  const palette = await paletteOf(deps, opts.noColor);
  const table = new ColumnTable([
    'NAME',
    'STATUS',
    'CPU(alloc/cap)',
    'CPU%',
    'MEMORY(alloc/cap)',
    'MEMORY%',
    'RUNS(active/cap)',
    'RUNS%',
  ]);
  deps.stdout.write(
    table.render(
      tops.map((t) => [
        t.name,
        { text: t.status, paint: (x) => palette.phase(t.status.split(',')[0] ?? '', x) },
        `${formatCpu(t.cpu.allocated)}/${formatCpu(t.cpu.capacity)}`,
        percent(t.cpu.allocated, t.cpu.capacity),
        `${formatMemory(t.memory.allocated)}/${formatMemory(t.memory.capacity)}`,
        percent(t.memory.allocated, t.memory.capacity),
        `${t.runs.active}/${t.runs.capacity ?? '-'}`,
        percent(t.runs.active, t.runs.capacity),
      ]),
    ),
  );
  return 0;
}
