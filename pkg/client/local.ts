// LocalClient: the in-process ResourceClient a node's controllers and API
// server use. Reads come from the node's ResourceStore (after an optional
// readBarrier, e.g. a Raft ReadIndex round, for linearizable reads); writes are
// store commands proposed through a Proposer (Raft on a node, DirectProposer in
// tests). Every nondeterministic choice a command carries (timestamp, uid,
// generated name suffix) is made here, once, from injected sources.
import { randomUUID } from 'node:crypto';
import {
  continueRevision,
  resultError,
  type Command,
  type CommandResult,
  type ObjectResult,
  ofKind,
  type Proposer,
  type ResourceInput,
  type ResourceOf,
  type ResourceStore,
  type SingleCommand,
  type WatchEvent,
  type WatchHandle,
} from '../store/index.js';
import { realClock, type Clock } from '../util/clock.js';
import { JobctlError, Reason } from '../util/errors.js';
import type {
  ApplyOptions,
  ApplyResult,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  ResourceClient,
  WatchOptions,
} from './types.js';
import { DEFAULT_WATCH_BUFFER, WatchQueue } from './watch-queue.js';

export interface LocalClientOptions {
  readonly store: ResourceStore;
  readonly proposer: Proposer;
  /** Source of creation/deletion timestamps (default: the real clock). */
  readonly clock?: Clock;
  /** New object uids (default crypto.randomUUID). */
  readonly newUid?: () => string;
  /** Suffixes for metadata.generateName (default 5 random [a-z0-9] characters). */
  readonly nameSuffix?: () => string;
  /**
   * Awaited before linearizable reads and before a watch without a
   * resourceVersion starts (Raft ReadIndex on a node). Absent: reads are local.
   */
  readonly readBarrier?: () => Promise<void>;
  /** Live events buffered per watch before a slow consumer gets Gone (default 10,000). */
  readonly watchBuffer?: number;
}

const SUFFIX_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes-style generateName suffix: 5 characters without vowels (no accidental words). */
export function randomNameSuffix(): string {
  const bytes = randomUUID().replace(/-/g, '');
  let out = '';
  for (let i = 0; i < 5; i++) {
    const n = parseInt(bytes.slice(i * 2, i * 2 + 2), 16);
    out += SUFFIX_ALPHABET[n % SUFFIX_ALPHABET.length];
  }
  return out;
}

export class LocalClient implements ResourceClient {
  private readonly store: ResourceStore;
  private readonly proposer: Proposer;
  private readonly clock: Clock;
  private readonly newUid: () => string;
  private readonly nameSuffix: () => string;
  private readonly opts: LocalClientOptions;
  /** Open watches, ended by close(). */
  private readonly watches = new Set<WatchQueue>();
  private closed = false;

  constructor(opts: LocalClientOptions) {
    this.opts = opts;
    this.store = opts.store;
    this.proposer = opts.proposer;
    this.clock = opts.clock ?? realClock;
    this.newUid = opts.newUid ?? randomUUID;
    this.nameSuffix = opts.nameSuffix ?? randomNameSuffix;
  }

  // -------------------------------------------------------------------------
  // Writes

  async apply<O extends ResourceInput>(
    object: O,
    opts: ApplyOptions = {},
  ): Promise<ApplyResult<ResourceOf<O['kind']>>> {
    const command: SingleCommand = {
      op: 'apply',
      now: this.now(),
      uid: this.newUid(),
      ...(opts.force ? { force: true } : {}),
      object,
    };
    const result =
      opts.dryRun === 'server' ? await this.dryRun(command) : await this.propose(command);
    return { outcome: result.outcome, object: ofKind<O['kind']>(object.kind, result.object) };
  }

