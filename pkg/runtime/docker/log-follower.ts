// Copies one container's output into its log file: `docker logs --follow --timestamps
// --since <cursor>`, demultiplexed, each line's timestamp stripped and saved as the
// writer's cursor (pkg/runtime/logfile.ts).
//
// Why `logs --follow` rather than `attach`: the daemon's json-file log driver stores
// everything the container writes, so following its log loses nothing even when we
// start reading late (a container that already exited, or an agent that restarted),
// and the timestamps give a resume point. A restarted runtime resumes from the saved
// cursor: lines at or before it are skipped (the daemon's `since` is inclusive), so a
// graceful restart neither loses nor duplicates output; a crash can duplicate at most
// the lines of one write batch whose cursor was not yet saved.
//
// The follower ends when the daemon ends the stream because the container stopped,
// after one more pass from the cursor (the daemon may end the stream before the last
// lines). If the stream breaks while the container still runs (daemon restart), it
// follows again from the cursor after a pause.
import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { Clock } from '../../util/clock.js';
import { LogFileWriter, readCursor } from '../logfile.js';
import { statusCodeOf } from './errors.js';
import { FrameDecoder } from './frames.js';

/** Docker's RFC3339NanoFixed: fixed width in UTC, so timestamps compare as strings. */
const TIMESTAMP_RE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z /;

/** The cursor file of a log file. */
export function cursorPathFor(logPath: string): string {
  return `${logPath}.cursor`;
}

/** "2024-01-02T03:04:05.123456789Z" → "1704164645.123456789" (the API's `since` form). */
export function sinceParam(cursor: string): string | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(cursor);
  if (!m) return undefined;
  const seconds = Math.floor(Date.parse(`${m[1]}Z`) / 1000);
  return `${seconds}.${(m[2] ?? '').padEnd(9, '0')}`;
}

export interface LogFollowerOptions {
  readonly container: Docker.Container;
  readonly logPath: string;
  readonly maxLogBytes: number;
  readonly clock: Clock;
  /** Pause before following again after a broken stream. Default 1000. */
  readonly retryMs?: number;
}

export class LogFollower {
  /** Resolves when the container's output has been copied completely (or stop() was called). */
  readonly done: Promise<void>;
  readonly logPath: string;
  private readonly opts: LogFollowerOptions;
  private readonly writer: LogFileWriter;
  private stream: Readable | undefined;
  private stopped = false;
  private cursor: string | undefined;

  constructor(opts: LogFollowerOptions) {
    this.opts = opts;
    this.logPath = opts.logPath;
    this.writer = new LogFileWriter(opts.logPath, {
      maxBytes: opts.maxLogBytes,
      cursorPath: cursorPathFor(opts.logPath),
    });
    this.done = this.run();
  }

  /** Stops following (the cursor of what was written is saved) and closes the file. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stream?.destroy();
    await this.done;
  }

  private async run(): Promise<void> {
    this.cursor = await readCursor(cursorPathFor(this.opts.logPath));
    try {
      while (!this.stopped) {
        await this.followOnce().catch((err: unknown) => {
          if (statusCodeOf(err) === 404) this.stopped = true; // container gone
        });
        if (this.stopped) break;
        const running = await this.opts.container.inspect().then(
          (info) => info.State.Running,
          (err: unknown) => (statusCodeOf(err) === 404 ? false : undefined),
        );
        if (running === false) {
          // The container has stopped. Even a stream the daemon ended cleanly
          // may lack the last lines: the daemon can end a follow as the
          // container stops before its log reader has caught up (a 20,000-line
          // output was seen cut at line 13,552). One more pass from the cursor
          // picks up the rest; lines at or before the cursor are skipped.
          await this.followOnce().catch(() => undefined);
          break;
        }
        await this.opts.clock.sleep(this.opts.retryMs ?? 1000);
      }
    } finally {
      await this.writer.close();
    }
  }

  /** One `logs --follow` request, copied until the daemon ends it. */
  private async followOnce(): Promise<void> {
    const since = this.cursor ? sinceParam(this.cursor) : undefined;
    const stream = (await this.opts.container.logs({
      follow: true,
      stdout: true,
      stderr: true,
      timestamps: true,
      // @types/dockerode types `since` as a number, but the API takes the
      // "seconds.nanoseconds" string sinceParam gives; and a follow request
      // resolves to a Node Readable, which the typings call a ReadableStream.
      ...(since ? { since: since as unknown as number } : {}),
    })) as unknown as Readable;
    if (this.stopped) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    const decoder = new FrameDecoder();
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) this.copy(frame.payload);
      });
      stream.on('end', () => resolve());
      stream.on('close', () => resolve());
      stream.on('error', (err) => (this.stopped ? resolve() : reject(err)));
    });
    this.stream = undefined;
  }

  /** One log entry: "<timestamp> <bytes>". Entries at or before the cursor were copied. */
  private copy(payload: Buffer): void {
    const head = payload.subarray(0, 40).toString('latin1');
    const m = TIMESTAMP_RE.exec(head);
    if (!m) {
      this.writer.write(payload);
      return;
    }
    const ts = `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z`;
    if (this.cursor !== undefined && ts <= this.cursor) return;
    this.cursor = ts;
    this.writer.write(payload.subarray(m[0].length), ts);
  }
}
