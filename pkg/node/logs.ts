// RunLogs: the node's LogsClient, the store/Raft end of the logs service
// (DESIGN.md §3 "Logs"; pkg/api/stack.ts). Any node serves the output of any
// Run:
//
//   1. resolve the Run: by uid (this node's replica, when it has it bound),
//      by name, or the Job's latest Run (highest attempt) — linearizable
//      reads through the node's client;
//   2. with follow, wait until the Run is bound to a node (or ends unbound);
//   3. bound here: stream readRunLog() from this node's data dir, finished
//      when this node's replica of the store has the Run final (or gone);
//      bound elsewhere: proxy the stream from that node (its address from the
//      Node object's status.raft.address, else the --peers map), asking it
//      for the Run's uid with localOnly so it never proxies again;
//   4. that node unreachable: serve the copy of the Run's output that it
//      handed to other nodes when the Run finished (pkg/agent/log-copies.ts):
//      this node's own, else the first peer that keeps one (fromCopy). The
//      stream's info names both nodes, so the CLI says where the bytes come
//      from.
//
// Every stream starts with an info (onInfo): the Run served and the offset,
// in its whole output, of the bytes that follow, so a client whose serving
// node goes away resumes elsewhere at the exact byte (fromOffset).
import {
  LOG_COPY_CUT_NOTE,
  lastLines,
  readLogCopy,
  readRunLog,
  writeLogCopy,
} from '../agent/index.js';
import type {
  LogStreamInfo,
  LogsClient,
  LogsOptions,
  ResourceClient,
  RunLogCopy,
} from '../client/index.js';
import type { NodeId } from '../raft/index.js';
import { isFinalRunPhase, type Node, type Run } from '../store/index.js';
import { abortableSleep } from '../reconcile/index.js';
import { realClock } from '../util/clock.js';
import { isBrokenStream } from '../transport/api-grpc.js';
import { JobctlError, Reason, errorMessage, isReason } from '../util/errors.js';

/** A peer's Logs stream (the gRPC ApiClient of that node). */
export type PeerLogs = (address: string, opts: LogsOptions) => AsyncIterable<Uint8Array>;

export interface RunLogsOptions {
  /** This node's Node name (node-<id>). */
  readonly nodeName: string;
  /** Where this node's runtime writes <dataDir>/logs/<runUid>.log. */
  readonly dataDir: string;
  /** The node's in-process client: linearizable reads to resolve the Run. */
  readonly client: ResourceClient;
  /** This node's replica: synchronous reads (is the Run finished? where is node X?). */
  readonly store: {
    get(kind: string, namespace: string, name: string): object | undefined;
    list(kind: string): { readonly items: readonly object[] };
  };
  /** The --peers map (fallback for a node's address). */
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly peerLogs: PeerLogs;
  /** Whether a peer stream's failure means the peer did not answer (default: isBrokenStream). */
  readonly isUnreachable?: (err: unknown) => boolean;
  /** Poll period while waiting for a Run to be bound. Default 200. */
  readonly pollMs?: number;
}

/** The largest copy a node accepts (the bound plus room for a line start). */
const MAX_COPY_BYTES = 2 * 1024 * 1024;

const COPY_CHUNK = 64 * 1024;

export class RunLogs implements LogsClient {
  private readonly pollMs: number;
  private readonly isUnreachable: (err: unknown) => boolean;

  constructor(private readonly o: RunLogsOptions) {
    this.pollMs = o.pollMs ?? 200;
    this.isUnreachable = o.isUnreachable ?? isBrokenStream;
  }

  logs(opts: LogsOptions): AsyncIterable<Uint8Array> {
    return this.stream(opts, opts.signal ?? new AbortController().signal);
  }

  /** Keeps another node's copy of a finished Run's output (see the file header). */
  async saveCopy(copy: RunLogCopy): Promise<void> {
    if (!copy.runUid || !copy.run || !copy.node) {
      throw new JobctlError(Reason.Invalid, 'a log copy needs run_uid, run_name and node');
    }
    if (copy.data.length > MAX_COPY_BYTES) {
      throw new JobctlError(Reason.Invalid, `a log copy holds at most ${MAX_COPY_BYTES} bytes`);
    }
    await writeLogCopy(this.o.dataDir, copy);
  }

