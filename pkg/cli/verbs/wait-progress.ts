// The spinner line of `wait` and `apply --wait` (terminal only, see
// pkg/cli/progress.ts): each waited-for Job's phase and completions, plus the
// latest image pull of its Runs, taken from the Pulling/Pulled Events the
// agent records on them, e.g.
//   ⠹ waiting for job/train: Pending 0/1 · Pulling image "python:3.12" (14s)
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
  /** One Job is done (its result line is about to be printed). */
  finished(job: WaitedJob): void;
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

export function startJobsProgress(
  deps: VerbDeps,
  client: ResourceClient,
  jobs: readonly WaitedJob[],
  signal: AbortSignal,
): JobsProgress {
  const what = jobs.length === 1 ? `job/${jobs[0]?.name}` : `${jobs.length} jobs`;
  const line = startProgress(deps, `waiting for ${what}`);
  const states = new Map<string, Job>();
  const ended = new Set<string>();
  let pull = '';
  const render = (): void => {
    let status: string;
    if (jobs.length === 1) {
      const j = jobs[0] as WaitedJob;
      status = jobText(states.get(key(j.namespace, j.name)));
    } else {
      status = `${ended.size}/${jobs.length} finished`;
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
    finished(j) {
      ended.add(key(j.namespace, j.name));
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
