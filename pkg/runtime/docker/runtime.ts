// DockerRuntime: each Run is one sandboxed Docker container (DESIGN.md §8), created
// through dockerode.
//
// - Identity: the container is named `jobctl-[<scope>-]<runUid>` and labelled
//   jobctl.run.uid / jobctl.managed (and jobctl.scope when a scope is set). The name makes
//   start() idempotent even across runtime instances and processes: the daemon refuses a
//   second container of the same name (409), and start() then returns the existing one.
// - Scope: when several nodes share one engine (a local dev cluster), give each runtime a
//   scope (e.g. the node name) so list() sees only that node's containers.
// - Logs: see ./log-follower.ts (docker logs --follow from a saved cursor into the
//   bounded file of ../logfile.ts). The log path is also stored in the label
//   jobctl.log.path, so remove() can delete the cursor file even after a restart.
// - Containers are never auto-removed: a restarted agent reads their exit code; remove()
//   is explicit.
// - Unreachable daemon: every call rejects with RuntimeUnavailableError; nothing throws
//   asynchronously (log followers retry, then give up when the container is gone).
import Docker from 'dockerode';
import { rm } from 'node:fs/promises';
import { realClock, type Clock } from '../../util/clock.js';
import { errorMessage } from '../../util/errors.js';
import { RuntimeUnavailableError, StartFailedError, isRuntimeError } from '../errors.js';
import { exitReason } from '../exit.js';
import { containerLabels } from '../labels.js';
import { SingleFlight } from '../single-flight.js';
import { DEFAULT_MAX_LOG_BYTES } from '../logfile.js';
import {
  MANAGED_LABEL,
  RUN_UID_LABEL,
  type ContainerInfo,
  type ContainerState,
  type ExitInfo,
  type KillOptions,
  type RunContainerSpec,
  type Runtime,
  type RuntimeEvent,
} from '../types.js';
import { createOptions, DEFAULT_SANDBOX, type SandboxOptions } from './create-options.js';
import { daemonMessage, mapDockerError, statusCodeOf } from './errors.js';
import { ensureImage } from './image.js';
import { TIMED_OUT, withTimeout } from '../timeout.js';
import { cursorPathFor, LogFollower } from './log-follower.js';

export const SCOPE_LABEL = 'jobctl.scope';
export const LOG_PATH_LABEL = 'jobctl.log.path';

export interface DockerRuntimeOptions {
  /** Default: `new Docker()` (DOCKER_HOST, else /var/run/docker.sock). */
  readonly docker?: Docker;
  readonly clock?: Clock;
  /** Bound of each Run's log file (newest bytes kept). Default 10 MiB. */
  readonly maxLogBytes?: number;
  /** Separates the containers of runtimes sharing one engine (e.g. the node name). */
  readonly scope?: string;
  /** Sandbox tuning; defaults in ./create-options.ts. */
  readonly sandbox?: Partial<SandboxOptions>;
  /** Give up a pull after this long. Default 10 minutes. */
  readonly pullTimeoutMs?: number;
  /** ping() fails after this long without an answer. Default 5000. */
  readonly pingTimeoutMs?: number;
  /** wait() waits at most this long for the log copy to finish after the exit. Default 10 000. */
  readonly logDrainTimeoutMs?: number;
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Valid Docker container name characters: [a-zA-Z0-9][a-zA-Z0-9_.-]*. */
function nameSafe(s: string): string {
  return s.replace(/[^a-zA-Z0-9_.-]/g, '_');
}

export class DockerRuntime implements Runtime {
  readonly name = 'docker';
  readonly docker: Docker;
  private readonly clock: Clock;
  private readonly maxLogBytes: number;
  private readonly scope: string | undefined;
  private readonly sandbox: SandboxOptions;
  private readonly pullTimeoutMs: number;
  private readonly pingTimeoutMs: number;
  private readonly logDrainTimeoutMs: number;
  /** Log copies this instance runs, by container id. */
  private readonly followers = new Map<string, LogFollower>();
  /** start() calls in flight, by runUid: a concurrent call joins the first. */
  private readonly starting = new SingleFlight<string, { containerId: string }>();
  private closed = false;

  constructor(opts: DockerRuntimeOptions = {}) {
    this.docker = opts.docker ?? new Docker();
    this.clock = opts.clock ?? realClock;
    this.maxLogBytes = opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.scope = opts.scope;
    this.sandbox = { ...DEFAULT_SANDBOX, ...opts.sandbox };
    this.pullTimeoutMs = opts.pullTimeoutMs ?? 10 * 60_000;
    this.pingTimeoutMs = opts.pingTimeoutMs ?? 5000;
    this.logDrainTimeoutMs = opts.logDrainTimeoutMs ?? 10_000;
  }

  /** The container name used for a runUid (unique per scope). */
  containerName(runUid: string): string {
    return `jobctl-${this.scope ? `${nameSafe(this.scope)}-` : ''}${nameSafe(runUid)}`;
  }

