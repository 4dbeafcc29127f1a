// LogCursor: where a client is in a Run's output while it reads it from one
// server after another (GrpcClient.logs). Each Logs stream starts with a
// LogInfo that gives the byte offset, in the Run's whole output, of the bytes
// that follow; the cursor counts from there. When the serving node goes away
// the client asks another one for the same Run (by uid) from the first byte
// not yet delivered, and drops whatever the new stream sends before it, so no
// byte is repeated or lost. A stream that cannot say where its bytes are (a
// log file older than offsets) cannot be resumed: the break surfaces instead.
import type { LogStreamInfo, LogsOptions } from '../client/index.js';
import { JobctlError, Reason } from '../util/errors.js';

export class LogCursor {
  /** Offset of the first byte not delivered yet; undefined until a server has said. */
  private next: number | undefined;
  /** Offset of the next byte of the current stream; undefined when it did not say. */
  private pos: number | undefined;
  private run: string | undefined;
  private runUid: string | undefined;
  private resumed = false;
  /** Whether any byte reached the caller. */
  delivered = false;

  /** The request of the next stream: `base` the first time, then a resume of the same Run. */
  request(base: LogsOptions): LogsOptions {
    this.pos = undefined;
    if (this.next === undefined) return base;
    this.resumed = true;
    const { tail: _tail, job: _job, ...rest } = base;
    return {
      ...rest,
      ...(this.run ? { run: this.run } : {}),
      ...(this.runUid ? { runUid: this.runUid } : {}),
      ...(this.run || !base.job ? {} : { job: base.job }),
      fromOffset: this.next,
    };
  }

  /** A stream's info: the caller's view of it (how many bytes were skipped over, if any). */
  onInfo(info: LogStreamInfo): LogStreamInfo {
    if (info.run) this.run = info.run;
    if (info.runUid) this.runUid = info.runUid;
    if (info.offset === undefined) {
      this.pos = undefined;
      return info;
    }
    this.pos = info.offset;
    const skipped =
      this.next !== undefined && info.offset > this.next ? info.offset - this.next : 0;
    if (this.next === undefined || info.offset > this.next) this.next = info.offset;
    return skipped > 0 ? { ...info, skipped } : info;
  }

  /** The part of a stream's chunk that was not delivered yet. */
  take(chunk: Buffer): Buffer {
    if (this.pos === undefined) {
      // Bytes before any offset: a note ahead of the output (a copy cut to its
      // bound) on a first stream; on a resumed one they could be anything.
      if (this.resumed) {
        throw new JobctlError(
          Reason.Unavailable,
          'cannot resume the log stream: the server does not say where its bytes are',
        );
      }
      if (chunk.length > 0) this.delivered = true;
      return chunk;
    }
    const start = this.pos;
    this.pos += chunk.length;
    const next = this.next ?? start;
    const out = start < next ? chunk.subarray(Math.min(chunk.length, next - start)) : chunk;
    if (this.next === undefined || this.pos > this.next) this.next = this.pos;
    if (out.length > 0) this.delivered = true;
    return out;
  }

  /** Whether a broken stream can go on elsewhere without repeating or losing bytes. */
  canResume(): boolean {
    return !this.delivered || this.next !== undefined;
  }
}
