// What the chaos harness records and the checker reads: client operations on Jobs
// (one per call, with invocation and completion time and result), watch streams, and
// the state gathered after healing. The whole History is written as JSON for replay
// (`npm run test:chaos -- --replay FILE` re-runs the checker on it).

export type OpKind = 'create' | 'update' | 'apply' | 'delete' | 'get' | 'list';

/**
 * ok: the server answered with success. fail: it definitely did not take effect (a
 * semantic answer: NotFound, AlreadyExists, or never sent). unknown: it may or may not
 * have (time-out, connection dropped mid-call, Unavailable after proposing).
 */
export type OpResult = 'ok' | 'fail' | 'unknown';

/** One key's observed state: the chaos value label and the object's resourceVersion. */
export interface Observed {
  readonly value: string;
  readonly rv: number;
}

export interface Op {
  readonly id: number;
  readonly client: number;
  /** The node a pinned client talks to (undefined: any node, with failover). */
  readonly node?: number | undefined;
  readonly kind: OpKind;
  /** The Job name (every op but list). */
  readonly key?: string | undefined;
  /** The value a write sets. */
  readonly value?: string | undefined;
  /** ms since the run started. */
  readonly invokeMs: number;
  /** ms since the run started; absent when the result is unknown. */
  completeMs?: number | undefined;
  result?: OpResult;
  /** get/write: what the server returned (absent: NotFound / no object). */
  out?: Observed | undefined;
  /** list: every listed key of the checked set, at one revision. */
  items?: Record<string, Observed> | undefined;
  /** The error's reason (NotFound, AlreadyExists, Unavailable...) or message. */
  error?: string | undefined;
}

export interface WatchEventRecord {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  readonly rv: number;
  readonly value: string | undefined;
  readonly atMs: number;
}

/** One watch stream from startRv (after a list); a Gone restarts a new segment. */
export interface WatchSegment {
  readonly startRv: number;
  /** The list the segment started from: key -> state. */
  readonly initial: Record<string, Observed>;
  readonly events: WatchEventRecord[];
  endedBy?: string;
}

export interface WatchRecord {
  readonly watcher: number;
  readonly node?: number | undefined;
  readonly segments: WatchSegment[];
}

export interface FaultRecord {
  readonly kind: 'kill' | 'pause' | 'partition' | 'loss' | 'clock' | 'member';
  readonly detail: string;
  readonly startMs: number;
  endMs?: number;
}

export interface RunInfo {
  readonly name: string;
  readonly uid: string;
  readonly job: string;
  readonly phase: string;
  readonly reason?: string | undefined;
  readonly node?: string | undefined;
  readonly created?: string | undefined;
  readonly finished?: string | undefined;
  readonly message?: string | undefined;
}

export interface JobInfo {
  readonly name: string;
  readonly completions: number;
  readonly phase: string;
  readonly suspended: boolean;
}

/** The chaos CronJob after healing (./cron.ts). */
export interface CronFinal {
  readonly name: string;
  readonly createdAt: string;
  /** The latest slot at or before healing: lastSlotTime must have reached it. */
  readonly dueSlot: string;
  readonly lastSlotTime?: string | undefined;
  /** Its Jobs: name, the slot it was made for (ISO), phase. */
  readonly jobs: { readonly name: string; readonly slot: string; readonly phase: string }[];
}

/** Gathered after healing. */
export interface FinalState {
  /** A linearizable list of every Job after healing: key -> state. */
  readonly jobs: Record<string, Observed>;
  /** Per node, a stale (local) list of Jobs and Runs: "kind/name" -> resourceVersion. */
  readonly perNode: Record<string, Record<string, number>>;
  readonly jobInfo: JobInfo[];
  readonly runs: RunInfo[];
  /** Every container start, per run uid (from the runtime's records). */
  readonly starts: Record<string, number>;
  /** Absent in histories recorded before the CronJob was added. */
  readonly cron?: CronFinal;
}

export interface History {
  readonly seed: number;
  readonly nodes: number;
  readonly runtime: string;
  readonly seconds: number;
  /** Wall-clock time of elapsed 0 (to line up object timestamps with ops and faults). */
  startedAt?: string;
  readonly ops: Op[];
  readonly watches: WatchRecord[];
  readonly faults: FaultRecord[];
  final?: FinalState;
}