  /** The chunks of the Run's output the request names. */
  private async *stream(req: LogsOptions, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const namespace = req.namespace || 'default';
    const follow = req.follow === true;
    if (req.localOnly) {
      if (!req.runUid) throw new JobctlError(Reason.Invalid, 'a local logs request needs run_uid');
      if (req.fromCopy) {
        const copy = await readLogCopy(this.o.dataDir, req.runUid);
        if (!copy)
          throw new JobctlError(Reason.NotFound, `no copy of the log of run ${req.runUid}`);
        yield* this.serveCopy(copy, req, undefined);
        return;
      }
      yield* this.local(namespace, req.run ?? '', req.runUid, req, follow, signal);
      return;
    }
    let run = await this.resolve(namespace, req);
    const notStarted = notStartedMessage(run, follow);
    if (notStarted) throw new JobctlError(Reason.BadRequest, notStarted);
    if (!run.spec.nodeName) {
      const bound = await this.waitForBinding(run, signal);
      if (!bound) return;
      run = bound;
    }
    const nodeName = run.spec.nodeName;
    const { name, uid } = run.metadata;
    if (nodeName === this.o.nodeName) {
      yield* this.local(namespace, name, uid, req, follow, signal);
      return;
    }
    const address = this.addressOf(nodeName);
    // Where the proxied stream got to: a copy then goes on from there.
    let offset: number | undefined = req.fromOffset;
    let delivered = false;
    let failure: unknown;
    if (address) {
      try {
        const onInfo = (info: LogStreamInfo): void => {
          offset = info.offset;
          req.onInfo?.(info);
        };
        for await (const chunk of this.o.peerLogs(address, {
          ...req,
          job: undefined,
          namespace,
          run: name,
          runUid: uid,
          localOnly: true,
          signal,
          onInfo,
        })) {
          delivered = true;
          if (offset !== undefined) offset += chunk.length;
          yield chunk;
        }
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (!this.isUnreachable(err)) {
          if (isReason(err, Reason.Unavailable) || !(err instanceof JobctlError)) {
            throw new JobctlError(
              Reason.Unavailable,
              `cannot fetch the logs of run "${name}" from node "${nodeName}" (${address}): ${errorMessage(err)}`,
            );
          }
          throw err;
        }
        failure = err;
      }
    }
    // The executing node did not answer: a finished Run's copy, if one is kept
    // (going on from where the proxied stream got to, when it got anywhere).
    if (!delivered || offset !== undefined) {
      const from = delivered ? offset : req.fromOffset;
      const rest: LogsOptions = { ...req, ...(from !== undefined ? { fromOffset: from } : {}) };
      if (yield* this.fromCopies(run, nodeName, rest, signal)) return;
    }
    const where = address
      ? `node "${nodeName}" (${address})`
      : `node "${nodeName}", whose address is unknown`;
    throw new JobctlError(
      Reason.Unavailable,
      `cannot fetch the logs of run "${name}" from ${where}${failure ? `: ${errorMessage(failure)}` : ''}; no other node keeps a copy`,
    );
  }

  /** This node's log file of the Run, following until the replica has it final or gone. */
  private local(
    namespace: string,
    name: string,
    uid: string,
    req: LogsOptions,
    follow: boolean,
    signal: AbortSignal,
  ): AsyncGenerator<Buffer> {
    const isFinished = (): boolean => {
      const run = name ? this.getLocal<Run>('Run', namespace, name) : undefined;
      if (!run || run.metadata.uid !== uid) return true;
      return isFinalRunPhase(run.status?.phase);
    };
    return readRunLog(this.o.dataDir, uid, {
      ...(req.tail !== undefined ? { tail: req.tail } : {}),
      ...(req.fromOffset !== undefined ? { fromOffset: req.fromOffset } : {}),
      follow,
      signal,
      isFinished,
      onOffset: (offset) =>
        req.onInfo?.({
          ...(offset !== undefined ? { offset } : {}),
          ...(name ? { run: name } : {}),
          runUid: uid,
        }),
    });
  }

