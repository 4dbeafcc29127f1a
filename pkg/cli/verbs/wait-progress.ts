// The spinner line of `wait` and `apply --wait` (terminal only, see
// pkg/cli/progress.ts): one waited-for Job's phase and completions, or for
// several how many are done, running, pending and failed, plus the latest
// image pull of their Runs, taken from the Pulling/Pulled Events the agent
// records on them, e.g.
//   ⠹ waiting for job/train: Pending 0/1 · Pulling image "python:3.12" (14s)
//   ⠹ waiting for 60 jobs: 12 done, 30 running, 15 pending, 3 failed (41s)
// The Events watch runs only while a spinner is drawn; it is best effort (a
// failure just leaves the pull out).
import type { ResourceClient } from '../../client/index.js';
import type { Event, Job } from '../../store/types.js';
import { noProgress, startProgress, type Progress } from '../progress.js';
import { jobFinished } from '../resource/job-outcome.js';
import type { VerbDeps } from './deps.js';

export interface WaitedJob {
  readonly namespace: string;
  readonly name: string;
}

export interface JobsProgress {
  /** A new state of one of the Jobs (from the wait's own watch). */
  update(job: Job): void;
  readonly line: Progress;
  stop(): void;
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;

function jobText(job: Job | undefined): string {
  if (!job) return 'waiting';
  const done = jobFinished(job);
  const phase =
    done === 'Complete' ? 'Succeeded' : done === 'Failed' ? 'Failed' : job.status?.phase;
  const completions = job.spec?.completions ?? 1;
  return `${phase ?? 'Pending'} ${job.status?.succeeded ?? 0}/${completions}`;
}

/** "12 done, 30 running, 15 pending, 3 failed" (undefined: not seen yet, pending). */
export function countsText(jobs: readonly (Job | undefined)[]): string {
  let done = 0;
  let running = 0;
  let pending = 0;
  let failed = 0;
  for (const job of jobs) {
    const end = job ? jobFinished(job) : undefined;
    if (end === 'Complete') done++;
    else if (end === 'Failed') failed++;
    else if (job?.status?.phase === 'Running') running++;
    else pending++;
  }
  return `${done} done, ${running} running, ${pending} pending, ${failed} failed`;
}

export function startJobsProgress(
  deps: VerbDeps,
  client: ResourceClient,
  jobs: readonly WaitedJob[],
  signal: AbortSignal,
): JobsProgress {
  const what = jobs.length === 1 ? `job/${jobs[0]?.name}` : `${jobs.length} jobs`;
  const line = startProgress(deps, `waiting for ${what}`);
  const states = new Map<string, Job>();
  let pull = '';
  const render = (): void => {
    let status: string;
    if (jobs.length === 1) {
      const j = jobs[0] as WaitedJob;
      status = jobText(states.get(key(j.namespace, j.name)));
    } else {
      status = countsText(jobs.map((j) => states.get(key(j.namespace, j.name))));
    }
    line.set(`waiting for ${what}: ${status}${pull ? ` · ${pull}` : ''}`);
  };
  render();
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const namespaces = [...new Set(jobs.map((j) => j.namespace))];
  const names = new Set(jobs.map((j) => key(j.namespace, j.name)));
  // Only when a spinner is drawn: a pipe never pays for the Events watch.
  if (line !== noProgress) {
    for (const namespace of namespaces) {
      void (async () => {
        try {
          for await (const ev of client.watch('Event', {
            namespace,
            fieldSelector: 'spec.involvedObject.kind=Run',
            signal: ac.signal,
          })) {
            const e = ev.object as Event;
            const reason = e.spec?.reason;
            if (reason !== 'Pulling' && reason !== 'Pulled') continue;
            // Runs are named <job>-<attempt>.
            const run = e.spec.involvedObject.name;
            const job = run.slice(0, run.lastIndexOf('-'));
            if (!names.has(key(namespace, job))) continue;
            pull = reason === 'Pulling' ? e.spec.message : '';
            render();
          }
        } catch {
          // Best effort: the wait itself reports what matters.
        }
      })();
    }
  }
  return {
    update(job) {
      states.set(key(job.metadata.namespace, job.metadata.name), job);
      render();
    },
    line,
    stop() {
      signal.removeEventListener('abort', onAbort);
      ac.abort();
      line.stop();
    },
  };
}
