// Exiting a CLI process without losing its output. process.exit() ends the
// process at once, and on Linux a write to a pipe that is full (the reader,
// `| less`, `| grep` or a test harness, has not caught up) is queued inside
// the process, not in the kernel: those bytes were simply dropped. A
// `jobctl logs` of a 1 MiB log piped to a slow reader lost its tail that way.
// So the process exits once every byte written to stdout and stderr so far
// has been handed to the kernel.

/** A stream process output goes to (process.stdout, process.stderr). */
export interface OutputStream {
  readonly writableLength: number;
  write(chunk: string, callback: (err?: Error | null) => void): boolean;
}

/**
 * Calls `exit(code)` once `streams` have no queued bytes left: at once when
 * nothing is queued, else after an empty write queued behind the rest has
 * completed (a write's callback runs after the writes before it; on EPIPE,
 * a reader that went away, it runs with the error, and there is nothing left
 * to wait for either).
 */
export function exitAfterOutput(
  code: number,
  streams: readonly OutputStream[] = [process.stdout, process.stderr],
  exit: (code: number) => void = (c) => process.exit(c),
): void {
  let waiting = streams.length + 1;
  const oneDone = (): void => {
    if (--waiting === 0) exit(code);
  };
  for (const stream of streams) {
    if (stream.writableLength === 0) oneDone();
    else stream.write('', oneDone);
  }
  oneDone();
}
