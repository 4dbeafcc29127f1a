// How the job controller names and builds Runs. Names are deterministic,
// `<job>-<attempt>` (attempt 0, 1, 2 ... as RunSpec.attempt), so creating the
// same attempt twice (a repeated reconcile on a stale cache, a new leader)
// fails with AlreadyExists instead of running the work twice.
import {
  API_VERSION,
  JOB_NAME_LABEL,
  type ContainerSpec,
  type Job,
  type ResourceInput,
  type Run,
  type RunSpec,
} from '../../store/index.js';
import { childName } from '../common/names.js';
import { parseTime } from '../common/time.js';

/**
 * `<job>-<attempt>`. A Job name too long for that (names are at most 63
 * characters) is cut and tagged with a hash of its uid, still deterministic.
 */
export function runName(job: Pick<Job, 'metadata'>, attempt: number): string {
  return childName(job.metadata, String(attempt));
}

/** The container part of a Job spec, copied into each Run. */
export function containerOf(job: Job): ContainerSpec {
  const s = job.spec;
  return {
    image: s.image,
    imagePullPolicy: s.imagePullPolicy,
    command: s.command,
    env: s.env,
    ...(s.workingDir !== undefined ? { workingDir: s.workingDir } : {}),
    resources: s.resources,
    sandbox: s.sandbox,
  };
}

/** Seconds left of the Job's activeDeadlineSeconds at `nowMs` (rounded up), if it has one. */
export function remainingDeadlineSeconds(job: Job, nowMs: number): number | undefined {
  const ads = job.spec.activeDeadlineSeconds;
  if (ads === undefined || ads === null) return undefined;
  const start = parseTime(job.status?.startTime) ?? nowMs;
  return Math.max(1, Math.ceil((start + ads * 1000 - nowMs) / 1000));
}

/** The Run for `attempt` of `job`: Pending, unbound, owned by the Job. */
export function newRun(job: Job, attempt: number, nowMs: number): ResourceInput {
  const deadline = remainingDeadlineSeconds(job, nowMs);
  const spec: RunSpec = {
    jobName: job.metadata.name,
    jobUid: job.metadata.uid,
    attempt,
    nodeName: '',
    container: containerOf(job),
    priority: job.spec.priority ?? 0,
    ...(job.spec.nodeSelector && Object.keys(job.spec.nodeSelector).length > 0
      ? { nodeSelector: job.spec.nodeSelector }
      : {}),
    ...(job.spec.queue ? { queue: job.spec.queue } : {}),
    ...(deadline !== undefined ? { activeDeadlineSeconds: deadline } : {}),
  };
  return {
    apiVersion: API_VERSION,
    kind: 'Run',
    metadata: {
      name: runName(job, attempt),
      namespace: job.metadata.namespace,
      labels: { ...job.metadata.labels, [JOB_NAME_LABEL]: job.metadata.name },
      ownerReferences: [
        {
          apiVersion: job.apiVersion,
          kind: 'Job',
          name: job.metadata.name,
          uid: job.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: spec,
    status: { phase: 'Pending' },
  };
}

/** True when `run` is controlled by `job` (same uid); anything else is never adopted. */
export function isControlledBy(run: Run, job: Job): boolean {
  return run.metadata.ownerReferences.some(
    (r) => r.controller === true && r.uid === job.metadata.uid,
  );
}
