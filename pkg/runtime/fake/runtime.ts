// FakeRuntime: instant, scripted containers for control-plane tests and benchmarks. Nothing
// runs: a "container" is a record whose exit is a timer on the injected Clock (a FakeClock
// in tests, so time moves only when the test says). See ./script.ts for outcomes scripted
// by the spec itself; setOutcome() overrides them from the test.
//
// Test helpers beyond the Runtime interface:
//   startsFor(runUid) / starts   how many containers were really started (never-twice checks)
//   setOutcome(match, outcome)   by runUid or predicate; the latest matching rule wins
//   finish(containerId, exit)    ends a running container now
//   setAvailable(false)          every call rejects with RuntimeUnavailableError
//   logsOf(runUid)               the output, also kept in memory when logPath is unset
// One instance outlives an agent under test, like a Docker engine outliving jobd: create a
// new agent over the same FakeRuntime to simulate an agent restart. Inside jobd
// (--runtime fake) the instance dies with the process; with `removedLogPath` beside
// `startsLogPath` a new instance lists every container started and not removed
// before as exited with an unknown status, as an engine that lost track of them
// would. So a restarted jobd never starts a Run again whose start it could not
// report before it died: the agent reports it Lost/ContainerLost instead.
// Removals are written REMOVALS_GATHER_MS after the first of them, together, and
// remove() does not wait for them: a removal that a crash kept from the file only
// makes a restarted instance list that container too (exited, status unknown), and
// the agent removes it again (its Run is final or gone), while one file write per
// removal cost a thread-pool hand-off per Run. Starts are written before start()
// resolves, as ever.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { realClock, type Clock, type Timer } from '../../util/clock.js';
import {
  ContainerNotFoundError,
  ImagePullFailedError,
  RuntimeUnavailableError,
  StartFailedError,
} from '../errors.js';
import { exitReason } from '../exit.js';
import { containerLabels } from '../labels.js';
import { LineJournal } from '../line-journal.js';
import { DEFAULT_MAX_LOG_BYTES, LogFileWriter } from '../logfile.js';
import type {
  ContainerInfo,
  ExitInfo,
  KillOptions,
  RunContainerSpec,
  Runtime,
  RuntimeEvent,
} from '../types.js';
import { scriptedOutcome, type FakeOutcome } from './script.js';

export type { FakeOutcome } from './script.js';

export type OutcomeMatcher = string | ((spec: RunContainerSpec) => boolean);

export interface FakeRuntimeOptions {
  readonly clock?: Clock;
  /** How long an unscripted container runs. 0 (the default) exits within start(). */
  readonly defaultDurationMs?: number;
  readonly maxLogBytes?: number;
  /**
   * When set, each real start appends `{"runUid":..,"containerId":..}` as a line to this
   * file, and start() resolves only once its line is written (the lines of concurrent
   * starts go in one write).
   */
  readonly startsLogPath?: string;
  /**
   * With startsLogPath: removals append `{"containerId":..}` lines (gathered, see the
   * file header); both are read back at construction.
   */
  readonly removedLogPath?: string;
}

/** How long removal lines gather before they are written together. */
export const REMOVALS_GATHER_MS = 200;

/** What a restarted FakeRuntime says about containers its previous instance ran. */
const LOST_MESSAGE = 'the fake runtime does not outlive jobd: exit status unknown';

interface FakeContainer {
  readonly containerId: string;
  readonly runUid: string;
  readonly labels: Record<string, string>;
  readonly outcome: FakeOutcome;
  readonly startedAt: string;
  readonly writer: LogFileWriter | undefined;
  logs: string;
  state: 'running' | 'exited';
  exit?: ExitInfo;
  timer?: Timer;
  /** Resolves once the start is in startsLogPath (an idempotent start waits for it too). */
  recorded: Promise<void>;
  readonly exited: Promise<void>;
  resolveExited(): void;
}

export class FakeRuntime implements Runtime {
  readonly name = 'fake';
  /** runUids in the order their containers were started (an idempotent start adds nothing). */
  readonly starts: string[] = [];
  private readonly clock: Clock;
  private readonly defaultDurationMs: number;
  private readonly maxLogBytes: number;
  private readonly startsLog: LineJournal | undefined;
  private readonly removedLog: LineJournal | undefined;
  /** Removal lines waiting for the gather timer, and that timer. */
  private removals: string[] = [];
  private removalsTimer: Timer | undefined;
  private removalsWritten: Promise<void> = Promise.resolve();
  private readonly containers = new Map<string, FakeContainer>();
  /** Containers by runUid (one per Run: start is idempotent per uid). */
  private readonly byUid = new Map<string, FakeContainer>();
  private readonly rules: { match: OutcomeMatcher; outcome: FakeOutcome }[] = [];
  private available = true;

