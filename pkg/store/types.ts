// The canonical shapes of stored resources (DESIGN.md §2). Every module that
// reads or writes objects imports these types; the API server fills defaults
// before proposing, so fields it always defaults are required here.
//
// Objects returned by the store are deep-frozen at runtime (STYLE habit 4): to
// change one, copy it first (see `cloneResource` in ./canonical.ts). The types
// are deliberately not `readonly` so that a copy can be edited without casts.
//
// Spec and status shapes are type aliases, not interfaces, on purpose: only a
// type alias gets the implicit index signature that makes it assignable to
// `Record<string, unknown>` (Resource's default spec and status), so a Job is
// a Resource and `KindMap[K]` can be handed to anything that takes one.

export const API_VERSION = 'jobctl.dev/v1';

/** A reference from a dependent to its owner; the store cascades deletes along it. */
export type OwnerReference = {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  /** At most one owner is the managing controller (STYLE habit 4). */
  controller?: boolean;
};

export interface ObjectMeta {
  name: string;
  /** 'default' when omitted for namespaced kinds; '' for cluster-scoped kinds (Node). */
  namespace: string;
  uid: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Decimal Raft index of the write that last changed the object. */
  resourceVersion: string;
  /** 1 at creation; +1 on each write that changes spec. */
  generation: number;
  /** ISO timestamp chosen by the proposer of the creating write. */
  creationTimestamp: string;
  /** Set only on the final state carried by a DELETED watch event / delete result. */
  deletionTimestamp?: string;
  ownerReferences: OwnerReference[];
  /** Prefix used to generate `name` at creation, kept for information. */
  generateName?: string;
}

/** Any stored object. Kind-specific aliases narrow spec and status. */
export interface Resource<Spec = Record<string, unknown>, Status = Record<string, unknown>> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: Spec;
  status: Status;
}

/** The metadata a writer may supply; the store fills in the rest. */
export type ObjectMetaInput = {
  name?: string;
  generateName?: string;
  namespace?: string;
  /** Precondition on update/updateStatus/apply: must equal the stored uid. */
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Precondition on update/updateStatus/apply: stale ⇒ Conflict. */
  resourceVersion?: string;
  ownerReferences?: OwnerReference[];
};

/** An object as a writer proposes it (a manifest after server-side defaulting). */
export interface ResourceInput {
  apiVersion: string;
  kind: string;
  metadata: ObjectMetaInput;
  spec?: unknown;
  status?: unknown;
}

// ---------------------------------------------------------------------------
// Shared pieces

/** Kubernetes quantities as strings: cpu "500m", "2"; memory "256Mi", "1G". */
export type Quantity = string;

export interface ResourceRequirements {
  cpu: Quantity;
  memory: Quantity;
}

export interface EnvVar {
  name: string;
  value: string;
}

export const NetworkMode = { None: 'none', Bridge: 'bridge' } as const;
export type NetworkMode = (typeof NetworkMode)[keyof typeof NetworkMode];

export interface SandboxSpec {
  network: NetworkMode;
  readOnlyRootFilesystem: boolean;
  /** "uid:gid", default "65534:65534". */
  user: string;
}

export const ImagePullPolicy = {
  Always: 'Always',
  IfNotPresent: 'IfNotPresent',
  Never: 'Never',
} as const;
export type ImagePullPolicy = (typeof ImagePullPolicy)[keyof typeof ImagePullPolicy];