  start(spec: RunContainerSpec): Promise<{ containerId: string }> {
    return this.starting.run(spec.runUid, () => this.startOnce(spec));
  }

  private async startOnce(spec: RunContainerSpec): Promise<{ containerId: string }> {
    if (!spec.logPath) throw new StartFailedError('DockerRuntime.start: logPath is required');
    const name = this.containerName(spec.runUid);
    const existing = await this.findByName(name);
    if (existing) return this.resume(existing, spec);

    await ensureImage({
      docker: this.docker,
      clock: this.clock,
      image: spec.image,
      policy: spec.imagePullPolicy ?? 'IfNotPresent',
      pullTimeoutMs: this.pullTimeoutMs,
      progress: (type, message) => this.emit(spec, type, message),
    });

    const labels = containerLabels(spec);
    if (this.scope) labels[SCOPE_LABEL] = this.scope;
    labels[LOG_PATH_LABEL] = spec.logPath;
    let container: Docker.Container;
    try {
      container = await this.docker.createContainer(
        createOptions(spec, name, labels, this.sandbox),
      );
    } catch (err) {
      if (statusCodeOf(err) === 409) {
        // A concurrent start (another instance or process) created it first.
        const raced = await this.findByName(name);
        if (raced) return this.resume(raced, spec);
      }
      const mapped = mapDockerError(err);
      if (mapped !== err) throw mapped;
      throw new StartFailedError(`creating the container failed: ${daemonMessage(err)}`, {
        cause: err,
      });
    }
    this.emit(spec, 'Created', `Created container ${container.id.slice(0, 12)}`);
    await this.startContainer(container, spec);
    return { containerId: container.id };
  }

  /** start() found a container for the runUid: start it only if it never ran. */
  private async resume(
    info: Docker.ContainerInspectInfo,
    spec: RunContainerSpec,
  ): Promise<{ containerId: string }> {
    const container = this.docker.getContainer(info.Id);
    if (info.State.Status === 'created') {
      await this.startContainer(container, spec);
    } else if (spec.logPath) {
      await this.attachLogs(info.Id, spec.logPath);
    }
    return { containerId: info.Id };
  }

  private async startContainer(container: Docker.Container, spec: RunContainerSpec): Promise<void> {
    try {
      await container.start();
    } catch (err) {
      const mapped = mapDockerError(err);
      if (mapped !== err) throw mapped;
      // e.g. "exec: "nope": executable file not found in $PATH". Nothing ran; leave nothing.
      await container.remove({ force: true, v: true }).catch(() => undefined);
      throw new StartFailedError(`starting the container failed: ${daemonMessage(err)}`, {
        cause: err,
      });
    }
    this.emit(spec, 'Started', `Started container ${container.id.slice(0, 12)}`);
    if (spec.logPath) this.follow(container.id, spec.logPath);
  }

  async attachLogs(containerId: string, logPath: string): Promise<void> {
    if (this.followers.has(containerId)) return;
    await this.inspectRaw(containerId); // ContainerNotFound for a bad id
    this.follow(containerId, logPath);
  }

  private follow(containerId: string, logPath: string): void {
    if (this.closed || this.followers.has(containerId)) return;
    const follower = new LogFollower({
      container: this.docker.getContainer(containerId),
      logPath,
      maxLogBytes: this.maxLogBytes,
      clock: this.clock,
    });
    this.followers.set(containerId, follower);
  }

  async list(): Promise<ContainerInfo[]> {
    const label = [`${MANAGED_LABEL}=true`];
    if (this.scope) label.push(`${SCOPE_LABEL}=${this.scope}`);
    let summaries: Docker.ContainerInfo[];
    try {
      summaries = await this.docker.listContainers({ all: true, filters: { label } });
    } catch (err) {
      throw mapDockerError(err);
    }
    // Exit codes, OOM and times are only in inspect; a few at a time.
    const out: ContainerInfo[] = [];
    for (let i = 0; i < summaries.length; i += 8) {
      const batch = summaries.slice(i, i + 8).map((s) =>
        this.inspect(s.Id).catch((err: unknown) => {
          if (isRuntimeError(err, 'ContainerNotFound')) return undefined; // removed meanwhile
          throw err;
        }),
      );
      for (const info of await Promise.all(batch)) if (info) out.push(info);
    }
    return out;
  }

  async inspect(containerId: string): Promise<ContainerInfo> {
    return toContainerInfo(await this.inspectRaw(containerId));
  }

  private async inspectRaw(containerId: string): Promise<Docker.ContainerInspectInfo> {
    try {
      return await this.docker.getContainer(containerId).inspect();
    } catch (err) {
      throw mapDockerError(err, containerId);
    }
  }

  private async findByName(name: string): Promise<Docker.ContainerInspectInfo | undefined> {
    try {
      return await this.docker.getContainer(name).inspect();
    } catch (err) {
      if (statusCodeOf(err) === 404) return undefined;
      throw mapDockerError(err);
    }
  }