  constructor(opts: FakeRuntimeOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.defaultDurationMs = opts.defaultDurationMs ?? 0;
    this.maxLogBytes = opts.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES;
    if (opts.startsLogPath) this.startsLog = new LineJournal(opts.startsLogPath);
    if (opts.startsLogPath && opts.removedLogPath) {
      this.removedLog = new LineJournal(opts.removedLogPath);
      this.restore(opts.startsLogPath, opts.removedLogPath);
    }
  }

  /** Containers of a previous instance (started, not removed): exited, status unknown. */
  private restore(startsPath: string, removedPath: string): void {
    const lines = (path: string): { runUid?: string; containerId: string }[] =>
      existsSync(path)
        ? readFileSync(path, 'utf8')
            .split('\n')
            .filter((l) => l.trim() !== '')
            .flatMap((l) => {
              try {
                return [JSON.parse(l) as { runUid?: string; containerId: string }];
              } catch {
                return []; // a line a crash cut short
              }
            })
        : [];
    const removed = new Set(lines(removedPath).map((l) => l.containerId));
    const finishedAt = new Date(this.clock.now()).toISOString();
    for (const { runUid, containerId } of lines(startsPath)) {
      if (!runUid || removed.has(containerId)) continue;
      const c: FakeContainer = {
        containerId,
        runUid,
        labels: {},
        outcome: {},
        startedAt: finishedAt,
        writer: undefined,
        logs: '',
        state: 'exited',
        exit: {
          exitCode: -1,
          oomKilled: false,
          reason: 'Unknown',
          finishedAt,
          message: LOST_MESSAGE,
        },
        recorded: Promise.resolve(),
        exited: Promise.resolve(),
        resolveExited: () => {},
      };
      this.containers.set(containerId, c);
      this.byUid.set(runUid, c);
    }
  }

  // ---- test controls ------------------------------------------------------------------

  /** Scripts the outcome of containers whose runUid equals `match` or whose spec satisfies it. */
  setOutcome(match: OutcomeMatcher, outcome: FakeOutcome): void {
    this.rules.push({ match, outcome });
  }

  clearOutcomes(): void {
    this.rules.length = 0;
  }

  /** false: every call rejects with RuntimeUnavailableError until set back to true. */
  setAvailable(available: boolean): void {
    this.available = available;
  }

  startsFor(runUid: string): number {
    return this.starts.filter((u) => u === runUid).length;
  }

  logsOf(runUid: string): string {
    return [...this.containers.values()].find((c) => c.runUid === runUid)?.logs ?? '';
  }

  /** Ends a running container now with the given exit (default 0). */
  finish(containerId: string, exit: { exitCode?: number; oomKilled?: boolean } = {}): void {
    const c = this.get(containerId);
    if (c.state === 'running') this.exit(c, exit.exitCode ?? 0, exit.oomKilled ?? false);
  }

  // ---- Runtime ------------------------------------------------------------------------

  async start(spec: RunContainerSpec): Promise<{ containerId: string }> {
    this.check();
    const existing = this.byRunUid(spec.runUid);
    if (existing) {
      await existing.recorded;
      return { containerId: existing.containerId };
    }

    const outcome = this.outcomeFor(spec);
    if (outcome.pullError !== undefined) {
      throw new ImagePullFailedError(
        spec.image,
        `Failed to pull image "${spec.image}": ${outcome.pullError}`,
      );
    }
    if (outcome.startError !== undefined) throw new StartFailedError(outcome.startError);

    const containerId = `fake-${randomBytes(6).toString('hex')}`;
    let resolveExited!: () => void;
    const exited = new Promise<void>((r) => (resolveExited = r));
    const c: FakeContainer = {
      containerId,
      runUid: spec.runUid,
      labels: containerLabels(spec),
      outcome,
      startedAt: new Date(this.clock.now()).toISOString(),
      writer: spec.logPath
        ? new LogFileWriter(spec.logPath, { maxBytes: this.maxLogBytes })
        : undefined,
      logs: '',
      state: 'running',
      recorded: this.startsLog
        ? this.startsLog.append(JSON.stringify({ runUid: spec.runUid, containerId }))
        : Promise.resolve(),
      exited,
      resolveExited,
    };
    this.containers.set(containerId, c);
    this.byUid.set(spec.runUid, c);
    this.starts.push(spec.runUid);
    await c.recorded;
    this.emit(spec, 'Created', `Created container ${containerId}`);
    this.emit(spec, 'Started', `Started container ${containerId}`);
    this.output(c, outcome.output ?? `fake: ran ${spec.command.join(' ')}\n`);

    const duration = outcome.durationMs ?? this.defaultDurationMs;
    const exitCode = outcome.exitCode ?? (outcome.oomKilled ? 137 : 0);
    const oom = outcome.oomKilled ?? false;
    if (duration <= 0) this.exit(c, exitCode, oom);
    else c.timer = this.clock.setTimer(duration, () => this.exit(c, exitCode, oom));
    return { containerId };
  }

