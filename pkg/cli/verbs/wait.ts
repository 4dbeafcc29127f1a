// `jobctl wait job/NAME... --for=condition=Complete|Failed | --for=finished |
// --for=delete [--timeout=60s]`. Reads the Job, then follows its watch from
// that revision (no polling) until the condition holds. Exit codes
// (DESIGN.md §4): 0 met, 4 the waited-for Job failed, 5 timed out, 1 errors.
// Also the engine behind `apply --wait` and `delete --wait`.
import type { ResourceClient } from '../../client/index.js';
import type { Job, Resource } from '../../store/types.js';
import type { Clock } from '../../util/clock.js';
import { JobctlError, Reason, isReason } from '../../util/errors.js';
import { ExitCode, UsageError } from '../errors.js';
import { parseDuration } from '../../util/duration.js';
import { qualifiedName } from '../printers/printer.js';
import { failureText, jobFinished } from '../resource/job-outcome.js';
import { namespaceFor, parseRef, type Ref } from '../resource/refs.js';
import { defineVerb } from '../command.js';
import { clientOf, commonOptions, type CommonOptions, type VerbDeps } from './deps.js';

export interface WaitOptions extends CommonOptions {
  /** job/NAME (or NAME, meaning a Job). */
  readonly refs: readonly string[];
  /** condition=Complete | condition=Failed | finished | condition=finished | delete */
  readonly for: string;
  /** "60s", "2m", "0" (no limit); default 60s. */
  readonly timeout?: string;
}

export const waitVerb = defineVerb({
  name: 'wait',
  describe: 'Wait for job/NAME to meet a condition (exit 4 if it failed, 5 on timeout)',
  positionals: [{ name: 'refs', required: true, array: true, describe: 'job/NAME ...' }],
  flags: {
    for: {
      type: 'string',
      demandOption: true,
      describe: 'condition=Complete | condition=Failed | finished | delete',
    },
    timeout: { type: 'string', default: '60s', describe: 'give up after (0 = no limit)' },
  },
  toOptions: (a, conn): WaitOptions => ({
    ...commonOptions(a, conn),
    refs: a.refs,
    for: String(a.for),
    timeout: a.timeout,
  }),
  run: runWait,
});

export type WaitFor = 'Complete' | 'Failed' | 'finished' | 'delete';

export function parseWaitFor(value: string): WaitFor {
  const v = value.trim();
  const m = /^condition=(\w+)$/i.exec(v);
  const cond = m ? m[1]?.toLowerCase() : v.toLowerCase();
  if (cond === 'complete') return 'Complete';
  if (cond === 'failed') return 'Failed';
  if (cond === 'finished') return 'finished';
  if (v.toLowerCase() === 'delete') return 'delete';
  throw new UsageError(
    `unrecognized condition: "${value}" (use --for=condition=Complete, --for=condition=Failed, --for=finished or --for=delete)`,
  );
}

/** Milliseconds for a --timeout value; 0 = no limit. */
export function parseTimeout(
  value: string | undefined,
  fallbackMs: number,
  flag = '--timeout',
): number {
  if (value === undefined || value === '') return fallbackMs;
  const ms = parseDuration(value);
  if (ms === undefined || ms < 0) {
    throw new UsageError(`invalid ${flag} "${value}": use a duration such as 30s, 5m or 1h`);
  }
  return ms;
}

/** An AbortSignal that fires after `ms` on `clock` (never when ms is 0), and its cleanup. */
export function deadline(
  clock: Clock,
  ms: number,
  parent?: AbortSignal,
): {
  signal: AbortSignal;
  timedOut: () => boolean;
  cancel: () => void;
} {
  const ac = new AbortController();
  let fired = false;
  const timer =
    ms > 0
      ? clock.setTimer(ms, () => {
          fired = true;
          ac.abort();
        })
      : undefined;
  const onParent = (): void => ac.abort();
  parent?.addEventListener('abort', onParent, { once: true });
  if (parent?.aborted) ac.abort();
  return {
    signal: ac.signal,
    timedOut: () => fired,
    cancel: () => {
      timer?.cancel();
      parent?.removeEventListener('abort', onParent);
    },
  };
}

/** What following one object ended with. */
export type Followed<T> =
  | { readonly kind: 'done'; readonly object: T }
  | { readonly kind: 'deleted' }
  | { readonly kind: 'aborted' };

/**
 * Reads an object, then follows its watch until `done(object)` holds, the
 * object is deleted, or `signal` aborts. A watch that ends or gets Gone is
 * resumed from a fresh read. NotFound at the start is thrown.
 */