  /**
   * The copy of a Run's output kept because `unreachable` executed it: this
   * node's own, else the first peer's that has one. False when none is kept.
   */
  private async *fromCopies(
    run: Run,
    unreachable: string,
    req: LogsOptions,
    signal: AbortSignal,
  ): AsyncGenerator<Uint8Array, boolean> {
    const { namespace, name, uid } = run.metadata;
    const own = await readLogCopy(this.o.dataDir, uid);
    if (own) {
      yield* this.serveCopy(own, req, unreachable);
      return true;
    }
    for (const peer of this.copyHolders(unreachable)) {
      let delivered = false;
      try {
        for await (const chunk of this.o.peerLogs(peer.address, {
          namespace,
          run: name,
          runUid: uid,
          localOnly: true,
          fromCopy: true,
          ...(req.tail !== undefined ? { tail: req.tail } : {}),
          ...(req.fromOffset !== undefined ? { fromOffset: req.fromOffset } : {}),
          signal,
          onInfo: (info) =>
            req.onInfo?.(
              info.copy ? { ...info, copy: { ...info.copy, unreachableNode: unreachable } } : info,
            ),
        })) {
          delivered = true;
          yield chunk;
        }
        return true;
      } catch (err) {
        if (signal.aborted) return true;
        if (delivered) throw err;
        if (!isReason(err, Reason.NotFound) && !this.isUnreachable(err)) throw err;
      }
    }
    return false;
  }

  /**
   * A kept copy as a stream: from req.fromOffset, or its last req.tail lines,
   * or whole — then opened by LOG_COPY_CUT_NOTE when output before it was left
   * out (before the info, so the note is not counted as output).
   */
  private async *serveCopy(
    copy: RunLogCopy,
    req: LogsOptions,
    unreachable: string | undefined,
  ): AsyncGenerator<Uint8Array> {
    let data: Buffer = Buffer.from(copy.data);
    let offset = copy.offset;
    let note = copy.cut;
    if (req.fromOffset !== undefined && offset !== undefined) {
      const skip = Math.min(data.length, Math.max(0, req.fromOffset - offset));
      data = data.subarray(skip);
      offset += skip;
      note = false;
    } else if (req.tail !== undefined) {
      const tailed = lastLines(data, req.tail);
      if (tailed.length < data.length) note = false;
      if (offset !== undefined) offset += data.length - tailed.length;
      data = tailed;
    }
    if (note) yield Buffer.from(LOG_COPY_CUT_NOTE);
    req.onInfo?.({
      ...(offset !== undefined ? { offset } : {}),
      run: copy.run,
      runUid: copy.runUid,
      copy: { node: this.o.nodeName, unreachableNode: unreachable ?? '', savedAt: copy.savedAt },
    });
    for (let i = 0; i < data.length; i += COPY_CHUNK) yield data.subarray(i, i + COPY_CHUNK);
  }

  /** Nodes that may keep a copy of a Run `executor` ran: the others, Ready ones first. */
  private copyHolders(executor: string): { name: string; address: string }[] {
    const nodes = this.o.store.list('Node').items as Node[];
    const out: { name: string; address: string; ready: boolean }[] = [];
    for (const n of nodes) {
      const nodeName = n.metadata.name;
      if (nodeName === executor || nodeName === this.o.nodeName) continue;
      const address = this.addressOf(nodeName);
      if (!address) continue;
      const ready = (n.status?.conditions ?? []).some(
        (c) => c.type === 'Ready' && c.status === 'True',
      );
      out.push({ name: nodeName, address, ready });
    }
    return out.sort((a, b) => Number(b.ready) - Number(a.ready));
  }