  async list(): Promise<ContainerInfo[]> {
    this.check();
    return [...this.containers.values()].map((c) => this.info(c));
  }

  async inspect(containerId: string): Promise<ContainerInfo> {
    this.check();
    return this.info(this.get(containerId));
  }

  async wait(containerId: string): Promise<ExitInfo> {
    this.check();
    const c = this.get(containerId);
    await c.exited;
    await c.writer?.flush();
    if (!this.containers.has(containerId)) throw new ContainerNotFoundError(containerId);
    return c.exit as ExitInfo;
  }

  async kill(containerId: string, opts: KillOptions = {}): Promise<void> {
    this.check();
    const c = this.get(containerId);
    // A fake process honours SIGTERM at once (143); graceMs 0 means SIGKILL (137).
    if (c.state === 'running') this.exit(c, (opts.graceMs ?? 10_000) > 0 ? 143 : 137, false);
  }

  async remove(containerId: string): Promise<void> {
    this.check();
    const c = this.containers.get(containerId);
    if (!c) return;
    if (c.state === 'running') this.exit(c, 137, false);
    this.containers.delete(containerId);
    if (this.byUid.get(c.runUid) === c) this.byUid.delete(c.runUid);
    this.recordRemoval(containerId);
    await c.writer?.close();
  }

  /** Writes the removals gathered so far now, and waits for every removal write (tests, close). */
  async flushRemovals(): Promise<void> {
    this.removalsTimer?.cancel();
    this.removalsTimer = undefined;
    this.writeRemovals();
    await this.removalsWritten;
  }

  async attachLogs(containerId: string, _logPath: string): Promise<void> {
    this.check();
    this.get(containerId); // output is written at start; nothing to resume
  }

  async ping(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    await Promise.all([...this.containers.values()].map((c) => c.writer?.flush()));
    await this.flushRemovals();
    await Promise.all([this.startsLog?.close(), this.removedLog?.close()]);
  }

  // ---- internals ----------------------------------------------------------------------

  private recordRemoval(containerId: string): void {
    if (!this.removedLog) return;
    this.removals.push(JSON.stringify({ containerId }));
    this.removalsTimer ??= this.clock.setTimer(REMOVALS_GATHER_MS, () => {
      this.removalsTimer = undefined;
      this.writeRemovals();
    });
  }

  private writeRemovals(): void {
    if (!this.removedLog || this.removals.length === 0) return;
    const lines = this.removals.join('\n');
    this.removals = [];
    const written = this.removedLog.append(lines).catch(() => {
      // Not recorded: a restarted instance lists those containers, and they are removed again.
    });
    this.removalsWritten = Promise.all([this.removalsWritten, written]).then(() => undefined);
  }

  private check(): void {
    if (!this.available) throw new RuntimeUnavailableError('fake runtime set unavailable');
  }

  private get(containerId: string): FakeContainer {
    const c = this.containers.get(containerId);
    if (!c) throw new ContainerNotFoundError(containerId);
    return c;
  }

  private byRunUid(runUid: string): FakeContainer | undefined {
    return this.byUid.get(runUid);
  }

  /** Scripted by the spec, overridden field by field by matching rules (latest wins). */
  private outcomeFor(spec: RunContainerSpec): FakeOutcome {
    let outcome: FakeOutcome = scriptedOutcome(spec);
    for (const rule of this.rules) {
      const hit = typeof rule.match === 'string' ? rule.match === spec.runUid : rule.match(spec);
      if (hit) outcome = { ...outcome, ...rule.outcome };
    }
    return outcome;
  }

  private output(c: FakeContainer, text: string): void {
    c.logs += text;
    c.writer?.write(text);
  }

  private exit(c: FakeContainer, exitCode: number, oomKilled: boolean): void {
    c.timer?.cancel();
    c.state = 'exited';
    const reason = exitReason(exitCode, oomKilled);
    c.exit = {
      exitCode,
      oomKilled,
      reason,
      finishedAt: new Date(this.clock.now()).toISOString(),
      ...(reason === 'OOMKilled' ? { message: 'fake OOM kill' } : {}),
    };
    c.resolveExited();
  }

  private info(c: FakeContainer): ContainerInfo {
    return {
      containerId: c.containerId,
      runUid: c.runUid,
      labels: c.labels,
      state: c.state,
      startedAt: c.startedAt,
      oomKilled: c.exit?.oomKilled ?? false,
      ...(c.exit ? { exitCode: c.exit.exitCode, finishedAt: c.exit.finishedAt } : {}),
    };
  }

  private emit(spec: RunContainerSpec, type: RuntimeEvent['type'], message: string): void {
    try {
      spec.onEvent?.({ type, message, time: this.clock.now() });
    } catch {
      // A listener's bug must not fail the start.
    }
  }
}
