// The real CLI as child processes, for integration tests: `node
// dist/cmd/jobctl.cjs ARGS` (the `jobctl` bin) with JOBCTL_SERVER, a private (temp) JOBCTL_CONFIG
// and NO_COLOR, capturing stdout, stderr and the exit code.
//
//   const cli = new CliRunner({ server: cluster.servers(), dir });
//   const r = await cli.run(['apply', '-f', file]);        // { code, signal, stdout, stderr }
//   const w = cli.start(['get', 'jobs', '-w']);             // long-running
//   await w.waitForLines((ls) => ls.some((l) => l.startsWith('ADDED')), 30_000, 'ADDED');
//   await w.interrupt();                                     // SIGINT, then its result
//   cli.killAll();                                           // in after()
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/support/cli.js -> dist/cmd/jobctl.cjs (the `jobctl` bin) */
export const jobctlPath = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'cmd',
  'jobctl.cjs',
);

export interface CliResult {
  /** Exit code, or null when ended by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliRunnerOptions {
  /** JOBCTL_SERVER of every process (a --server flag still wins). */
  readonly server: string;
  /** A directory for the private contexts file (it is never created unless a verb writes it). */
  readonly dir: string;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/** A running jobctl process whose output can be awaited line by line. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<CliResult>;
  private waiters = new Set<() => void>();

  constructor(readonly proc: ChildProcess) {
    proc.stdout?.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      this.notify();
    });
    proc.stderr?.setEncoding('utf8').on('data', (s: string) => {
      this.stderr += s;
      this.notify();
    });
    this.exited = new Promise((resolve) =>
      proc.once('close', (code, signal) => {
        this.notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      }),
    );
  }

  /** Whole lines of stdout so far (a partial last line is left out). */
  lines(): string[] {
    const all = this.stdout.split('\n');
    all.pop();
    return all;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /**
   * Resolves with the lines once `test(lines)` holds; rejects after
   * `timeoutMs` or when the process exits first, with its output.
   */
  waitForLines(
    test: (lines: string[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<string[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (test(this.lines())) {
          done();
          resolve(this.lines());
        } else if (!this.running) {
          done();
          reject(new Error(`jobctl exited before ${what}\n${this.describe()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`),
        );
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends SIGINT (Ctrl-C) and returns the result once the process has exited. */
  interrupt(): Promise<CliResult> {
    if (this.running) this.proc.kill('SIGINT');
    return this.exited;
  }

  kill(): void {
    if (this.running) this.proc.kill('SIGKILL');
  }

  describe(): string {
    return `--- stdout\n${this.stdout}--- stderr\n${this.stderr}---`;
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** Starts jobctl processes against one cluster and remembers them, so after() can kill leftovers. */
export class CliRunner {
  private readonly procs = new Set<CliProcess>();

  constructor(private readonly opts: CliRunnerOptions) {}

  /** Starts `jobctl ARGS`; stdin is closed at once unless `stdin` is given. */
  start(args: readonly string[], stdin?: string): CliProcess {
    const proc = spawn(process.execPath, [jobctlPath, ...args], {
      env: {
        ...process.env,
        JOBCTL_SERVER: this.opts.server,
        JOBCTL_CONFIG: join(this.opts.dir, 'jobctl-config.yaml'),
        NO_COLOR: '1',
        ...this.opts.env,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    proc.stdin?.end(stdin ?? '');
    const p = new CliProcess(proc);
    this.procs.add(p);
    void p.exited.then(() => this.procs.delete(p));
    return p;
  }

  /** Runs `jobctl ARGS` to the end; SIGKILLs it after `timeoutMs` (the result then has signal set). */
  async run(args: readonly string[], timeoutMs = 60_000, stdin?: string): Promise<CliResult> {
    const p = this.start(args, stdin);
    const timer = setTimeout(() => p.kill(), timeoutMs);
    try {
      return await p.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILLs every process still running. */
  killAll(): void {
    for (const p of this.procs) p.kill();
  }
}
