// Copies of finished Runs' output kept on other nodes, so that `jobctl logs`
// outlives the node that executed a Run (docs/operations.md, "Logs").
//
// The executing node takes the tail of its log (takeLogCopy: the last
// LOG_COPY_MAX_BYTES, from a line start, flagged `cut` when output was left
// out) and hands it to other nodes over the node-to-node API (LogCopier, with
// a LogCopySender from pkg/node); each of them keeps it in
// <dataDir>/logs/copies/<runUid>.log: one JSON header line (which Run, which
// node ran it, when, the offset of its first byte), then the bytes. The copy
// is not replicated through Raft: a log is no cluster state, and 1 MiB per Run
// would swell every snapshot. A line of <dataDir>/logs/copied.journal records
// that the copy was handed over, so a restarted agent does not copy again (one
// journal, a write per hand-over; before, a marker file <runUid>.copied per
// Run, which a restarted agent still honours).
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunLogCopy } from '../client/index.js';
import {
  closeFdSync,
  inDir,
  LineJournal,
  openFd,
  readJournal,
  readKeptLog,
  readSmallKeptLogSync,
  writeAll,
} from '../runtime/index.js';
import type { Run } from '../store/index.js';
import { silentLogger, type Logger } from '../reconcile/index.js';
import { errorMessage } from '../util/errors.js';
import { runLogDir, runLogPath } from './paths.js';

/** How much of a Run's output a copy keeps: the last 1 MiB. */
export const LOG_COPY_MAX_BYTES = 1024 * 1024;

/** The line a copy's reader sees before output that was left out. */
export const LOG_COPY_CUT_NOTE = '[jobctl: log cut to the last 1 MiB]\n';

/** A Run a copy belongs to. */
export interface LogCopyRef {
  readonly namespace: string;
  readonly run: string;
  readonly runUid: string;
}

export function logCopyDir(dataDir: string): string {
  return join(runLogDir(dataDir), 'copies');
}

/** Where a node keeps its copy of another node's Run (a uid that is not a file name is Invalid). */
export function logCopyPath(dataDir: string, runUid: string): string {
  const own = runLogPath(dataDir, runUid); // validates the uid
  return join(logCopyDir(dataDir), own.slice(runLogDir(dataDir).length + 1));
}

/** The journal of the Runs whose copies this node handed over: a JSON line each. */
export function copiedJournalPath(dataDir: string): string {
  return join(runLogDir(dataDir), 'copied.journal');
}

/** A Run's marker before the journal (still honoured, never written). */
export const LEGACY_COPIED_MARKER = '.copied';

interface CopiedLine {
  readonly uid: string;
  readonly run: string;
  readonly to: string;
}

/** The Runs a node's earlier runs handed over, by uid: the journal's and the legacy markers'. */
async function readCopied(dataDir: string): Promise<Set<string>> {
  const copied = new Set<string>();
  for (const line of await readJournal(copiedJournalPath(dataDir))) {
    try {
      const l = JSON.parse(line) as Partial<CopiedLine>;
      if (typeof l.uid === 'string') copied.add(l.uid);
    } catch {
      // A line cut by a crash: that Run is copied again.
    }
  }
  const names = await readdir(runLogDir(dataDir)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.endsWith(LEGACY_COPIED_MARKER)) {
      copied.add(name.slice(0, -LEGACY_COPIED_MARKER.length));
    }
  }
  return copied;
}

/**
 * The copy of this node's log of a Run: its last `maxBytes` (from the first
 * line start within them, so the copy does not open mid-line), or undefined
 * when this node has no log of it.
 */
export async function takeLogCopy(
  dataDir: string,
  ref: LogCopyRef,
  node: string,
  savedAt: Date,
  maxBytes = LOG_COPY_MAX_BYTES,
): Promise<RunLogCopy | undefined> {
  const path = runLogPath(dataDir, ref.runUid);
  // A finished Run's log is nearly always small: read at once, without the thread pool.
  const kept = readSmallKeptLogSync(path) ?? (await readKeptLog(path));
  // Neither the log nor its rotated half exists: this node has no log of the Run.
  if (kept.ino === 0 && kept.data.length === 0) return undefined;
  let data = kept.data;
  let start = kept.start;
  let cut = start !== 0;
  if (data.length > maxBytes) {
    let from = data.length - maxBytes;
    const nl = data.indexOf(0x0a, from);
    if (nl >= 0 && nl < data.length - 1) from = nl + 1;
    data = data.subarray(from);
    if (start !== undefined) start += from;
    cut = true;
  }
  return {
    ...ref,
    node,
    savedAt: savedAt.toISOString(),
    ...(start !== undefined ? { offset: start } : {}),
    cut,
    data,
  };
}