/** What a container runs: the immutable part of a Job spec, copied into each Run. */
export type ContainerSpec = {
  image: string;
  imagePullPolicy: ImagePullPolicy;
  /** Normalised by the API server: a manifest string s becomes ["sh", "-c", s]. */
  command: string[];
  /** Normalised by the API server: a manifest map becomes a list sorted by name. */
  env: EnvVar[];
  workingDir?: string;
  resources: ResourceRequirements;
  sandbox: SandboxSpec;
};

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition<T extends string = string> {
  type: T;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

// ---------------------------------------------------------------------------
// Job

export type JobSpec = ContainerSpec & {
  completions: number;
  parallelism: number;
  backoffLimit: number;
  activeDeadlineSeconds?: number | null;
  ttlSecondsAfterFinished?: number | null;
  nodeSelector?: Record<string, string>;
  priority: number;
  /** The Queue (cluster-scoped) whose limit the Job's Runs count against; absent: none. */
  queue?: string;
  suspend: boolean;
};

export const JobPhase = {
  Pending: 'Pending',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Suspended: 'Suspended',
} as const;
export type JobPhase = (typeof JobPhase)[keyof typeof JobPhase];

export type JobConditionType = 'Complete' | 'Failed' | 'Suspended';

/** Empty ({}) until the job controller first writes it. */
export type JobStatus = {
  phase?: JobPhase;
  active?: number;
  succeeded?: number;
  failed?: number;
  startTime?: string;
  completionTime?: string;
  conditions?: Condition<JobConditionType>[];
  /**
   * Runs the job controller has created so far, i.e. the attempt number the
   * next Run gets. Together with the Runs present it keeps attempt numbers
   * (and so Run names) from ever being reused, across leader changes.
   */
  attempts?: number;
};

export interface Job extends Resource<JobSpec, JobStatus> {
  kind: 'Job';
}

/** How a Job ended, from its conditions (or its phase before conditions are set). */
export function jobFinished(job: Pick<Job, 'status'>): 'Complete' | 'Failed' | undefined {
  const conds = job.status?.conditions ?? [];
  const isTrue = (t: string): boolean => conds.some((c) => c.type === t && c.status === 'True');
  if (isTrue('Complete') || job.status?.phase === 'Succeeded') return 'Complete';
  if (isTrue('Failed') || job.status?.phase === 'Failed') return 'Failed';
  return undefined;
}

// ---------------------------------------------------------------------------
// Run

export type RunSpec = {
  jobName: string;
  jobUid: string;
  /** 0-based attempt number within the Job. */
  attempt: number;
  /** '' until the scheduler binds the Run (field selector spec.nodeName). */
  nodeName: string;
  container: ContainerSpec;
  priority?: number;
  nodeSelector?: Record<string, string>;
  /** The Job's spec.queue, copied when the Run was created. */
  queue?: string;
  /**
   * Seconds after the container starts at which the agent kills it (reason
   * DeadlineExceeded). The job controller sets it to what was left of the
   * Job's activeDeadlineSeconds when the Run was created (an upper bound that
   * holds even without a leader); the Job's own deadline is enforced by the
   * controller.
   */
  activeDeadlineSeconds?: number | null;
  /**
   * Set (never cleared) by the job controller: stop this Run. The agent of the
   * bound node does not start it, or kills its container, and reports phase
   * Cancelled with reason = cancelReason. An unbound Run is marked Cancelled
   * by the job controller itself, and the scheduler never binds it.
   */
  cancelled?: boolean;
  cancelReason?: RunCancelReason;
};

/** Why the job controller cancelled a Run (copied into status.reason by the agent). */
export type RunCancelReason =
  'DeadlineExceeded' | 'BackoffLimitExceeded' | 'Suspended' | 'JobFinished' | 'Deleted';

export const RunPhase = {
  Pending: 'Pending',
  Scheduled: 'Scheduled',
  Running: 'Running',
  Succeeded: 'Succeeded',
  Failed: 'Failed',
  Lost: 'Lost',
  Cancelled: 'Cancelled',
} as const;
export type RunPhase = (typeof RunPhase)[keyof typeof RunPhase];

/**
 * Phases a Run never leaves: the agent does not report over them, the store
 * refuses a fenced status report on them (fence.ts), controllers count the Run
 * done and its node resources free. The one definition; everyone asks
 * isFinalRunPhase. (The dashboard's browser modules, compiled on their own,
 * keep a copy in pkg/dashboard/src/types.ts.)
 */
export const FINAL_RUN_PHASES: ReadonlySet<RunPhase> = new Set<RunPhase>([
  RunPhase.Succeeded,
  RunPhase.Failed,
  RunPhase.Lost,
  RunPhase.Cancelled,
]);

/** Whether a Run in `phase` is over (no phase yet: not over, it counts as Pending). */
export function isFinalRunPhase(phase: string | undefined): boolean {
  return phase !== undefined && (FINAL_RUN_PHASES as ReadonlySet<string>).has(phase);
}

export type RunReason =
  | 'Completed'
  | 'Error'
  | 'OOMKilled'
  | 'DeadlineExceeded'
  | 'ImagePullFailed'
  | 'NodeLost'
  /** The node's runtime could not follow the container after a restart (process runtime). */
  | 'ContainerLost'
  | 'NodeShutdown'
  | 'Deleted'
  | 'BackoffLimitExceeded'
  | 'Suspended'
  | 'JobFinished';

export type RunStatus = {
  phase?: RunPhase;
  reason?: RunReason;
  exitCode?: number;
  containerID?: string;
  startedAt?: string;
  finishedAt?: string;
  message?: string;
};

export interface Run extends Resource<RunSpec, RunStatus> {
  kind: 'Run';
}

/** Label every Run carries, naming its Job (DESIGN.md §2). */
export const JOB_NAME_LABEL = 'jobctl.dev/job-name';

// ---------------------------------------------------------------------------
// Node (cluster-scoped)

export type NodeSpec = {
  /** Cordoned: no new Runs are placed here. */
  unschedulable?: boolean;
};

export interface NodeResources {
  cpu: Quantity;
  memory: Quantity;
  /** Maximum concurrent Runs. */
  runs: number;
}

export interface NodeRaftInfo {
  id: number;
  role: string;
  term: number;
  address: string;
}

export type NodeConditionType = 'Ready' | 'RuntimeReady';

export type NodeStatus = {
  conditions?: Condition<NodeConditionType>[];
  capacity?: NodeResources;
  allocatable?: NodeResources;
  raft?: NodeRaftInfo;
  heartbeatTime?: string;
  versions?: Record<string, string>;
};

export interface Node extends Resource<NodeSpec, NodeStatus> {
  kind: 'Node';
}

// ---------------------------------------------------------------------------
// CronJob

export const ConcurrencyPolicy = { Allow: 'Allow', Forbid: 'Forbid', Replace: 'Replace' } as const;
export type ConcurrencyPolicy = (typeof ConcurrencyPolicy)[keyof typeof ConcurrencyPolicy];

export interface JobTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: JobSpec;
}

