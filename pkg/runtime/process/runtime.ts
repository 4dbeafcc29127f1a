// ProcessRuntime: runs each container spec as a plain child process of jobd.
//
//   *** NO ISOLATION. ***  The command runs as jobd's own user, with jobd's filesystem,
//   network and privileges. `image`, `imagePullPolicy`, `resources` and `sandbox` are
//   IGNORED. Use it only on machines without Docker, for trusted jobs (docs/runtimes.md).
//
// What it does do:
// - spawns command[0] with command[1..] as arguments, without a shell; env is PATH (from
//   jobd) plus HOME and the spec's env; the working directory is spec.workingDir, or a
//   fresh scratch directory <dataDir>/work/<containerId> (removed by remove()).
// - each child leads its own process group, so kill() signals the command and everything
//   it started: SIGTERM, then SIGKILL after the grace period.
// - stdout and stderr go through pipes into the bounded log file (../logfile.ts).
// - idempotent start() per runUid, like every runtime.
//
// Restarts: the processes it started are recorded in <dataDir>/process-runtime.json. A new
// instance cannot adopt them — they are not its children, so their exit status is
// unobservable, and their output pipes died with the old jobd (their next write gets
// SIGPIPE). It reports them instead: one recorded as exited keeps its exit code; one still
// alive is state "unknown" (kill() and remove() still work, by process group); one that
// ended unobserved is "exited" without an exit code, and wait() on either resolves with
// reason "Unknown" and exit code -1. start() for such a runUid returns the old id and
// starts nothing.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { realClock, type Clock } from '../../util/clock.js';
import { ContainerNotFoundError, StartFailedError } from '../errors.js';
import { exitReason, signalExitCode } from '../exit.js';
import { containerLabels } from '../labels.js';
import { SingleFlight } from '../single-flight.js';
import { TIMED_OUT, withTimeout } from '../timeout.js';
import { DEFAULT_MAX_LOG_BYTES, LogFileWriter } from '../logfile.js';
import type {
  ContainerInfo,
  ExitInfo,
  KillOptions,
  RunContainerSpec,
  Runtime,
  RuntimeEvent,
} from '../types.js';
import {
  loadRecords,
  procStartTime,
  recordAlive,
  saveRecords,
  type ProcessRecord,
} from './state-file.js';

export interface ProcessRuntimeOptions {
  /** Holds process-runtime.json and the scratch working directories. */
  readonly dataDir: string;
  readonly clock?: Clock;
  /** Bound of each log file (newest bytes kept). Default 10 MiB. */
  readonly maxLogBytes?: number;
  /** How often wait() checks on a process left over from a previous instance. Default 1000. */
  readonly pollMs?: number;
  /** After the command exits, how long its pipes may stay open (held by its own children). */
  readonly pipeDrainMs?: number;
}

/** A process this instance started (and so can observe). */
interface Child {
  readonly record: ProcessRecord;
  readonly proc: ChildProcess;
  readonly writer: LogFileWriter | undefined;
  /** Resolves when the process has exited and its output is on disk. */
  readonly exited: Promise<void>;
}

export class ProcessRuntime implements Runtime {
  readonly name = 'process';
  private readonly dataDir: string;
  private readonly statePath: string;
  private readonly clock: Clock;
  private readonly maxLogBytes: number;
  private readonly pollMs: number;
  private readonly pipeDrainMs: number;
  /** Everything known, by containerId: this instance's children and earlier records. */
  private readonly records = new Map<string, ProcessRecord>();
  private readonly children = new Map<string, Child>();
  private readonly starting = new SingleFlight<string, { containerId: string }>();

  constructor(opts: ProcessRuntimeOptions) {
    this.dataDir = opts.dataDir;
    this.statePath = join(opts.dataDir, 'process-runtime.json');
    this.clock = opts.clock ?? realClock;
    this.maxLogBytes = opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    this.pollMs = opts.pollMs ?? 1000;
    this.pipeDrainMs = opts.pipeDrainMs ?? 2000;
    for (const rec of loadRecords(this.statePath)) this.records.set(rec.containerId, rec);
  }

