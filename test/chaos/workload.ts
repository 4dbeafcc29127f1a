// The clients of a chaos run: concurrent loops applying, creating, updating, getting,
// listing and deleting Jobs through the public gRPC API (GrpcClient), each op recorded
// with its invocation and completion time and result; and watchers following every
// Job change. Register Jobs (`reg-*`) are suspended, so only the clients change them;
// work Jobs (`work-*`) run Runs and are never deleted, so their ends can be checked.
import { GrpcClient, UnreachableError } from '../../pkg/transport/grpc-client.js';
import type { Resource, ResourceInput } from '../../pkg/store/index.js';
import { ConnectionError } from '../../pkg/transport/errors.js';
import { JobctlError, Reason, errorMessage } from '../../pkg/util/errors.js';
import type { Rng } from '../../pkg/util/rng.js';
import type { Observed, Op, OpKind, OpResult, WatchRecord, WatchSegment } from './history.js';

export const VALUE_LABEL = 'chaos.v';
export const NAMESPACE = 'default';

export interface WorkloadOptions {
  readonly rng: Rng;
  /** Every node's address, by id. */
  readonly addresses: ReadonlyMap<number, string>;
  readonly clients: number;
  readonly watchers: number;
  readonly registerKeys: number;
  /** Work Jobs each client creates over the run. */
  readonly workJobsPerClient: number;
  readonly image: string;
  /** The command of a work Job's Runs. */
  readonly workCommand: readonly string[];
  readonly elapsed: () => number;
}

export function observed(obj: Resource | undefined): Observed | undefined {
  if (!obj) return undefined;
  return {
    value: obj.metadata.labels?.[VALUE_LABEL] ?? '',
    rv: Number(obj.metadata.resourceVersion),
  };
}

function jobManifest(name: string, value: string, spec: Record<string, unknown>): ResourceInput {
  return {
    apiVersion: 'jobctl.dev/v1',
    kind: 'Job',
    metadata: { name, namespace: NAMESPACE, labels: { [VALUE_LABEL]: value } },
    spec,
  } as unknown as ResourceInput;
}

/** How an error counts: a semantic answer or a never-sent call failed; anything else is in doubt. */
function classify(
  kind: OpKind,
  err: unknown,
  pinned: boolean,
): { result: OpResult; error: string } {
  const reason = err instanceof JobctlError ? err.reason : 'Error';
  if (reason === Reason.NotFound || reason === Reason.AlreadyExists || reason === Reason.Invalid)
    return { result: 'fail', error: reason };
  const reads = kind === 'get' || kind === 'list';
  if (reads) return { result: 'fail', error: `${reason}: ${errorMessage(err)}` };
  // The node refused to propose (no leader known): the entry was never appended.
  if (reason === Reason.Unavailable && /proposal dropped/.test(errorMessage(err)))
    return { result: 'fail', error: `${reason}: ${errorMessage(err)}` };
  // A client of one server whose connection was refused never sent the call.
  if (pinned && err instanceof UnreachableError && /ECONNREFUSED/.test(errorMessage(err)))
    return { result: 'fail', error: `${reason}: ${errorMessage(err)}` };
  // Non-idempotent calls are tried on another server only when never sent, so an
  // UnreachableError means no server got them. apply is retried after a drop: in doubt.
  if (err instanceof UnreachableError && kind !== 'apply')
    return { result: 'fail', error: `${reason}: ${errorMessage(err)}` };
  if (
    err instanceof ConnectionError &&
    /ECONNREFUSED|No connection established/.test(err.message) &&
    kind !== 'apply'
  )
    return { result: 'fail', error: `${reason}: ${errorMessage(err)}` };
  return { result: 'unknown', error: `${reason}: ${errorMessage(err)}` };
}

export class Workload {
  readonly ops: Op[] = [];
  readonly watches: WatchRecord[] = [];
  private nextId = 0;
  private stopped = false;
  /** Watches outlive the clients: after healing they must still catch up (relisting on Gone). */
  private watchesStopped = false;
  private readonly abort = new AbortController();
  private readonly clientsOpen: GrpcClient[] = [];
  private loops: Promise<void>[] = [];
  readonly registerSpec: Record<string, unknown>;
  readonly workSpec: Record<string, unknown>;
  /** A work Job whose Runs all fail: retries with back-off until backoffLimit. */
  readonly failingSpec: Record<string, unknown>;

  constructor(private readonly o: WorkloadOptions) {
    this.registerSpec = { image: o.image, command: ['sh', '-c', 'exit 0'], suspend: true };
    this.workSpec = {
      image: o.image,
      command: [...o.workCommand],
      completions: 3,
      parallelism: 2,
      backoffLimit: 20,
    };
    this.failingSpec = {
      image: o.image,
      command: ['sh', '-c', 'sleep 1; exit 3'],
      completions: 1,
      parallelism: 1,
      backoffLimit: 2,
    };
  }

  private client(node: number | undefined): GrpcClient {
    const servers =
      node === undefined ? [...this.o.addresses.values()] : [this.o.addresses.get(node) as string];
    const c = new GrpcClient({ servers, timeoutMs: 4000, watchReconnectMs: 120_000 });
    this.clientsOpen.push(c);
    return c;
  }

