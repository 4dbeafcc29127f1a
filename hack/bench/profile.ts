// Summarises a V8 CPU profile (what BENCH_PROFILE=DIR / node --cpu-prof
// writes) so that "where does the time go" has one answer per profile:
//   node dist/hack/bench/profile.js FILE.cpuprofile... [--skip-ms N] [--last-ms N] [--until-ms N] [--top N]
// For each file: wall time covered, busy vs idle, garbage collection, the
// functions with the most self time, and the event-loop entry points (the
// outermost JavaScript frame of each sample: processImmediate = setImmediate
// callbacks, processTicksAndRejections = promise/nextTick continuations,
// listOnTimeout = timers, onStreamRead = socket reads, ...), which tells how
// the time is spread over the hops a request takes through the event loop.
// --skip-ms drops the first N ms (process start, election, warm-up); --last-ms
// keeps only the last N ms (e.g. the measured run, which ends just before the
// bench stops the nodes). Also listed: total (inclusive) time of jobctl's own
// functions (dist/pkg), which is where builtins such as JSON.parse/stringify,
// invisible as frames of their own, show up: in the function that called them.
// And busy time by component (COMPONENTS: the store's apply, informers, each
// controller, the agent, the runtime, the API, WAL, Raft ...): each busy sample
// counts for the first component in that list with a frame on its stack, so
// the components add up to the busy time. --until-ms N ends the window N ms
// after the profile's start (with --skip-ms: one phase of a bench run).
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** V8's pseudo-frames: not JavaScript, so not an entry point. */
const META = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