  async wait(containerId: string): Promise<ExitInfo> {
    try {
      await this.docker.getContainer(containerId).wait();
    } catch (err) {
      throw mapDockerError(err, containerId);
    }
    const info = await this.inspectRaw(containerId);
    const follower = this.followers.get(containerId);
    if (follower) {
      // The follower ends once the daemon has sent the last of the output.
      await withTimeout(follower.done, this.logDrainTimeoutMs, this.clock);
    }
    return toExitInfo(info);
  }

  async kill(containerId: string, opts: KillOptions = {}): Promise<void> {
    const graceMs = opts.graceMs ?? 10_000;
    const info = await this.inspectRaw(containerId);
    if (!info.State.Running) return;
    const container = this.docker.getContainer(containerId);
    const exited = container.wait().then(
      () => true,
      (err: unknown) => {
        if (statusCodeOf(err) === 404) return true;
        throw mapDockerError(err, containerId);
      },
    );
    if (graceMs > 0) {
      await this.signal(container, 'SIGTERM');
      if ((await withTimeout(exited, graceMs, this.clock)) !== TIMED_OUT) return;
    }
    await this.signal(container, 'SIGKILL');
    await exited;
  }

  /** Sends a signal; "is not running" (409) and "no such container" (404) are fine. */
  private async signal(container: Docker.Container, signal: string): Promise<void> {
    try {
      await container.kill({ signal });
    } catch (err) {
      const code = statusCodeOf(err);
      if (code === 409 || code === 404) return;
      throw mapDockerError(err, container.id);
    }
  }

  async remove(containerId: string): Promise<void> {
    const follower = this.followers.get(containerId);
    this.followers.delete(containerId);
    let logPath = follower?.logPath;
    if (!logPath) {
      logPath = await this.inspectRaw(containerId).then(
        (info) => info.Config.Labels?.[LOG_PATH_LABEL],
        (err: unknown) => {
          if (isRuntimeError(err, 'ContainerNotFound')) return undefined;
          throw err;
        },
      );
    }
    try {
      await this.docker.getContainer(containerId).remove({ force: true, v: true });
    } catch (err) {
      const code = statusCodeOf(err);
      // 404: already gone. 409: "removal already in progress".
      if (code !== 404 && code !== 409) throw mapDockerError(err, containerId);
    }
    await follower?.stop();
    if (logPath) await rm(cursorPathFor(logPath), { force: true });
  }

  async ping(): Promise<void> {
    let timer: { cancel(): void } | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.clock.setTimer(this.pingTimeoutMs, () =>
        reject(
          new RuntimeUnavailableError(
            `Docker did not answer a ping within ${this.pingTimeoutMs} ms`,
          ),
        ),
      );
    });
    try {
      await Promise.race([this.docker.ping(), timeout]);
    } catch (err) {
      const mapped = mapDockerError(err);
      if (mapped instanceof RuntimeUnavailableError) throw mapped;
      throw new RuntimeUnavailableError(`Docker ping failed: ${errorMessage(err)}`, { cause: err });
    } finally {
      timer?.cancel();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.followers.values()];
    this.followers.clear();
    await Promise.all(all.map((f) => f.stop()));
  }

  private emit(spec: RunContainerSpec, type: RuntimeEvent['type'], message: string): void {
    try {
      spec.onEvent?.({ type, message, time: this.clock.now() });
    } catch {
      // A listener's bug must not fail the start.
    }
  }
}

function stateOf(info: Docker.ContainerInspectInfo): ContainerState {
  switch (info.State.Status) {
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
      return 'exited';
    case 'created':
      return 'created';
    default:
      return 'unknown';
  }
}

function time(t: string | undefined): string | undefined {
  return t && t !== ZERO_TIME ? new Date(t).toISOString() : undefined;
}

export function toContainerInfo(info: Docker.ContainerInspectInfo): ContainerInfo {
  const state = stateOf(info);
  const labels = info.Config.Labels ?? {};
  const startedAt = time(info.State.StartedAt);
  const finishedAt = state === 'exited' ? time(info.State.FinishedAt) : undefined;
  return {
    containerId: info.Id,
    runUid: labels[RUN_UID_LABEL] ?? '',
    labels,
    state,
    ...(state === 'exited' ? { exitCode: info.State.ExitCode } : {}),
    oomKilled: info.State.OOMKilled,
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(info.State.Error ? { message: info.State.Error } : {}),
  };
}

function toExitInfo(info: Docker.ContainerInspectInfo): ExitInfo {
  const exitCode = info.State.ExitCode;
  const oomKilled = info.State.OOMKilled;
  const reason = exitReason(exitCode, oomKilled);
  return {
    exitCode,
    oomKilled,
    reason,
    finishedAt: time(info.State.FinishedAt) ?? new Date().toISOString(),
    ...(reason === 'OOMKilled'
      ? { message: 'the container exceeded its memory limit and was killed' }
      : {}),
  };
}