  async create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    const needsSuffix = !object.metadata?.name && Boolean(object.metadata?.generateName);
    const result = await this.propose({
      op: 'create',
      now: this.now(),
      uid: this.newUid(),
      ...(needsSuffix ? { nameSuffix: this.nameSuffix() } : {}),
      object,
    });
    return ofKind<O['kind']>(object.kind, result.object);
  }

  async update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    const result = await this.propose({ op: 'update', object });
    return ofKind<O['kind']>(object.kind, result.object);
  }

  async updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    if (object.status === undefined) {
      throw new JobctlError(Reason.Invalid, 'updateStatus needs an object with a status');
    }
    const result = await this.propose({
      op: 'updateStatus',
      object: object as ResourceInput & { status: unknown },
    });
    return ofKind<O['kind']>(object.kind, result.object);
  }

  async delete<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<ResourceOf<K>> {
    this.checkOpen();
    const info = this.store.kindInfo(kind);
    const command: SingleCommand = {
      op: 'delete',
      now: this.now(),
      kind: info.kind,
      namespace,
      name,
      ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    };
    const result =
      opts.dryRun === 'server' ? await this.dryRun(command) : await this.propose(command);
    return ofKind(kind, result.object);
  }

  // -------------------------------------------------------------------------
  // Reads

  async get<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts: GetOptions = {},
  ): Promise<ResourceOf<K>> {
    await this.barrier(opts.consistency);
    const info = this.store.kindInfo(kind);
    const object = this.store.get(kind, namespace, name);
    if (!object)
      throw new JobctlError(Reason.NotFound, `${info.plural} ${JSON.stringify(name)} not found`);
    return object;
  }

  async list<K extends string>(
    kind: K,
    opts: ListOptions = {},
  ): Promise<ListResult<ResourceOf<K>>> {
    // A page after the first reads on from the first page's revision: once
    // this store has applied that revision, a new ReadIndex round adds
    // nothing (the pages are not one snapshot anyway; a watch from the first
    // page's resourceVersion brings what changed between them). An informer
    // listing 100,000 objects in pages would otherwise wait for hundreds.
    const from = opts.continue ? continueRevision(opts.continue) : undefined;
    if (from !== undefined && from <= this.store.revision) this.checkOpen();
    else await this.barrier(opts.consistency);
    return this.store.list(kind, {
      namespace: opts.namespace,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      limit: opts.limit,
      continue: opts.continue,
    });
  }

  /**
   * Events of one kind as an async iterable. Each iteration opens its own
   * store watch when first pulled; leaving the loop, aborting `signal` or
   * close() ends it. Gone (too old a resourceVersion, a consumer too slow, a
   * store restored from a snapshot) and Invalid arguments are thrown from the
   * iterator.
   */
  watch<K extends string>(
    kind: K,
    opts: WatchOptions = {},
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    return { [Symbol.asyncIterator]: () => this.watchEvents(kind, opts) };
  }

  private async *watchEvents<K extends string>(
    kind: K,
    opts: WatchOptions,
  ): AsyncGenerator<WatchEvent<ResourceOf<K>>> {
    this.checkOpen();
    const signal = opts.signal;
    if (signal?.aborted) return;
    // A watch from "now" must not start from a state older than a read would see.
    if (opts.resourceVersion === undefined || opts.resourceVersion === '') await this.barrier();
    if (signal?.aborted || this.closed) return;

    let handle: WatchHandle | undefined;
    const queue = new WatchQueue(this.opts.watchBuffer ?? DEFAULT_WATCH_BUFFER, () =>
      handle?.cancel(),
    );
    const onAbort = (): void => queue.end();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.watches.add(queue);
    try {
      handle = this.store.watch(
        kind,
        {
          namespace: opts.namespace,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          resourceVersion: opts.resourceVersion,
          onError: (err) => queue.fail(err),
        },
        (event) => queue.push(event),
      );
      queue.live();
      for (;;) {
        const event = await queue.next();
        if (event === undefined) return;
        // The store's watch of kind K delivers objects of kind K (see ofKind).
        yield event as WatchEvent<ResourceOf<K>>;
      }
    } finally {
      handle?.cancel();
      signal?.removeEventListener('abort', onAbort);
      this.watches.delete(queue);
    }
  }

  /** Ends every open watch; later calls fail with Unavailable. */
  close(): void {
    this.closed = true;
    for (const q of [...this.watches]) q.end();
    this.watches.clear();
  }

  // -------------------------------------------------------------------------
  // Helpers

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  private checkOpen(): void {
    if (this.closed) throw new JobctlError(Reason.Unavailable, 'client is closed');
  }

  private async barrier(consistency?: string): Promise<void> {
    this.checkOpen();
    if (consistency !== 'stale' && this.opts.readBarrier) await this.opts.readBarrier();
  }

  /** Proposes a command and unwraps its single-object result (errors become JobctlError). */
  private async propose(command: Command): Promise<ObjectResult> {
    this.checkOpen();
    return expectObject(await this.proposer.propose(command));
  }

  private async dryRun(command: SingleCommand): Promise<ObjectResult> {
    await this.barrier();
    return expectObject(this.store.dryRun(command));
  }
}

function expectObject(result: CommandResult): ObjectResult {
  if (!result.ok) throw resultError(result);
  if (result.outcome === 'batch') {
    throw new JobctlError(Reason.Internal, 'expected a single-object result, got a batch');
  }
  return result;
}