  /** The nodes a watcher is pinned to (start() pins the same ones). */
  pinnedWatchNodes(): number[] {
    const ids = [...this.o.addresses.keys()];
    const out: number[] = [];
    for (let w = 0; w < this.o.watchers; w += 2) out.push(ids[(w / 2 + 1) % ids.length] as number);
    return out;
  }

  start(): void {
    const ids = [...this.o.addresses.keys()];
    for (let c = 0; c < this.o.clients; c++) {
      // Half the clients pin one node (they see its partitions and restarts); the
      // others fail over between all of them.
      const node = c % 2 === 0 ? ids[(c / 2) % ids.length] : undefined;
      this.loops.push(this.clientLoop(c, node, this.o.rng.fork()));
    }
    for (let w = 0; w < this.o.watchers; w++) {
      const node = w % 2 === 0 ? ids[(w / 2 + 1) % ids.length] : undefined;
      this.loops.push(this.watchLoop(w, node));
    }
  }

  private async record(
    client: number,
    node: number | undefined,
    kind: OpKind,
    key: string | undefined,
    value: string | undefined,
    fn: () => Promise<{ out?: Observed | undefined; items?: Record<string, Observed> }>,
  ): Promise<void> {
    const op: Op = {
      id: this.nextId++,
      client,
      node,
      kind,
      key,
      value,
      invokeMs: this.o.elapsed(),
    };
    this.ops.push(op);
    try {
      const r = await fn();
      op.completeMs = this.o.elapsed();
      op.result = 'ok';
      op.out = r.out;
      op.items = r.items;
    } catch (err) {
      const c = classify(kind, err, node !== undefined);
      op.result = c.result;
      op.error = c.error;
      if (c.result !== 'unknown') op.completeMs = this.o.elapsed();
    }
  }

  private async clientLoop(c: number, node: number | undefined, rng: Rng): Promise<void> {
    const client = this.client(node);
    let seq = 0;
    let work = 0;
    const regKey = (): string => `reg-${rng.int(0, this.o.registerKeys)}`;
    while (!this.stopped) {
      const value = `c${c}-${seq++}`;
      const p = rng.next();
      if (p < 0.05 && work < this.o.workJobsPerClient) {
        const key = `work-${c}-${work++}`;
        await this.record(c, node, 'create', key, value, async () => ({
          out: observed(
            await client.create(
              jobManifest(key, value, work % 3 === 0 ? this.failingSpec : this.workSpec),
            ),
          ),
        }));
      } else if (p < 0.3) {
        const key = regKey();
        await this.record(c, node, 'get', key, undefined, async () => ({
          out: observed(await client.get('jobs', NAMESPACE, key)),
        }));
      } else if (p < 0.4) {
        await this.record(c, node, 'list', undefined, undefined, async () => {
          const l = await client.list('jobs', { namespace: NAMESPACE });
          const items: Record<string, Observed> = {};
          for (const o of l.items) items[o.metadata.name] = observed(o) as Observed;
          return { items };
        });
      } else if (p < 0.6) {
        const key = regKey();
        await this.record(c, node, 'apply', key, value, async () => ({
          out: observed((await client.apply(jobManifest(key, value, this.registerSpec))).object),
        }));
      } else if (p < 0.75) {
        const key = regKey();
        await this.record(c, node, 'update', key, value, async () => ({
          out: observed(await client.update(jobManifest(key, value, this.registerSpec))),
        }));
      } else if (p < 0.88) {
        const key = regKey();
        await this.record(c, node, 'create', key, value, async () => ({
          out: observed(await client.create(jobManifest(key, value, this.registerSpec))),
        }));
      } else {
        const key = regKey();
        await this.record(c, node, 'delete', key, undefined, async () => ({
          out: observed(await client.delete('jobs', NAMESPACE, key)),
        }));
      }
      await sleepMs(rng.int(20, 120));
    }
  }

  private async watchLoop(w: number, node: number | undefined): Promise<void> {
    const client = this.client(node);
    const rec: WatchRecord = { watcher: w, node, segments: [] };
    this.watches.push(rec);
    while (!this.watchesStopped) {
      let seg: WatchSegment | undefined;
      try {
        const l = await client.list('jobs', { namespace: NAMESPACE });
        const initial: Record<string, Observed> = {};
        for (const o of l.items) initial[o.metadata.name] = observed(o) as Observed;
        seg = { startRv: Number(l.resourceVersion), initial, events: [] };
        rec.segments.push(seg);
        for await (const ev of client.watch('jobs', {
          namespace: NAMESPACE,
          resourceVersion: l.resourceVersion,
          signal: this.abort.signal,
        })) {
          seg.events.push({
            type: ev.type,
            key: ev.object.metadata.name,
            rv: Number(ev.object.metadata.resourceVersion),
            value: ev.object.metadata.labels?.[VALUE_LABEL],
            atMs: this.o.elapsed(),
          });
        }
        if (!this.watchesStopped) seg.endedBy = 'stream ended';
      } catch (err) {
        if (seg) seg.endedBy = errorMessage(err);
        if (!this.watchesStopped) await sleepMs(200);
      }
    }
  }

  /** Stops issuing ops, waits for the loops (in-flight calls end within their time-out). */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops.filter((_, i) => i < this.o.clients));
  }

  /** Ends the watches (after the final checks have compared them). */
  async stopWatches(): Promise<void> {
    this.stopped = true;
    this.watchesStopped = true;
    this.abort.abort();
    await Promise.all(this.loops);
    for (const c of this.clientsOpen) c.close();
  }
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