export async function follow<T extends Resource>(
  client: ResourceClient,
  kind: string,
  namespace: string,
  name: string,
  done: (o: T) => boolean,
  signal: AbortSignal,
  opts: { uid?: string; notFoundIsDeleted?: boolean } = {},
): Promise<Followed<T>> {
  let first = true;
  while (!signal.aborted) {
    let current: T;
    try {
      current = (await client.get(kind, namespace, name)) as T;
    } catch (err) {
      if (isReason(err, Reason.NotFound) && (!first || opts.notFoundIsDeleted)) {
        return { kind: 'deleted' };
      }
      throw err;
    }
    first = false;
    if (opts.uid && current.metadata.uid !== opts.uid) return { kind: 'deleted' };
    if (done(current)) return { kind: 'done', object: current };
    try {
      for await (const ev of client.watch(kind, {
        namespace,
        fieldSelector: `metadata.name=${name}`,
        resourceVersion: current.metadata.resourceVersion,
        signal,
      })) {
        if (ev.type === 'DELETED') return { kind: 'deleted' };
        const o = ev.object as T;
        if (opts.uid && o.metadata.uid !== opts.uid) return { kind: 'deleted' };
        if (done(o)) return { kind: 'done', object: o };
      }
    } catch (err) {
      if (!(err instanceof JobctlError && err.reason === Reason.Gone)) throw err;
    }
  }
  return { kind: 'aborted' };
}

export interface JobWaitResult {
  readonly code: ExitCode;
  /** Line for stdout on success, or for stderr on failure. */
  readonly line: string;
}

/** Waits for one Job; the exit code and the line to print. Throws NotFound etc. */
export async function waitForJob(
  client: ResourceClient,
  ref: Ref,
  namespace: string,
  waitFor: WaitFor,
  signal: AbortSignal,
  timedOut: () => boolean,
  /** Every state of the Job seen while waiting (the progress line). */
  onUpdate?: (job: Job) => void,
): Promise<JobWaitResult> {
  const ns = namespaceFor(ref.info, namespace);
  const display = qualifiedName(ref.info, ref.name);
  const timeoutLine = `error: timed out waiting for the condition on ${ref.info.plural}/${ref.name}`;
  if (waitFor === 'delete') {
    const r = await follow(client, ref.info.kind, ns, ref.name, () => false, signal, {
      notFoundIsDeleted: true,
    });
    if (r.kind === 'deleted') return { code: ExitCode.Ok, line: `${display} condition met` };
    return { code: timedOut() ? ExitCode.WaitTimeout : ExitCode.Failed, line: timeoutLine };
  }
  if (ref.info.kind !== 'Job') {
    throw new UsageError(`--for=${waitFor} applies to jobs, not ${ref.info.plural}`);
  }
  const r = await follow<Job & Resource>(
    client,
    'Job',
    ns,
    ref.name,
    (j) => {
      onUpdate?.(j as Job);
      return jobFinished(j as Job) !== undefined;
    },
    signal,
  );
  if (r.kind === 'aborted') {
    return { code: timedOut() ? ExitCode.WaitTimeout : ExitCode.Failed, line: timeoutLine };
  }
  if (r.kind === 'deleted') {
    return {
      code: ExitCode.Failed,
      line: `error: ${ref.info.plural} "${ref.name}" was deleted while waiting for the condition`,
    };
  }
  const job = r.object as Job;
  const ended = jobFinished(job);
  if (waitFor === 'Failed') {
    if (ended === 'Failed') return { code: ExitCode.Ok, line: `${display} condition met` };
    return {
      code: ExitCode.Failed,
      line: `error: ${display} completed; condition Failed will never be met`,
    };
  }
  if (ended === 'Failed') {
    return { code: ExitCode.WaitFailed, line: `error: ${display} failed: ${failureText(job)}` };
  }
  return {
    code: ExitCode.Ok,
    line: waitFor === 'finished' ? `${display} succeeded` : `${display} condition met`,
  };
}

/** The worst of several exit codes (timeout > failed job > error > ok). */
export function worstCode(codes: readonly number[]): number {
  const rank = (c: number): number =>
    c === ExitCode.WaitTimeout ? 4 : c === ExitCode.WaitFailed ? 3 : c === 0 ? 0 : 2;
  return codes.reduce((a, b) => (rank(b) > rank(a) ? b : a), 0);
}

export async function runWait(opts: WaitOptions, deps: VerbDeps): Promise<number> {
  if (opts.refs.length === 0) {
    throw new UsageError('resource(s) were provided, but no name was specified (e.g. job/hello)');
  }
  const refs = opts.refs.map((r) => parseRef(r, 'job'));
  const waitFor = parseWaitFor(opts.for);
  const timeoutMs = parseTimeout(opts.timeout, 60_000);
  const client = await clientOf(deps);
  const dl = deadline(deps.clock, timeoutMs, deps.signal);
  const codes: number[] = [];
  const { startJobsProgress } = await import('./wait-progress.js');
  const waited = refs.map((r) => ({
    namespace: namespaceFor(r.info, opts.namespace),
    name: r.name,
  }));
  const progress = startJobsProgress(deps, client, waited, dl.signal);
  try {
    for (const ref of refs) {
      const r = await waitForJob(
        client,
        ref,
        opts.namespace,
        waitFor,
        dl.signal,
        dl.timedOut,
        (job) => progress.update(job),
      );
      progress.line.clear();
      (r.code === ExitCode.Ok ? deps.stdout : deps.stderr).write(`${r.line}\n`);
      codes.push(r.code);
      if (r.code === ExitCode.WaitTimeout) break;
    }
  } finally {
    progress.stop();
    dl.cancel();
  }
  return worstCode(codes);
}
