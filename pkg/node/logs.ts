// RunLogs: the node's LogsClient, the store/Raft end of the logs service
// (DESIGN.md §3 "Logs"; pkg/api/stack.ts). Any node serves the output of any
// Run:
//
//   1. resolve the Run: by uid, by name, or the Job's latest Run (highest
//      attempt) — linearizable reads through the node's client;
//   2. with follow, wait until the Run is bound to a node (or ends unbound);
//   3. bound here: stream readRunLog() from this node's data dir, finished
//      when this node's replica of the store has the Run final (or gone);
//      bound elsewhere: proxy the stream from that node (its address from the
//      Node object's status.raft.address, else the --peers map), asking it
//      for the Run's uid with localOnly so it never proxies again.
import { readRunLog } from '../agent/index.js';
import type { LogsClient, LogsOptions, ResourceClient } from '../client/index.js';
import type { NodeId } from '../raft/index.js';
import { isFinalRunPhase, type Node, type Run } from '../store/index.js';
import { abortableSleep } from '../reconcile/index.js';
import { realClock } from '../util/clock.js';
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
  readonly store: { get(kind: string, namespace: string, name: string): object | undefined };
  /** The --peers map (fallback for a node's address). */
  readonly peers: ReadonlyMap<NodeId, string>;
  readonly peerLogs: PeerLogs;
  /** Poll period while waiting for a Run to be bound. Default 200. */
  readonly pollMs?: number;
}

export class RunLogs implements LogsClient {
  private readonly pollMs: number;

  constructor(private readonly o: RunLogsOptions) {
    this.pollMs = o.pollMs ?? 200;
  }

  logs(opts: LogsOptions): AsyncIterable<Uint8Array> {
    return this.stream(opts, opts.signal ?? new AbortController().signal);
  }

  /** The chunks of the Run's output the request names. */
  private async *stream(req: LogsOptions, signal: AbortSignal): AsyncGenerator<Uint8Array> {
    const namespace = req.namespace || 'default';
    const tail = req.tail;
    const follow = req.follow === true;
    if (req.localOnly) {
      if (!req.runUid) throw new JobctlError(Reason.Invalid, 'a local logs request needs run_uid');
      yield* this.local(namespace, req.run ?? '', req.runUid, tail, follow, signal);
      return;
    }
    let run = await this.resolve(namespace, req);
    if (!run.spec.nodeName) {
      if (!follow) return; // not scheduled yet: no output so far
      const bound = await this.waitForBinding(run, signal);
      if (!bound) return;
      run = bound;
    }
    const nodeName = run.spec.nodeName;
    const { name, uid } = run.metadata;
    if (nodeName === this.o.nodeName) {
      yield* this.local(namespace, name, uid, tail, follow, signal);
      return;
    }
    const address = this.addressOf(nodeName);
    if (!address) {
      throw new JobctlError(
        Reason.Unavailable,
        `run "${name}" ran on node "${nodeName}", whose address is unknown`,
      );
    }
    try {
      yield* this.o.peerLogs(address, {
        ...req,
        job: undefined,
        namespace,
        run: name,
        runUid: uid,
        localOnly: true,
        signal,
      });
    } catch (err) {
      if (signal.aborted) return;
      if (isReason(err, Reason.Unavailable) || !(err instanceof JobctlError)) {
        throw new JobctlError(
          Reason.Unavailable,
          `cannot fetch the logs of run "${name}" from node "${nodeName}" (${address}): ${errorMessage(err)}`,
        );
      }
      throw err;
    }
  }

  /** This node's log file of the Run, following until the replica has it final or gone. */
  private local(
    namespace: string,
    name: string,
    uid: string,
    tail: number | undefined,
    follow: boolean,
    signal: AbortSignal,
  ): AsyncGenerator<Buffer> {
    const isFinished = (): boolean => {
      const run = name ? this.getLocal<Run>('Run', namespace, name) : undefined;
      if (!run || run.metadata.uid !== uid) return true;
      return isFinalRunPhase(run.status?.phase);
    };
    return readRunLog(this.o.dataDir, uid, {
      ...(tail !== undefined ? { tail } : {}),
      follow,
      signal,
      isFinished,
    });
  }

  /** The Run the request names (NotFound with a clear message otherwise). */
  private async resolve(namespace: string, req: LogsOptions): Promise<Run> {
    const c = this.o.client;
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
  private addressOf(nodeName: string): string | undefined {
    const node = this.getLocal<Node>('Node', '', nodeName);
    const raft = node?.status?.raft;
    if (raft?.address) return raft.address;
    const id = raft?.id ?? Number(/^node-(\d+)$/.exec(nodeName)?.[1]);
    return Number.isInteger(id) ? this.o.peers.get(id) : undefined;
  }
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