export type CronJobSpec = {
  schedule: string;
  timeZone?: string;
  concurrencyPolicy: ConcurrencyPolicy;
  startingDeadlineSeconds?: number | null;
  suspend: boolean;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  jobTemplate: JobTemplate;
};

export interface ObjectReference {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export type CronJobStatus = {
  /** Jobs of this CronJob that have not finished, oldest slot first. */
  active?: ObjectReference[];
  /** The scheduled time of the last Job the controller created. */
  lastScheduleTime?: string;
  /** When the last of its Jobs that succeeded completed. */
  lastSuccessfulTime?: string;
  /**
   * The latest scheduled time the cron controller has dealt with: fired, or
   * skipped (Forbid, suspended) or missed (past startingDeadlineSeconds) with
   * an Event. Slots up to it are never considered again, whoever leads.
   */
  lastSlotTime?: string;
};

export interface CronJob extends Resource<CronJobSpec, CronJobStatus> {
  kind: 'CronJob';
}

/**
 * Annotation on the answer to a server dry run of a Job (never stored): where
 * its first Run would be placed now ("would be placed on node-2"), or why it
 * would wait (pkg/api/dry-run-placement.ts).
 */
export const DRY_RUN_PLACEMENT_ANNOTATION = 'jobctl.dev/dry-run-placement';

/** Annotation on a Job made from a CronJob: the slot it was made for (ISO), or `manual`. */
export const CRONJOB_SCHEDULED_AT_ANNOTATION = 'jobctl.dev/cronjob-scheduled-at';

/**
 * A Job made from a CronJob's jobTemplate, controlled by the CronJob (deleting
 * the CronJob deletes it, and the cron controller counts it as one of its
 * Jobs). `scheduledAt` is the slot (ISO) or `manual` (`create job --from`).
 */
export function jobFromCronJob(
  cronJob: Pick<CronJob, 'apiVersion' | 'metadata' | 'spec'>,
  name: string,
  scheduledAt: string,
): ResourceInput & { kind: 'Job'; spec: JobSpec } {
  const tmpl = cronJob.spec.jobTemplate;
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: {
      name,
      namespace: cronJob.metadata.namespace,
      labels: { ...tmpl.metadata?.labels },
      annotations: {
        ...tmpl.metadata?.annotations,
        [CRONJOB_SCHEDULED_AT_ANNOTATION]: scheduledAt,
      },
      ownerReferences: [
        {
          apiVersion: cronJob.apiVersion,
          kind: 'CronJob',
          name: cronJob.metadata.name,
          uid: cronJob.metadata.uid,
          controller: true,
        },
      ],
    },
    spec: structuredClone(tmpl.spec),
    status: { phase: 'Pending' },
  };
}