  start(spec: RunContainerSpec): Promise<{ containerId: string }> {
    return this.starting.run(spec.runUid, () => this.startOnce(spec));
  }

  private async startOnce(spec: RunContainerSpec): Promise<{ containerId: string }> {
    const existing = [...this.records.values()].find((r) => r.runUid === spec.runUid);
    if (existing) return { containerId: existing.containerId };
    const [file, ...args] = spec.command;
    if (file === undefined) throw new StartFailedError('the process runtime needs a command');
    if (!spec.logPath) throw new StartFailedError('ProcessRuntime.start: logPath is required');

    const containerId = `proc-${randomBytes(6).toString('hex')}`;
    let cwd = spec.workingDir;
    let scratchDir: string | undefined;
    if (cwd) {
      const isDir = await stat(cwd).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (!isDir) throw new StartFailedError(`workingDir "${cwd}" is not a directory`);
    } else {
      scratchDir = join(this.dataDir, 'work', containerId);
      await mkdir(scratchDir, { recursive: true });
      cwd = scratchDir;
    }
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: cwd,
    };
    for (const e of spec.env ?? []) env[e.name] = e.value;

    const proc = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    try {
      await new Promise<void>((resolve, reject) => {
        proc.once('spawn', resolve);
        proc.once('error', reject);
      });
    } catch (err) {
      if (scratchDir) await rm(scratchDir, { recursive: true, force: true });
      const msg = err instanceof Error ? err.message : String(err);
      throw new StartFailedError(`starting "${file}" failed: ${msg}`, { cause: err });
    }
    proc.on('error', () => undefined); // later errors (a failed kill) must not crash jobd
    const pid = proc.pid ?? -1;
    const record: ProcessRecord = {
      containerId,
      runUid: spec.runUid,
      labels: containerLabels(spec),
      pid,
      ...(pid > 0 ? { procStart: procStartTime(pid) } : {}),
      logPath: spec.logPath,
      ...(scratchDir ? { scratchDir } : {}),
      startedAt: new Date(this.clock.now()).toISOString(),
      exited: false,
    };
    this.emit(spec, 'Created', `Created process ${containerId}`);
    const writer = new LogFileWriter(spec.logPath, { maxBytes: this.maxLogBytes });
    this.records.set(containerId, record);
    this.children.set(containerId, {
      record,
      proc,
      writer,
      exited: this.watch(record, proc, writer),
    });
    this.save();
    this.emit(spec, 'Started', `Started process ${containerId} (pid ${pid})`);
    return { containerId };
  }

  /** Copies output, records the exit, and resolves once both are done. */
  private async watch(
    rec: ProcessRecord,
    proc: ChildProcess,
    writer: LogFileWriter,
  ): Promise<void> {
    proc.stdout?.on('data', (chunk: Buffer) => writer.write(chunk));
    proc.stderr?.on('data', (chunk: Buffer) => writer.write(chunk));
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      proc.once('exit', (c, s) => resolve([c, s])),
    );
    // Its own children may hold the pipes open; give them a moment, then cut them.
    if ((await withTimeout(closed, this.pipeDrainMs, this.clock)) === TIMED_OUT) {
      proc.stdout?.destroy();
      proc.stderr?.destroy();
    }
    await writer.close();
    rec.exited = true;
    rec.exitCode = code ?? signalExitCode(signal ?? 'SIGKILL');
    rec.finishedAt = new Date(this.clock.now()).toISOString();
    this.save();
  }

  async attachLogs(containerId: string, _logPath: string): Promise<void> {
    // Our own children are always being copied; earlier instances' pipes are gone.
    this.get(containerId);
  }

  async list(): Promise<ContainerInfo[]> {
    return [...this.records.values()].map((r) => this.info(r));
  }

  async inspect(containerId: string): Promise<ContainerInfo> {
    return this.info(this.get(containerId));
  }

  async wait(containerId: string): Promise<ExitInfo> {
    const rec = this.get(containerId);
    const child = this.children.get(containerId);
    if (child) {
      await child.exited;
    } else if (!rec.exited) {
      while (recordAlive(rec)) await this.clock.sleep(this.pollMs);
    }
    if (!this.records.has(containerId)) throw new ContainerNotFoundError(containerId);
    if (rec.exitCode === undefined) {
      return {
        exitCode: -1,
        oomKilled: false,
        reason: 'Unknown',
        finishedAt: rec.finishedAt ?? new Date(this.clock.now()).toISOString(),
        message:
          'the process was started by an earlier runtime instance; its exit status is unknown',
      };
    }
    return {
      exitCode: rec.exitCode,
      oomKilled: false,
      reason: exitReason(rec.exitCode, false),
      finishedAt: rec.finishedAt ?? new Date(this.clock.now()).toISOString(),
    };
  }

  async kill(containerId: string, opts: KillOptions = {}): Promise<void> {
    const rec = this.get(containerId);
    const child = this.children.get(containerId);
    const alive = child ? !rec.exited : !rec.exited && recordAlive(rec);
    if (!alive) return;
    const graceMs = opts.graceMs ?? 10_000;
    const gone = child
      ? child.exited.then(() => true)
      : (async () => {
          while (recordAlive(rec)) await this.clock.sleep(Math.min(this.pollMs, 100));
          return true;
        })();
    if (graceMs > 0) {
      signalGroup(rec.pid, 'SIGTERM');
      if ((await withTimeout(gone, graceMs, this.clock)) !== TIMED_OUT) {
        signalGroup(rec.pid, 'SIGKILL'); // stragglers of the group
        return;
      }
    }
    signalGroup(rec.pid, 'SIGKILL');
    await gone;
  }

  async remove(containerId: string): Promise<void> {
    const rec = this.records.get(containerId);
    if (!rec) return;
    await this.kill(containerId, { graceMs: 0 });
    this.records.delete(containerId);
    this.children.delete(containerId);
    this.save();
    if (rec.scratchDir) await rm(rec.scratchDir, { recursive: true, force: true });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    // Children keep running (they are not ours to stop); their output is copied while
    // this process lives.
  }

  private get(containerId: string): ProcessRecord {
    const rec = this.records.get(containerId);
    if (!rec) throw new ContainerNotFoundError(containerId);
    return rec;
  }

  private info(rec: ProcessRecord): ContainerInfo {
    const base = {
      containerId: rec.containerId,
      runUid: rec.runUid,
      labels: rec.labels,
      startedAt: rec.startedAt,
      oomKilled: false,
    };
    if (rec.exited) {
      return {
        ...base,
        state: 'exited',
        ...(rec.exitCode !== undefined ? { exitCode: rec.exitCode } : {}),
        ...(rec.finishedAt ? { finishedAt: rec.finishedAt } : {}),
      };
    }
    if (this.children.has(rec.containerId)) return { ...base, state: 'running' };
    if (recordAlive(rec)) {
      return {
        ...base,
        state: 'unknown',
        message: 'process left over from an earlier runtime instance; alive but not adoptable',
      };
    }
    return {
      ...base,
      state: 'exited',
      message: 'process ended while no runtime instance observed it; exit status unknown',
    };
  }

  private save(): void {
    try {
      saveRecords(this.statePath, [...this.records.values()]);
    } catch {
      // Losing the state file only loses reporting after a restart; never fail a Run for it.
    }
  }

  private emit(spec: RunContainerSpec, type: RuntimeEvent['type'], message: string): void {
    try {
      spec.onEvent?.({ type, message, time: this.clock.now() });
    } catch {
      // A listener's bug must not fail the start.
    }
  }
}

/** Signals a whole process group (the child leads its own); a vanished group is fine. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}
