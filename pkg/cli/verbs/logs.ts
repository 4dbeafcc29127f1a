// `jobctl logs job/NAME|run/NAME [-f] [--tail N]`: a Run's output, raw bytes
// to stdout. job/NAME means the Job's latest Run (highest attempt). Any node
// serves it (fetched from the node that executed the Run); -f streams until
// the Run has ended. Errors are one line: `error: job "x" has no runs yet`,
// `Error from server (NotFound): jobs "x" not found`.
//
// When the node that executed a finished Run is down, the output comes from
// the copy another node keeps, and one line on stderr says so. With -f, a
// server that goes away mid-stream is left for another one, which goes on at
// the first byte not yet printed (the client resumes by offset).
import { logsClientOf } from './services.js';
import type { LogStreamInfo } from '../../client/index.js';
import type { Resource } from '../../store/types.js';
import { ExitCode, UsageError } from '../errors.js';
import { parseRef } from '../resource/refs.js';
import { defineVerb } from '../command.js';
import { clientOf, commonOptions, type CommonOptions, type VerbDeps } from './deps.js';

export interface LogsOptions extends CommonOptions {
  /** job/NAME, run/NAME, or a bare NAME (a Job). */
  readonly ref: string;
  readonly follow?: boolean;
  /** Last N lines; undefined or negative: everything kept. */
  readonly tail?: number;
}

export const logsVerb = defineVerb({
  name: 'logs',
  describe: "Print a Run's output: job/NAME (its latest Run) or run/NAME",
  positionals: [{ name: 'ref', required: true, describe: 'job/NAME | run/NAME' }],
  flags: {
    follow: { type: 'boolean', alias: 'f', describe: 'stream the output until the Run ends' },
    tail: { type: 'number', describe: 'only the last N lines (then, with -f, everything new)' },
  },
  toOptions: (a, conn): LogsOptions => ({
    ...commonOptions(a, conn),
    ref: a.ref,
    follow: a.follow === true,
    tail: a.tail,
  }),
  run: runLogs,
});

interface RunLike extends Resource {
  spec: { attempt?: number; jobName?: string };
}

export async function runLogs(opts: LogsOptions, deps: VerbDeps): Promise<number> {
  const ref = parseRef(opts.ref, 'job');
  const kind = ref.info.kind;
  if (kind !== 'Job' && kind !== 'Run') {
    throw new UsageError(`logs: expected job/NAME or run/NAME, got "${opts.ref}"`);
  }
  if (opts.tail !== undefined && !Number.isInteger(opts.tail)) {
    throw new UsageError('--tail must be an integer');
  }
  const client = await clientOf(deps);
  const logs = logsClientOf(client);
  if (!logs) throw new Error('this client cannot fetch logs');

  // Resolve job/NAME here, so the errors say what is missing in the user's terms.
  let run: string;
  let runUid: string | undefined;
  if (kind === 'Job') {
    await client.get('Job', opts.namespace, ref.name); // NotFound: jobs "x" not found
    const { items } = await client.list('Run', {
      namespace: opts.namespace,
      fieldSelector: `spec.jobName=${ref.name}`,
    });
    const latest = latestOf(items);
    if (!latest) throw new Error(`job "${ref.name}" has no runs yet`);
    run = latest.metadata.name;
    runUid = latest.metadata.uid;
  } else {
    run = ref.name;
  }

  const tail = opts.tail !== undefined && opts.tail >= 0 ? opts.tail : undefined;
  const said = new Set<string>();
  const onInfo = (info: LogStreamInfo): void => {
    const line = noticeOf(info);
    if (line && !said.has(line)) {
      said.add(line);
      deps.stderr.write(`${line}\n`);
    }
  };
  for await (const chunk of logs.logs({
    namespace: opts.namespace,
    run,
    ...(runUid ? { runUid } : {}),
    ...(tail !== undefined ? { tail } : {}),
    follow: opts.follow === true,
    onInfo,
    ...(deps.signal ? { signal: deps.signal } : {}),
  })) {
    // Raw bytes: process.stdout takes Buffers; string sinks (tests) get text.
    deps.stdout.write(chunk);
  }
  return ExitCode.Ok;
}

/** What the user should know about where the output comes from (one stderr line), if anything. */
export function noticeOf(info: LogStreamInfo): string | undefined {
  if (info.skipped) {
    return `jobctl: ${info.skipped} bytes of output were no longer kept when the stream resumed`;
  }
  const copy = info.copy;
  if (!copy) return undefined;
  const down = copy.unreachableNode
    ? `node ${copy.unreachableNode} is unreachable`
    : 'the node that ran it is unreachable';
  return `jobctl: ${down}; showing the copy kept on ${copy.node} (saved when the run finished)`;
}

/** The Run with the highest attempt (then the newest). */
function latestOf(runs: readonly RunLike[]): RunLike | undefined {
  let best: RunLike | undefined;
  for (const r of runs) {
    const a = r.spec.attempt ?? 0;
    const b = best?.spec.attempt ?? 0;
    if (
      !best ||
      a > b ||
      (a === b && (r.metadata.creationTimestamp ?? '') > (best.metadata.creationTimestamp ?? ''))
    ) {
      best = r;
    }
  }
  return best;
}