// ---------------------------------------------------------------------------
// Queue (cluster-scoped): a cap on the running Runs of the Jobs that name it

export type QueueSpec = {
  /** Most of its Runs bound to nodes and not finished at once, cluster-wide. */
  maxRunning: number;
  /** Most of those from one namespace; absent: no per-namespace cap. */
  maxRunningPerNamespace?: number;
  /** Runs of higher-priority Queues are placed first. */
  priority: number;
};

/** A waiting Run as the Queue's status lists it (1 = starts next). */
export interface QueueWaiting {
  namespace: string;
  name: string;
  jobName: string;
  position: number;
  reason?: string;
}

/** Written by the scheduler when it changes (pkg/controllers/scheduler/queues.ts). */
export type QueueStatus = {
  running?: number;
  pending?: number;
  /** The first waiting Runs in the order they will start (at most QUEUE_WAITING_LISTED). */
  waiting?: QueueWaiting[];
};

export interface Queue extends Resource<QueueSpec, QueueStatus> {
  kind: 'Queue';
}

// ---------------------------------------------------------------------------
// Event (pkg/events)

/** Normal | Warning, as Kubernetes events. */
export type EventSeverity = 'Normal' | 'Warning';

export interface EventSource {
  /** The recording component: job-controller, scheduler, agent ... */
  component: string;
  /** The node that recorded it ('' when not node-specific). */
  node?: string;
}

/**
 * The event's fields. They live under spec (the store keeps only spec and
 * status); `count`, `lastTimestamp` change each time the same event repeats.
 */
export type EventSpec = {
  /** The object the event is about (namespace '' for cluster-scoped kinds). */
  involvedObject: ObjectReference;
  type: EventSeverity;
  /** A short CamelCase machine-readable reason: Scheduled, BackOff, Killing ... */
  reason: string;
  message: string;
  /** How many times this event has happened (>= 1). */
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  source: EventSource;
};

export interface Event extends Resource<EventSpec, Record<string, never>> {
  kind: 'Event';
}

// ---------------------------------------------------------------------------
// SandboxPolicy (pkg/api/sandbox-policy.ts): relaxations Jobs in a namespace may ask for

export type SandboxPolicySpec = {
  /** Values of spec.sandbox.network allowed; default ['none']. */
  allowNetwork: NetworkMode[];
  allowWritableRootFilesystem: boolean;
  /** UID 0 or GID 0. */
  allowRootUser: boolean;
  /** "UID", "UID:GID" or "*" (any non-root user), besides 65534:65534. */
  allowUsers: string[];
  /** Largest spec.resources; absent: no cap. */
  maxResources?: { cpu?: Quantity | number; memory?: Quantity | number };
  /** Image prefixes; absent: any image. */
  allowImages?: string[];
};

export interface SandboxPolicy extends Resource<SandboxPolicySpec, Record<string, never>> {
  kind: 'SandboxPolicy';
}

/** The resources this release knows, by kind. */
export interface KindMap {
  Job: Job;
  Run: Run;
  Node: Node;
  CronJob: CronJob;
  Event: Event;
  SandboxPolicy: SandboxPolicy;
  Queue: Queue;
}

/** A kind by its canonical (manifest) name. */
export type Kind = keyof KindMap;

/**
 * The object type a kind string names: the KindMap entry for a canonical kind
 * name ('Job'), any Resource otherwise (the kubectl spellings 'job' and 'jobs',
 * a `string` typed by a user, kinds outside KindMap such as the auth kinds).
 */
export type ResourceOf<K extends string> = K extends Kind ? KindMap[K] : Resource;

/** A write input of a known kind, so that `create(input)` resolves to KindMap[K]. */
export interface InputOf<K extends Kind> extends ResourceInput {
  kind: K;
  spec?: KindMap[K]['spec'];
  status?: KindMap[K]['status'];
}
