// Following many Jobs at once for `wait` and `apply --wait`: one list and one
// watch per namespace, whatever the number of Jobs, instead of a get and a
// watch per Job (60 Jobs meant 60 watches and 60 abort listeners on one
// signal, and Node's MaxListenersExceededWarning). Each Job settles when the
// wait's condition holds for it, or it is deleted (or replaced: another uid
// under its name); a Job absent from the first list is NotFound, as `wait
// job/x` on a missing Job always was. A watch that ends or gets Gone is
// resumed from a fresh list.
import type { ResourceClient } from '../../client/index.js';
import type { Job } from '../../store/types.js';
import { JobctlError, Reason } from '../../util/errors.js';
import { jobFinished } from '../resource/job-outcome.js';

/** One waited-for Job. */
export interface JobKey {
  readonly namespace: string;
  readonly name: string;
  /** The Job meant (`delete`): another uid under the name is another Job. */
  readonly uid?: string;
}

/** How one Job's wait ended (before it is turned into a result line). */
export type JobEnd =
  | { readonly kind: 'done'; readonly job: Job }
  | { readonly kind: 'deleted' }
  | { readonly kind: 'notFound' }
  | { readonly kind: 'aborted' };

export interface FollowJobsOptions {
  /** Settles a Job that is deleted (true: `--for=delete`, the goal; else an end of its own). */
  readonly forDelete: boolean;
  /** Every state of a waited Job seen while waiting (progress). */
  readonly onUpdate?: (job: Job) => void;
  /** Called once per Job, as soon as it settles. */
  readonly onEnd?: (index: number, end: JobEnd) => void;
}

const keyOf = (namespace: string, name: string): string => `${namespace}/${name}`;

/**
 * Follows `jobs` until each has settled or `signal` aborts (then the rest end
 * 'aborted', onEnd included). Resolves with each Job's end, in the order given.
 */
export async function followJobs(
  client: ResourceClient,
  jobs: readonly JobKey[],
  signal: AbortSignal,
  opts: FollowJobsOptions,
): Promise<JobEnd[]> {
  const ends: (JobEnd | undefined)[] = jobs.map(() => undefined);
  const indexes = new Map<string, number[]>();
  for (const [i, j] of jobs.entries()) {
    const k = keyOf(j.namespace, j.name);
    indexes.set(k, [...(indexes.get(k) ?? []), i]);
  }
  /** The uid each Job had when first seen: another uid later means it was replaced. */
  const uids = new Map<string, string>();
  for (const j of jobs) if (j.uid !== undefined) uids.set(keyOf(j.namespace, j.name), j.uid);
  const settle = (k: string, end: JobEnd): void => {
    for (const i of indexes.get(k) ?? []) {
      if (ends[i] !== undefined) continue;
      ends[i] = end;
      opts.onEnd?.(i, end);
    }
  };
  const open = (k: string): boolean => (indexes.get(k) ?? []).some((i) => ends[i] === undefined);
  /** A new state of Job `k` (undefined: it is gone). */
  const observe = (k: string, job: Job | undefined): void => {
    if (!open(k)) return;
    const uid = uids.get(k);
    if (!job || (uid !== undefined && job.metadata.uid !== uid)) {
      settle(k, { kind: 'deleted' });
      return;
    }
    uids.set(k, job.metadata.uid);
    opts.onUpdate?.(job);
    if (!opts.forDelete && jobFinished(job) !== undefined) settle(k, { kind: 'done', job });
  };

  const namespaces = [...new Set(jobs.map((j) => j.namespace))];
  await Promise.all(
    namespaces.map((ns) =>
      followNamespace(client, ns, jobs, signal, { open, observe, settle, uids }),
    ),
  );
  for (const k of indexes.keys()) settle(k, { kind: 'aborted' });
  return ends.map((e) => e ?? { kind: 'aborted' });
}

interface Tracker {
  open(k: string): boolean;
  observe(k: string, job: Job | undefined): void;
  settle(k: string, end: JobEnd): void;
  readonly uids: ReadonlyMap<string, string>;
}

async function followNamespace(
  client: ResourceClient,
  namespace: string,
  jobs: readonly JobKey[],
  signal: AbortSignal,
  t: Tracker,
): Promise<void> {
  const keys = new Set(
    jobs.filter((j) => j.namespace === namespace).map((j) => keyOf(namespace, j.name)),
  );
  const anyOpen = (): boolean => [...keys].some((k) => t.open(k));
  let first = true;
  while (anyOpen() && !signal.aborted) {
    const list = await client.list('Job', { namespace });
    const listed = new Map(list.items.map((j) => [keyOf(namespace, j.metadata.name), j]));
    for (const k of keys) {
      const job = listed.get(k);
      // Missing before it was ever seen: NotFound (for --for=delete, already gone).
      if (!job && first && !t.uids.has(k)) t.settle(k, { kind: 'notFound' });
      else t.observe(k, job);
    }
    first = false;
    if (!anyOpen()) return;
    try {
      for await (const ev of client.watch('Job', {
        namespace,
        resourceVersion: list.resourceVersion,
        signal,
      })) {
        const k = keyOf(namespace, ev.object.metadata.name);
        if (!keys.has(k)) continue;
        t.observe(k, ev.type === 'DELETED' ? undefined : ev.object);
        if (!anyOpen()) return;
      }
    } catch (err) {
      if (!(err instanceof JobctlError && err.reason === Reason.Gone)) throw err;
    }
  }
}