interface CopyHeader {
  readonly v: 1;
  readonly namespace: string;
  readonly run: string;
  readonly runUid: string;
  readonly node: string;
  readonly savedAt: string;
  readonly offset: number | null;
  readonly cut: boolean;
  /**
   * How many bytes follow the header line: a copy with fewer was cut short
   * (a crash, a full disk, or a reader early) and is not there. Copies
   * written before this field had none and are read as they are.
   */
  readonly bytes?: number;
}

/**
 * Keeps `copy` on this node. A Run's first copy here (nearly always the only
 * one) is created and written in place, exclusively: a reader tells a copy
 * still being written, or one a crash cut short, by its header's `bytes`, so
 * the temporary file and the rename (two more thread-pool hand-offs a Run on
 * the peer) are left for a copy that replaces another, which must never be
 * seen half-way.
 */
export async function writeLogCopy(dataDir: string, copy: RunLogCopy): Promise<void> {
  const path = logCopyPath(dataDir, copy.runUid);
  const header: CopyHeader = {
    v: 1,
    namespace: copy.namespace,
    run: copy.run,
    runUid: copy.runUid,
    node: copy.node,
    savedAt: copy.savedAt,
    offset: copy.offset ?? null,
    cut: copy.cut,
    bytes: copy.data.length,
  };
  const bytes = Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), copy.data]);
  const fd = await inDir(path, () => openFd(path, 'wx')).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'EEXIST') return undefined;
    throw err;
  });
  if (fd === undefined) {
    const tmp = `${path}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return;
  }
  try {
    await writeAll(fd, bytes);
  } catch (err) {
    closeFdSync(fd);
    // Not a copy (its `bytes` says so); gone, so that no listing shows it either.
    await rm(path, { force: true }).catch(() => undefined);
    throw err;
  }
  const err = closeFdSync(fd);
  if (err) throw err;
}

function parseHeader(line: string): CopyHeader | undefined {
  try {
    const h = JSON.parse(line) as Partial<CopyHeader>;
    if (h.v !== 1 || typeof h.runUid !== 'string' || typeof h.node !== 'string') return undefined;
    return h as CopyHeader;
  } catch {
    return undefined;
  }
}

/** The copy this node keeps of a Run, or undefined. */
export async function readLogCopy(
  dataDir: string,
  runUid: string,
): Promise<RunLogCopy | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(logCopyPath(dataDir, runUid));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const nl = buf.indexOf(0x0a);
  const h = nl < 0 ? undefined : parseHeader(buf.subarray(0, nl).toString('utf8'));
  if (!h || (h.bytes !== undefined && buf.length - nl - 1 !== h.bytes)) return undefined;
  return {
    namespace: h.namespace,
    run: h.run,
    runUid: h.runUid,
    node: h.node,
    savedAt: h.savedAt,
    ...(h.offset !== null ? { offset: h.offset } : {}),
    cut: h.cut,
    data: buf.subarray(nl + 1),
  };
}

/**
 * The uids of the Runs this node keeps copies of, from the file names alone
 * (<uid>.log): the janitor needs no header to tell a copy of a Run that is
 * gone, and reads none (one open and read per copy and sweep, 20,000 a minute
 * per node after a 10,000-Job drain).
 */
export async function listLogCopyUids(dataDir: string): Promise<string[]> {
  const names = await readdir(logCopyDir(dataDir)).catch(() => [] as string[]);
  return names.filter((n) => n.endsWith('.log')).map((n) => n.slice(0, -'.log'.length));
}

export async function removeLogCopy(dataDir: string, runUid: string): Promise<void> {
  await rm(logCopyPath(dataDir, runUid), { force: true });
}

/** Hands copies to other nodes. */
export interface LogCopySender {
  /**
   * Per copy, in order: the names of the nodes that keep it ([] when there
   * is no other node), or why none took it. Never rejects.
   */
  sendMany(copies: readonly RunLogCopy[]): Promise<Array<readonly string[] | Error>>;
}

/** The most Runs one hand-over carries. */
export const LOG_COPY_BATCH_RUNS = 64;
/** A hand-over takes no further Run once its copies hold this many bytes. */
export const LOG_COPY_BATCH_BYTES = 8 * 1024 * 1024;

export interface LogCopierOptions {
  readonly dataDir: string;
  /** This node's name (the copies say who ran the Run). */
  readonly nodeName: string;
  readonly sender: LogCopySender;
  readonly logger?: Logger;
  readonly now?: () => Date;
  readonly maxBytes?: number;
  /** Default LOG_COPY_BATCH_RUNS. */
  readonly batchRuns?: number;
}

/**
 * Copies the log of each finished Run offered (the agent offers every final
 * Run bound to this node), once: a Run in the journal (or with a legacy
 * marker) is skipped, a failed copy is tried again when the Run is offered
 * again or at the next retryFailed() (the agent's container sweep, 30 s). The Runs offered while a hand-over is in flight go together in the
 * next one (one call per peer for all of them, PeerLogCopySender): batches
 * form under load and cost nothing when idle, with no timer.
 */
export class LogCopier {
  private readonly done = new Set<string>();
  private readonly pending = new Map<string, LogCopyRef>();
  /** The Runs whose copy failed, until retryFailed() offers them again. */
  private readonly failed = new Map<string, LogCopyRef>();
  private readonly journal: LineJournal;
  /**
   * The Runs an earlier process handed over (read once, on the first hand-over);
   * each moves to `done` when offered, or is dropped when forgotten. One of a Run
   * deleted while this node was down stays until the process ends; the journal
   * keeps a line per copied Run, as the marker files before it kept a file.
   */
  private copiedBefore: Promise<Set<string>> | undefined;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private readonly logger: Logger;
  /** Copies handed over (tests, metrics). */
  copied = 0;
  /** Hand-overs made, each with one or more copies (tests). */
  batches = 0;

  constructor(private readonly o: LogCopierOptions) {
    this.logger = o.logger ?? silentLogger;
    this.journal = new LineJournal(copiedJournalPath(o.dataDir));
  }

  /** A Run bound here is final (its container gone): copy its log unless done. */
  offer(run: Run): void {
    const uid = run.metadata.uid;
    if (this.stopped || this.done.has(uid) || this.pending.has(uid)) return;
    this.failed.delete(uid);
    this.pend({ namespace: run.metadata.namespace, run: run.metadata.name, runUid: uid });
  }

  /** Tries again every copy that failed (no peer answered, say) and was not offered since. */
  retryFailed(): void {
    if (this.stopped) return;
    const refs = [...this.failed.values()];
    this.failed.clear();
    for (const ref of refs) this.pend(ref);
  }

  private pend(ref: LogCopyRef): void {
    this.pending.set(ref.runUid, ref);
    // drain() clears `draining` in the same turn as it finds nothing pending,
    // so a Run offered after that starts a new drain.
    this.draining ??= this.drain();
  }

  /** The Run is gone: nothing more to remember about it. */
  forget(runUid: string): void {
    this.done.delete(runUid);
    this.pending.delete(runUid);
    this.failed.delete(runUid);
    void this.copiedBefore?.then((before) => before.delete(runUid));
  }

  /**
   * Drops the journal's lines of the Runs `isGone` names (the janitor, once
   * their logs are removed), and any line a crash cut short.
   */
  compactJournal(isGone: (runUid: string) => boolean): Promise<number> {
    return this.journal.compact((line) => {
      try {
        const l = JSON.parse(line) as Partial<CopiedLine>;
        return typeof l.uid === 'string' && !isGone(l.uid);
      } catch {
        return false;
      }
    });
  }

  /** Stops after the hand-over in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending.clear();
    this.failed.clear();
    await this.draining;
    await this.journal.close();
  }

  /** Resolves once every offered Run has been tried (tests). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    for (;;) {
      if (this.stopped || this.pending.size === 0) {
        this.draining = undefined;
        return;
      }
      const taken: LogCopyRef[] = [];
      try {
        await this.copyBatch(taken);
      } catch (err) {
        // Not expected (copyBatch handles each copy's failure): all of them
        // are tried again at the next retryFailed().
        this.logger.warn('run log hand-over failed; will try again', { err: errorMessage(err) });
        for (const ref of this.pending.values()) this.failed.set(ref.runUid, ref);
        this.pending.clear();
      } finally {
        for (const ref of taken) this.pending.delete(ref.runUid);
      }
    }
  }

  /** Takes the copies of the pending Runs (up to the bounds), recording each in `taken`, and hands them over. */
  private async copyBatch(taken: LogCopyRef[]): Promise<void> {
    const now = this.o.now?.() ?? new Date();
    const copies: RunLogCopy[] = [];
    let bytes = 0;
    const maxRuns = this.o.batchRuns ?? LOG_COPY_BATCH_RUNS;
    for (const ref of this.pending.values()) {
      if (taken.length >= maxRuns || bytes >= LOG_COPY_BATCH_BYTES || this.stopped) break;
      taken.push(ref);
      try {
        const copy = await this.take(ref, now);
        if (copy) {
          copies.push(copy);
          bytes += copy.data.length;
        }
      } catch (err) {
        this.warn(ref, err);
      }
    }
    if (copies.length === 0) return;
    this.batches++;
    const results = await this.o.sender
      .sendMany(copies)
      .catch((err: unknown) =>
        copies.map(() => (err instanceof Error ? err : new Error(String(err)))),
      );
    // By the copies' order, whatever order the markers are written in.
    const handed: ({ copy: RunLogCopy; nodes: readonly string[] } | undefined)[] = [];
    await Promise.all(
      copies.map(async (copy, i) => {
        const result = results[i] ?? new Error('the sender gave no answer for this copy');
        try {
          if (result instanceof Error) throw result;
          await this.handedOver(copy, result);
          handed[i] = { copy, nodes: result };
        } catch (err) {
          this.warn(copy, err);
        }
      }),
    );
    // One line per hand-over, not per Run: a line is a synchronous write to stderr.
    const lines = handed.filter((h) => h !== undefined);
    if (lines.length > 0) {
      this.logger.info('run logs copied', {
        runs: lines.map(({ copy }) => `${copy.namespace}/${copy.run}`),
        to: [...new Set(lines.flatMap(({ nodes }) => nodes))].join(','),
        bytes: lines.reduce((sum, { copy }) => sum + copy.data.length, 0),
      });
    }
  }

  /** The copy of a Run still to hand over, or undefined when there is none to make. */
  private async take(ref: LogCopyRef, now: Date): Promise<RunLogCopy | undefined> {
    this.copiedBefore ??= readCopied(this.o.dataDir).catch((err: unknown) => {
      this.logger.warn('cannot read which run logs were copied before; copying again', {
        err: errorMessage(err),
      });
      return new Set<string>();
    });
    if ((await this.copiedBefore).delete(ref.runUid)) {
      this.done.add(ref.runUid);
      return undefined;
    }
    const copy = await takeLogCopy(this.o.dataDir, ref, this.o.nodeName, now, this.o.maxBytes);
    if (!copy) this.done.add(ref.runUid); // no output was ever written here: nothing to keep
    return copy;
  }

  private async handedOver(copy: RunLogCopy, nodes: readonly string[]): Promise<void> {
    const line: CopiedLine = {
      uid: copy.runUid,
      run: `${copy.namespace}/${copy.run}`,
      to: nodes.join(','),
    };
    await this.journal.append(JSON.stringify(line));
    this.done.add(copy.runUid);
    this.copied++;
  }

  /** Logs a failed copy and keeps its Run (not the copy's bytes) for retryFailed(). */
  private warn(ref: LogCopyRef, err: unknown): void {
    const { namespace, run, runUid } = ref;
    if (!this.stopped) this.failed.set(runUid, { namespace, run, runUid });
    this.logger.warn('could not copy a run log to another node; will try again', {
      run: `${ref.namespace}/${ref.run}`,
      uid: ref.runUid,
      err: errorMessage(err),
    });
  }
}
