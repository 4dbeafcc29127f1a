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
import type { JobEnd } from './wait-jobs.js';

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

/** A Job (or, for --for=delete, any object) to wait for, resolved. */
export interface WaitTarget {
  readonly ref: Ref;
  readonly namespace: string;
  /** The object meant, when known (`delete --wait`): another uid under its name does not count. */
  readonly uid?: string;
}

/** The exit code and line for one object's wait, from how following it ended. */
export function waitResult(
  ref: Ref,
  waitFor: WaitFor,
  end: JobEnd,
  timedOut: () => boolean,
): JobWaitResult {
  const display = qualifiedName(ref.info, ref.name);
  const timeoutLine = `error: timed out waiting for the condition on ${ref.info.plural}/${ref.name}`;
  if (end.kind === 'aborted') {
    return { code: timedOut() ? ExitCode.WaitTimeout : ExitCode.Failed, line: timeoutLine };
  }
  if (waitFor === 'delete') {
    if (end.kind === 'done') return { code: ExitCode.Failed, line: timeoutLine };
    return { code: ExitCode.Ok, line: `${display} condition met` };
  }
  if (end.kind === 'notFound') {
    throw new JobctlError(Reason.NotFound, `${ref.info.plural} "${ref.name}" not found`);
  }
  if (end.kind === 'deleted') {
    return {
      code: ExitCode.Failed,
      line: `error: ${ref.info.plural} "${ref.name}" was deleted while waiting for the condition`,
    };
  }
  const job = end.job;
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

/**
 * Waits for every target: Jobs on one list and watch per namespace
 * (wait-jobs.ts), other kinds (only --for=delete) one by one. `onResult` is
 * called for each as soon as it is known; NotFound of a Job at the start is
 * thrown from there, as from a single wait. Resolves with every result in
 * the order given.
 */
export async function waitForTargets(
  client: ResourceClient,
  targets: readonly WaitTarget[],
  waitFor: WaitFor,
  signal: AbortSignal,
  timedOut: () => boolean,
  hooks: {
    readonly onUpdate?: (job: Job) => void;
    readonly onResult?: (index: number, result: JobWaitResult) => void;
  } = {},
): Promise<JobWaitResult[]> {
  const jobIdx: number[] = [];
  const otherIdx: number[] = [];
  for (const [i, t] of targets.entries()) {
    if (t.ref.info.kind === 'Job') jobIdx.push(i);
    else if (waitFor === 'delete') otherIdx.push(i);
    else throw new UsageError(`--for=${waitFor} applies to jobs, not ${t.ref.info.plural}`);
  }
  const { followJobs } = await import('./wait-jobs.js');
  const results: (JobWaitResult | undefined)[] = targets.map(() => undefined);
  // A Job missing at the start ends the whole wait at once, with that one error.
  let failure: unknown;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) stop.abort();
  const report = (i: number, end: JobEnd): void => {
    if (failure !== undefined) return;
    try {
      const r = waitResult((targets[i] as WaitTarget).ref, waitFor, end, timedOut);
      results[i] = r;
      hooks.onResult?.(i, r);
    } catch (err) {
      failure = err;
      stop.abort();
    }
  };
  const where = (i: number): { namespace: string; name: string; uid?: string } => {
    const t = targets[i] as WaitTarget;
    return {
      namespace: namespaceFor(t.ref.info, t.namespace),
      name: t.ref.name,
      ...(t.uid !== undefined ? { uid: t.uid } : {}),
    };
  };
  try {
    await Promise.all([
      followJobs(client, jobIdx.map(where), stop.signal, {
        forDelete: waitFor === 'delete',
        ...(hooks.onUpdate ? { onUpdate: hooks.onUpdate } : {}),
        onEnd: (j, end) => report(jobIdx[j] as number, end),
      }),
      ...otherIdx.map(async (i) => {
        const t = targets[i] as WaitTarget;
        const { namespace, name } = where(i);
        const r = await follow(client, t.ref.info.kind, namespace, name, () => false, stop.signal, {
          notFoundIsDeleted: true,
          ...(t.uid !== undefined ? { uid: t.uid } : {}),
        });
        // done(o) is never true here: --for=delete ends by deletion or not at all.
        report(i, { kind: r.kind === 'deleted' ? 'deleted' : 'aborted' });
      }),
    ]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure !== undefined) throw failure;
  return results.map((r) => r as JobWaitResult);
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
  const targets = refs.map((ref) => ({ ref, namespace: opts.namespace }));
  const { startJobsProgress } = await import('./wait-progress.js');
  const progress = startJobsProgress(
    deps,
    client,
    targets.map((t) => ({ namespace: namespaceFor(t.ref.info, t.namespace), name: t.ref.name })),
    dl.signal,
  );
  const out = inOrder(targets.length, (_i, r) => {
    progress.line.clear();
    (r.code === ExitCode.Ok ? deps.stdout : deps.stderr).write(`${r.line}\n`);
  });
  try {
    await waitForTargets(client, targets, waitFor, dl.signal, dl.timedOut, {
      onUpdate: (job) => progress.update(job),
      onResult: out.add,
    });
  } finally {
    progress.stop();
    dl.cancel();
  }
  return worstCode(out.codes);
}

/**
 * Prints the results of several waits in the order the objects were named,
 * each as soon as it and those before it are known, nothing after the first
 * timeout (as waiting one after the other would). `codes` are those printed.
 */
export function inOrder(
  count: number,
  print: (index: number, result: JobWaitResult) => void,
): { add: (index: number, result: JobWaitResult) => void; readonly codes: number[] } {
  const known: (JobWaitResult | undefined)[] = Array.from({ length: count }, () => undefined);
  const codes: number[] = [];
  let next = 0;
  let stopped = false;
  return {
    codes,
    add(index, result) {
      known[index] = result;
      while (!stopped && next < count && known[next] !== undefined) {
        const r = known[next] as JobWaitResult;
        print(next++, r);
        codes.push(r.code);
        if (r.code === ExitCode.WaitTimeout) stopped = true;
      }
    },
  };
}
