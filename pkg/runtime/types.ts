// The Runtime interface: how a node's agent runs one container spec (DESIGN.md §3, §8).
//
// A runtime knows nothing of the store, Jobs or Runs (STYLE §5, "runtime knows nothing
// of store or Jobs"): it is handed a container spec plus the uid of the Run it belongs
// to, and reports what happened to the container. Three implementations share one
// contract suite (test/unit/runtime/contract.ts):
//
//   docker/   DockerRuntime   sandboxed Docker containers (the production runtime)
//   process/  ProcessRuntime  plain child processes, NO isolation (machines without Docker)
//   fake/     FakeRuntime     instant scripted outcomes for control-plane tests and benches
//
// The runtime has its own ContainerSpec below; the agent converts a Run's spec into it.

/** Labels every container carries, so a restarted agent can find its containers. */
export const RUN_UID_LABEL = 'jobctl.run.uid';
export const MANAGED_LABEL = 'jobctl.managed';

/** Progress of start(), in order: [Pulling, Pulled,] Created, Started. */
export const RuntimeEventType = {
  /** A pull began (message names the image); repeated, throttled, with progress. */
  Pulling: 'Pulling',
  /** The pull finished. */
  Pulled: 'Pulled',
  Created: 'Created',
  Started: 'Started',
} as const;
export type RuntimeEventType = (typeof RuntimeEventType)[keyof typeof RuntimeEventType];

export interface RuntimeEvent {
  readonly type: RuntimeEventType;
  /** One human-readable line, e.g. `Pulling image "busybox:latest"`. */
  readonly message: string;
  /** Wall-clock time (ms since the epoch) from the runtime's Clock. */
  readonly time: number;
}

/** How a container's image is fetched before it starts. */
export type PullPolicy = 'Always' | 'IfNotPresent' | 'Never';

/**
 * What a container runs. The same fields as a Run's spec.container (DESIGN.md §2), owned
 * here so that the runtime does not depend on the store; pkg/agent converts.
 */
export interface ContainerSpec {
  readonly image: string;
  readonly imagePullPolicy: PullPolicy;
  /** The command and its arguments; empty means the image's own CMD. */
  readonly command: readonly string[];
  readonly env: readonly { readonly name: string; readonly value: string }[];
  readonly workingDir?: string;
  /** Kubernetes quantities: cpu "500m", memory "256Mi". */
  readonly resources: { readonly cpu: string; readonly memory: string };
  readonly sandbox: {
    readonly network: 'none' | 'bridge';
    readonly readOnlyRootFilesystem: boolean;
    /** "uid:gid". */
    readonly user: string;
  };
}

/** What start() runs: a container spec plus what the runtime needs to track it. */
export interface RunContainerSpec extends ContainerSpec {
  /** The Run's uid. At most one container per runUid ever exists per runtime (see start()). */
  readonly runUid: string;
  /**
   * Extra labels for the container. The runtime adds `jobctl.run.uid=<runUid>` and
   * `jobctl.managed=true` (which win over same-named keys here).
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * File that receives the container's stdout and stderr (interleaved, appended). The
   * DockerRuntime and ProcessRuntime bound its size (see pkg/runtime/logfile.ts); the
   * FakeRuntime keeps logs in memory when this is unset. Required by docker/process.
   */
  readonly logPath?: string;
  /** Progress of start(); called synchronously, must not throw. */
  readonly onEvent?: (ev: RuntimeEvent) => void;
}

export type ContainerState = 'running' | 'exited' | 'created' | 'unknown';

export interface ContainerInfo {
  readonly containerId: string;
  readonly runUid: string;
  readonly labels: Readonly<Record<string, string>>;
  /**
   * running: the process is alive. exited: it ended (exitCode set unless the runtime
   * lost track of it, see ProcessRuntime). created: created but never started (a crash
   * between create and start). unknown: the runtime cannot tell (e.g. a process left
   * over from a previous ProcessRuntime instance: alive but not adoptable).
   */
  readonly state: ContainerState;
  readonly exitCode?: number;
  readonly oomKilled?: boolean;
  /** ISO timestamps. */
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** Why the state is what it is, when that is not obvious (e.g. "not adoptable"). */
  readonly message?: string;
}

/**
 * Completed: exit code 0. Error: any other exit. OOMKilled: the memory cgroup killed it
 * (and the exit code is not 0). Unknown: the runtime lost track of the process and has
 * no exit status (only ProcessRuntime after a restart; exitCode is then -1).
 */
export type ExitReason = 'Completed' | 'Error' | 'OOMKilled' | 'Unknown';

export interface ExitInfo {
  readonly exitCode: number;
  readonly oomKilled: boolean;
  readonly reason: ExitReason;
  /** ISO timestamp. */
  readonly finishedAt: string;
  readonly message?: string;
}

export interface KillOptions {
  /** Time between SIGTERM and SIGKILL; 0 sends SIGKILL at once. Default 10 000. */
  readonly graceMs?: number;
}

/**
 * Runs container specs. Every method may reject with RuntimeUnavailableError (the
 * engine is unreachable; the caller should report RuntimeReady=False and retry later)
 * — a runtime never crashes the process because its engine went away.
 */
export interface Runtime {
  /** Short name for logs and metrics: "docker", "process", "fake". */
  readonly name: string;

  /**
   * Creates and starts a container for spec.runUid and resolves once it is started.
   * Idempotent per runUid: if a container for this runUid already exists (started by this
   * instance, by an earlier instance of the same runtime, or by a concurrent call), its
   * id is returned and nothing new is started — so an agent that calls start() again
   * after a crash never runs a Run twice. (A container that exists but was never
   * started, state "created", is started: it has not run yet.)
   * Rejects with ImagePullFailedError (message carries the engine's text),
   * StartFailedError (e.g. executable not found; nothing is left behind), or
   * RuntimeUnavailableError.
   */
  start(spec: RunContainerSpec): Promise<{ containerId: string }>;

  /** Every container this runtime manages (carrying `jobctl.managed=true`), any state. */
  list(): Promise<ContainerInfo[]>;

  /** One container. Rejects with ContainerNotFoundError if it does not exist. */
  inspect(containerId: string): Promise<ContainerInfo>;

  /**
   * Resolves when the container has exited (at once if it already has). When this
   * runtime instance is streaming the container's output, the output has been written
   * to logPath by the time the promise resolves. Rejects with ContainerNotFoundError if
   * the container does not exist (or is removed while waiting).
   */
  wait(containerId: string): Promise<ExitInfo>;

  /**
   * SIGTERM, then SIGKILL after graceMs if it is still running. Resolves once the
   * container has stopped; resolves at once if it had already exited. Rejects with
   * ContainerNotFoundError if it does not exist.
   */
  kill(containerId: string, opts?: KillOptions): Promise<void>;

  /**
   * Deletes the container (killing it first if it runs). The log file is kept. Resolves
   * if the container is already gone (idempotent).
   */
  remove(containerId: string): Promise<void>;

  /**
   * Resumes copying a container's output to logPath after this runtime instance was
   * (re)created, e.g. when a restarted agent adopts a running container. Idempotent.
   * Each implementation documents whether output can be lost or duplicated.
   */
  attachLogs(containerId: string, logPath: string): Promise<void>;

  /** Resolves if the runtime can run containers now (RuntimeReady); else rejects. */
  ping(): Promise<void>;

  /**
   * Stops this instance's background work (log streams, timers) without touching the
   * containers, as an agent shutting down would. The instance must not be used after.
   */
  close(): Promise<void>;
}