  /** The Run the request names (NotFound with a clear message otherwise). */
  private async resolve(namespace: string, req: LogsOptions): Promise<Run> {
    const c = this.o.client;
    if (req.run && req.runUid) {
      // A Run named by uid and already bound here needs no Raft round trip
      // (a client resuming a stream while a new leader is elected).
      const known = this.getLocal<Run>('Run', namespace, req.run);
      if (known?.metadata.uid === req.runUid && known.spec.nodeName) return known;
    }
    if (req.run) {
      const run = await c.get('Run', namespace, req.run);
      if (req.runUid && run.metadata.uid !== req.runUid) {
        throw new JobctlError(Reason.NotFound, `runs "${req.run}" not found (uid changed)`);
      }
      return run;
    }
    if (req.runUid) {
      const { items } = await c.list('Run', { namespace });
      const run = items.find((r) => r.metadata.uid === req.runUid);
      if (!run) throw new JobctlError(Reason.NotFound, `no run with uid ${req.runUid}`);
      return run;
    }
    if (req.job) {
      const listed = await c.list('Run', {
        namespace,
        fieldSelector: `spec.jobName=${req.job}`,
      });
      const latest = latestRun(listed.items);
      if (latest) return latest;
      await c.get('Job', namespace, req.job); // NotFound: jobs "x" not found
      throw new JobctlError(Reason.NotFound, `job "${req.job}" has no runs yet`);
    }
    throw new JobctlError(Reason.Invalid, 'logs: name a run or a job');
  }

  /** Waits (this node's replica) until the Run is bound; undefined if it ended or went first. */
  private async waitForBinding(run: Run, signal: AbortSignal): Promise<Run | undefined> {
    const { namespace, name, uid } = run.metadata;
    for (;;) {
      const cur = this.getLocal<Run>('Run', namespace, name);
      if (!cur || cur.metadata.uid !== uid) return undefined;
      if (cur.spec.nodeName) return cur;
      if (isFinalRunPhase(cur.status?.phase)) return undefined;
      await abortableSleep(realClock, this.pollMs, signal);
      if (signal.aborted) return undefined;
    }
  }

  /** This node's replica's copy of an object (no Raft round trip). */
  private getLocal<T>(kind: string, namespace: string, name: string): T | undefined {
    return this.o.store.get(kind, namespace, name) as T | undefined;
  }

  /** A node's gRPC address: its Node object's status.raft.address, else --peers. */
  addressOf(nodeName: string): string | undefined {
    const node = this.getLocal<Node>('Node', '', nodeName);
    const raft = node?.status?.raft;
    if (raft?.address) return raft.address;
    const id = raft?.id ?? Number(/^node-(\d+)$/.exec(nodeName)?.[1]);
    return Number.isInteger(id) ? this.o.peers.get(id) : undefined;
  }
}

/**
 * Why a Run has no output to show, as `kubectl logs` says of a container that is
 * waiting to start: a Run that ended without ever getting a container (its image
 * could not be pulled, it was cancelled or its node shut down first), or, unless
 * following, one not scheduled yet. Undefined when there may be output.
 */
export function notStartedMessage(run: Run, follow: boolean): string | undefined {
  const { name } = run.metadata;
  const status = run.status;
  if (isFinalRunPhase(status?.phase) && !status?.containerID && status?.phase !== 'Lost') {
    const why = [status?.reason, status?.message].filter(Boolean).join(': ');
    return `run "${name}" did not start${why ? `: ${why}` : ''}`;
  }
  if (!run.spec.nodeName && !follow) {
    const why = status?.message ? `: ${status.message}` : '';
    return `run "${name}" has not started: it is waiting to be scheduled${why}`;
  }
  return undefined;
}

/** The Run with the highest attempt (then the newest). */
export function latestRun(runs: readonly Run[]): Run | undefined {
  let best: Run | undefined;
  for (const r of runs) {
    if (
      !best ||
      r.spec.attempt > best.spec.attempt ||
      (r.spec.attempt === best.spec.attempt &&
        (r.metadata.creationTimestamp ?? '') > (best.metadata.creationTimestamp ?? ''))
    ) {
      best = r;
    }
  }
  return best;
}