function label(f: CallFrame): string {
  if (META.has(f.functionName)) return f.functionName;
  const file = f.url ? f.url.replace(/^file:\/\/.*?\/(dist|node_modules)\//, '$1/') : '';
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

/**
 * The parts of a jobd a busy sample is charged to, in priority order: a sample
 * counts for the first one with a frame on its stack (so the store's apply
 * includes the watch dispatch it runs synchronously, and the agent includes
 * the runtime calls it awaits). `fn`, when given, must match the frame's function.
 */
export const COMPONENTS: readonly { name: string; url: RegExp; fn?: RegExp }[] = [
  { name: 'store apply (every replica)', url: /\/dist\/pkg\/store\/store\.js$/, fn: /^apply$/ },
  {
    name: 'informers and watch delivery',
    url: /\/dist\/pkg\/(reconcile\/informer|reconcile\/cache|client\/local|client\/watch-queue)\.js$/,
  },
  { name: 'job controller', url: /\/dist\/pkg\/controllers\/job\// },
  { name: 'scheduler', url: /\/dist\/pkg\/controllers\/scheduler\// },
  { name: 'other controllers', url: /\/dist\/pkg\/controllers\// },
  { name: 'event recorder', url: /\/dist\/pkg\/events\// },
  { name: 'log copies', url: /\/dist\/pkg\/(agent|node)\/log-copies\.js$/ },
  { name: 'agent', url: /\/dist\/pkg\/agent\// },
  { name: 'runtime', url: /\/dist\/pkg\/runtime\// },
  { name: 'API (handlers, admission, validation)', url: /\/dist\/pkg\/(api\/|transport\/api-)/ },
  { name: 'WAL and storage', url: /\/dist\/pkg\/raft\/storage\// },
  { name: 'Raft transport', url: /\/dist\/pkg\/transport\/(grpc-raft|raft-message|gen\/raft)/ },
  { name: 'Raft core and node loop', url: /\/dist\/pkg\/raft\// },
  { name: 'reconcile queues and workers', url: /\/dist\/pkg\/reconcile\// },
  {
    name: 'metrics and logging',
    url: /(\/dist\/pkg\/node\/(metrics|logger)\.js$|\/node_modules\/(prom-client|pino|sonic-boom)\/)/,
  },
  { name: 'other jobctl', url: /\/dist\/pkg\// },
  // Continuations that run without a jobctl frame below them.
  {
    name: 'gRPC and HTTP/2 (no jobctl frame)',
    url: /(\/node_modules\/@grpc\/|^node:internal\/http2\/)/,
  },
  { name: 'file system callbacks (no jobctl frame)', url: /^node:(internal\/)?fs/ },
];

export interface ProfileSummary {
  readonly file: string;
  readonly wall_ms: number;
  readonly busy_ms: number;
  readonly idle_ms: number;
  readonly gc_ms: number;
  /** [label, ms] of the functions with the most self time (GC and "(program)" included). */
  readonly self: [string, number][];
  /** [label, ms] of busy time by outermost JavaScript frame. */
  readonly entries: [string, number][];
  /** [label, ms] of jobctl functions (dist/pkg) by inclusive time: themselves and what they call. */
  readonly total: [string, number][];
  /** [component, ms] of busy time (COMPONENTS; GC, "(program)" and "other" besides): adds up to busy_ms. */
  readonly components: [string, number][];
}

/** The component a busy sample's stack (leaf first) is charged to. */
function componentOf(stack: readonly CallFrame[]): string {
  const leaf = stack[0]?.functionName;
  if (leaf === '(garbage collector)' || leaf === '(program)') return leaf;
  for (const c of COMPONENTS) {
    if (stack.some((f) => c.url.test(f.url) && (!c.fn || c.fn.test(f.functionName)))) return c.name;
  }
  return 'other (no jobctl frame)';
}

export function summarise(
  file: string,
  opts: { skipMs?: number; lastMs?: number; untilMs?: number; top?: number } = {},
): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const totalMs = p.timeDeltas.reduce((a, b) => a + b, 0) / 1000;
  const from = Math.max(opts.skipMs ?? 0, opts.lastMs ? totalMs - opts.lastMs : 0);
  const until = opts.untilMs || Infinity;
  const top = opts.top ?? 20;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const rootId = p.nodes.find((n) => n.callFrame.functionName === '(root)')?.id;
  /** The outermost frame under (root) of a sample's stack. */
  const entryOf = (id: number): number => {
    let cur = id;
    for (;;) {
      const up = parent.get(cur);
      if (up === undefined || up === rootId) return cur;
      cur = up;
    }
  };
  const self = new Map<string, number>();
  const entries = new Map<string, number>();
  const total = new Map<string, number>();
  const components = new Map<string, number>();
  /** A sample's time counts once for every distinct jobctl function on its stack. */
  const addTotal = (id: number, dt: number): void => {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame?.url.includes('/dist/pkg/')) continue;
      const l = label(frame);
      if (seen.has(l)) continue;
      seen.add(l);
      total.set(l, (total.get(l) ?? 0) + dt);
    }
  };
  let t = 0;
  let wall = 0;
  let idle = 0;
  let gc = 0;
  // timeDeltas[i] is the time since the previous sample: it is spent in sample i - 1.
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    t += (p.timeDeltas[i] ?? 0) / 1000;
    if (t < from || t > until) continue;
    const node = byId.get(p.samples[i] as number);
    if (!node) continue;
    wall += dt;
    const name = node.callFrame.functionName;
    if (name === '(idle)') {
      idle += dt;
      continue;
    }
    if (name === '(garbage collector)') gc += dt;
    const l = label(node.callFrame);
    self.set(l, (self.get(l) ?? 0) + dt);
    const entry = byId.get(entryOf(node.id));
    const e = entry ? label(entry.callFrame) : '?';
    entries.set(e, (entries.get(e) ?? 0) + dt);
    addTotal(node.id, dt);
    const stack: CallFrame[] = [];
    for (let cur: number | undefined = node.id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (frame) stack.push(frame);
    }
    const c = componentOf(stack);
    components.set(c, (components.get(c) ?? 0) + dt);
  }
  const sorted = (m: Map<string, number>): [string, number][] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => [k, Math.round(v)]);
  return {
    file: basename(file),
    wall_ms: Math.round(wall),
    busy_ms: Math.round(wall - idle),
    idle_ms: Math.round(idle),
    gc_ms: Math.round(gc),
    self: sorted(self),
    entries: sorted(entries),
    total: sorted(total),
    components: [...components.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, Math.round(v)]),
  };
}

function print(s: ProfileSummary): void {
  const pct = (ms: number): string => `${((100 * ms) / Math.max(1, s.wall_ms)).toFixed(1)}%`;
  const out = [
    `${s.file}: ${s.wall_ms} ms, busy ${s.busy_ms} ms (${pct(s.busy_ms)}), ` +
      `idle ${s.idle_ms} ms, GC ${s.gc_ms} ms (${pct(s.gc_ms)})`,
    '  self time:',
    ...s.self.map(([l, ms]) => `    ${String(ms).padStart(7)} ms ${pct(ms).padStart(6)}  ${l}`),
    '  by event-loop entry (outermost frame):',
    ...s.entries.map(([l, ms]) => `    ${String(ms).padStart(7)} ms ${pct(ms).padStart(6)}  ${l}`),
    '  total (inclusive) time of jobctl functions:',
    ...s.total.map(([l, ms]) => `    ${String(ms).padStart(7)} ms ${pct(ms).padStart(6)}  ${l}`),
    '  busy time by component (share of busy):',
    ...s.components.map(
      ([l, ms]) =>
        `    ${String(ms).padStart(7)} ms ${`${((100 * ms) / Math.max(1, s.busy_ms)).toFixed(1)}%`.padStart(6)}  ${l}`,
    ),
  ];
  process.stdout.write(out.join('\n') + '\n');
}

function main(): void {
  const { values, positionals } = parseArgs({
    options: {
      'skip-ms': { type: 'string' },
      'last-ms': { type: 'string' },
      'until-ms': { type: 'string' },
      top: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    process.stderr.write(
      'usage: profile.js FILE.cpuprofile... [--skip-ms N] [--last-ms N] [--until-ms N] [--top N]\n',
    );
    process.exit(2);
  }
  for (const f of positionals) {
    print(
      summarise(f, {
        skipMs: Number(values['skip-ms'] ?? 0),
        lastMs: Number(values['last-ms'] ?? 0),
        untilMs: Number(values['until-ms'] ?? 0),
        top: Number(values.top ?? 20),
      }),
    );
  }
}

if (process.argv[1] && import.meta.url.endsWith(basename(process.argv[1]))) main();
