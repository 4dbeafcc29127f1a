// GrpcClient: every API service over proto/api.proto (ResourceClient,
// ClusterAdminClient, LogsClient: JobctlClient), for the CLI, the dashboard
// and tools outside a node.
//
// Servers: any nodes of one cluster (`--server a,b,c`). A call goes to the
// server that answered last; when a server cannot be reached (refused, reset,
// no connection) the call moves on to the next one. Errors a server answered
// with surface as they are (NotFound, Conflict, Timeout, ...). When no server
// answers: UnreachableError (reason Unavailable), "Unable to connect to the
// server at a,b: <cause>". A call whose connection dropped mid-way is retried
// elsewhere only if repeating it is harmless (reads, apply, admin reads).
//
// Watches survive a server going away: the stream moves to the next server
// and resumes from the last delivered revision, so no event is missed or
// repeated (see watchEvents). Logs streams a Run's output from any node (the
// node proxies from the executing one); when the serving node goes away the
// stream moves to another server and resumes at the first byte not yet
// delivered (./log-cursor.ts), so no byte is repeated or lost. Requests and responses are the generated messages of
// proto/api.proto (pkg/transport/gen/api.ts), each call made by its generated
// method definition.
import type * as grpc from '@grpc/grpc-js';
import type { ResourceInput, ResourceOf, WatchEvent } from '../store/index.js';
import {
  callUnary,
  isBrokenStream,
  membershipResult,
  readLogsStream,
  readSnapshotStream,
  type UnaryMethod,
} from './api-grpc.js';
import { decodeObject, encodeObject, logCopyMessage, logsRequestOf } from './api-wire.js';
import { LogCursor } from './log-cursor.js';
import { getRequestOf, listRequestOf, listResultOf } from './read-wire.js';
import { channelOptions } from './channel-options.js';
import { ConnectionError, fromServiceError, reasonMetadataKey } from './errors.js';
import {
  JobctlClient as JobctlStub,
  JobctlService,
  type ObjectResponse,
  type WatchEvent as WatchEventMessage,
} from './gen/api.js';
import { clientChannel, type ClientSecurity } from './security.js';
import { tlsFailureDetail } from '../tls/errors.js';
import { JobctlError, Reason, UnreachableError, errorMessage } from '../util/errors.js';
import type {
  AddMemberOptions,
  ApplyOptions,
  ApplyResult,
  ClusterStatus,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  JobctlClient,
  LogStreamInfo,
  LogsOptions,
  MembershipResult,
  NodeRaftStatus,
  RunLogCopy,
  TransferResult,
  WatchOptions,
} from '../client/index.js';

export interface GrpcClientOptions {
  /** HOST:PORT of one or more nodes (array or comma-separated). */
  readonly servers: readonly string[] | string;
  /** Deadline of each unary call, ms. Default 10000. */
  readonly timeoutMs?: number;
  /** How long a broken watch keeps looking for a server before it fails. Default 15000 ms. */
  readonly watchReconnectMs?: number;
  /** Page size of the initial listing of a watch without resourceVersion. Default 500. */
  readonly watchListPageSize?: number;
  /** TLS files and bearer token (none: plaintext, anonymous). */
  readonly security?: ClientSecurity;
  /** Applied to every error the client throws (default: none). */
  readonly mapError?: (err: unknown) => unknown;
}

export { UnreachableError };

/** "No connection established. Last error: Error: connect ECONNREFUSED 1.2.3.4:5 (ts)" -> "connect ECONNREFUSED 1.2.3.4:5". */
export function cleanConnectionDetail(detail: string): string {
  const tls = tlsFailureDetail(detail);
  if (tls) return tls;
  const m = /(connect E[A-Z]+ [^\s)]+|getaddrinfo E[A-Z]+ [^\s)]+)/.exec(detail);
  return (m?.[1] ?? detail).replace(/[.,;]+$/, '');
}

/** The call never reached a server, so trying another one cannot duplicate it. */
function neverSent(err: ConnectionError): boolean {
  return /No connection established|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/.test(
    err.message,
  );
}

/** The reason a server put in the status metadata (undefined: not the server's answer). */
function serverReason(err: unknown): string | undefined {
  const md = (err as Partial<grpc.ServiceError> | undefined)?.metadata;
  const sent = md?.get(reasonMetadataKey)[0];
  return typeof sent === 'string' ? sent : undefined;
}

/** The methods that only read: repeating one elsewhere changes nothing. */
const READS: ReadonlySet<object> = new Set([
  JobctlService.get,
  JobctlService.list,
  JobctlService.clusterStatus,
  JobctlService.nodeStatus,
]);

/** The methods that may be repeated on another server after a dropped connection. */
const IDEMPOTENT: ReadonlySet<object> = new Set([...READS, JobctlService.apply]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class GrpcClient implements JobctlClient {
  readonly servers: readonly string[];
  private readonly timeoutMs: number;
  private readonly watchReconnectMs: number;
  private readonly pageSize: number;
  private readonly mapError: (err: unknown) => unknown;
  private readonly channel: ReturnType<typeof clientChannel>;
  private readonly clients = new Map<string, JobctlStub>();
  private readonly streams = new Set<grpc.ClientReadableStream<WatchEventMessage>>();
  /** Index of the server that answered last. */
  private current = 0;
  private closed = false;

  constructor(opts: GrpcClientOptions) {
    const list =
      typeof opts.servers === 'string'
        ? opts.servers.split(',')
        : [...opts.servers].flatMap((s) => s.split(','));
    this.servers = list.map((s) => s.trim()).filter(Boolean);
    if (this.servers.length === 0) {
      throw new JobctlError(Reason.Invalid, 'at least one server (HOST:PORT) is needed');
    }
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.watchReconnectMs = opts.watchReconnectMs ?? 15_000;
    this.pageSize = opts.watchListPageSize ?? 500;
    this.mapError = opts.mapError ?? ((err) => err);
    // TLS files are read once, here: a bad path fails the constructor with one line.
    this.channel = clientChannel(opts.security, channelOptions);
  }

  // -------------------------------------------------------------------------
  // Connections

  private client(address: string): JobctlStub {
    let c = this.clients.get(address);
    if (!c) {
      c = new JobctlStub(address, this.channel.credentials, this.channel.options);
      this.clients.set(address, c);
    }
    return c;
  }

  private checkOpen(): void {
    if (this.closed) throw new JobctlError(Reason.Unavailable, 'client is closed');
  }

  private unreachable(detail: string): UnreachableError {
    return new UnreachableError(this.servers.join(','), cleanConnectionDetail(detail));
  }

  /** One unary call, tried on each server in turn (starting with the last good one). */
  private async call<Req, Res>(method: UnaryMethod<Req, Res>, req: Req): Promise<Res> {
    try {
      return await this.callAny(method, req);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  private async callAny<Req, Res>(method: UnaryMethod<Req, Res>, req: Req): Promise<Res> {
    this.checkOpen();
    let last = '';
    // A write (apply) whose connection dropped after the call may have reached
    // its server: that server may still apply it (a leader killed after
    // replicating the entry). A later server refusing with Unavailable ("no
    // leader") then says nothing about the call, so it must not be the
    // answer: the call stays in doubt (UnreachableError) unless a server
    // answers it.
    let inDoubt = false;
    const n = this.servers.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.current + i) % n;
      const address = this.servers[idx] as string;
      try {
        const deadline = Date.now() + this.timeoutMs;
        const res = await callUnary(this.client(address), address, method, req, deadline);
        this.current = idx;
        return res;
      } catch (err) {
        if (!(err instanceof ConnectionError)) {
          if (inDoubt && err instanceof JobctlError && err.reason === Reason.Unavailable) continue;
          throw err;
        }
        if (!neverSent(err) && !IDEMPOTENT.has(method)) throw err;
        if (!neverSent(err) && !READS.has(method)) inDoubt = true;
        last = err.message;
      }
    }
    throw this.unreachable(last);
  }

  // -------------------------------------------------------------------------
  // Writes

  async apply<O extends ResourceInput>(
    object: O,
    opts: ApplyOptions = {},
  ): Promise<ApplyResult<ResourceOf<O['kind']>>> {
    const res = await this.call(JobctlService.apply, {
      object: encodeObject(object),
      dryRun: opts.dryRun ?? '',
      force: opts.force ?? false,
    });
    return {
      outcome: res.outcome as ApplyResult['outcome'],
      object: decodeObject<ResourceOf<O['kind']>>(res.object),
    };
  }

  async create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.objectOf<ResourceOf<O['kind']>>(
      this.call(JobctlService.create, { object: encodeObject(object) }),
    );
  }

  async update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.objectOf<ResourceOf<O['kind']>>(
      this.call(JobctlService.update, { object: encodeObject(object) }),
    );
  }

  async updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.objectOf<ResourceOf<O['kind']>>(
      this.call(JobctlService.updateStatus, { object: encodeObject(object) }),
    );
  }

  async delete<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<ResourceOf<K>> {
    return this.objectOf<ResourceOf<K>>(
      this.call(JobctlService.delete, {
        kind,
        namespace,
        name,
        preconditions: opts.preconditions
          ? {
              uid: opts.preconditions.uid ?? '',
              resourceVersion: opts.preconditions.resourceVersion ?? '',
            }
          : undefined,
        dryRun: opts.dryRun ?? '',
      }),
    );
  }

  /** The object an answer carries (Create, Update, UpdateStatus, Get, Delete). */
  private async objectOf<T>(answer: Promise<ObjectResponse>): Promise<T> {
    return decodeObject<T>((await answer).object);
  }

  // -------------------------------------------------------------------------
  // Reads

  async get<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts: GetOptions = {},
  ): Promise<ResourceOf<K>> {
    return this.objectOf<ResourceOf<K>>(
      this.call(JobctlService.get, getRequestOf(kind, namespace, name, opts)),
    );
  }

  async list<K extends string>(
    kind: K,
    opts: ListOptions = {},
  ): Promise<ListResult<ResourceOf<K>>> {
    return listResultOf<K>(await this.call(JobctlService.list, listRequestOf(kind, opts)));
  }

  watch<K extends string>(
    kind: K,
    opts: WatchOptions = {},
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    return { [Symbol.asyncIterator]: () => this.mappedWatch(kind, opts) };
  }

  private async *mappedWatch<K extends string>(
    kind: K,
    opts: WatchOptions,
  ): AsyncGenerator<WatchEvent<ResourceOf<K>>> {
    try {
      yield* this.watchEvents(kind, opts);
    } catch (err) {
      throw this.mapError(err);
    }
  }

  /**
   * A watch that outlives the server it started on.
   *
   * Without a resourceVersion, the current objects are listed first (all
   * pages, consistent at the first page's revision) and yielded as ADDED; the
   * live stream then starts from the listing's revision. Every live event's
   * object carries the revision of its change as metadata.resourceVersion,
   * and (in data written before group commit gave every change its own
   * store revision) several events could share one revision. The client
   * remembers the last revision it delivered and how many events of that
   * revision it delivered; when the stream breaks (server killed, stopping,
   * unreachable) it reopens on the next server from the revision before, and
   * skips the events of the last revision it already delivered. Replicas
   * produce the same events in the same order, so none is missed or repeated.
   * Errors a server gives (Gone: too old, Invalid) end the watch.
   */
  private async *watchEvents<K extends string>(
    kind: K,
    opts: WatchOptions,
  ): AsyncGenerator<WatchEvent<ResourceOf<K>>> {
    this.checkOpen();
    const signal = opts.signal;
    if (signal?.aborted) return;
    const filter = {
      kind,
      namespace: opts.namespace ?? '',
      labelSelector: opts.labelSelector ?? '',
      fieldSelector: opts.fieldSelector ?? '',
    };
    let from = opts.resourceVersion ?? '';
    if (from === '') {
      const initial: ResourceOf<K>[] = [];
      let cont: string | undefined;
      do {
        const page = await this.list(kind, {
          namespace: opts.namespace,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          limit: this.pageSize,
          continue: cont,
        });
        if (from === '') from = page.resourceVersion;
        initial.push(...page.items);
        cont = page.continue;
      } while (cont);
      for (const object of initial) {
        if (signal?.aborted || this.closed) return;
        yield { type: 'ADDED', object };
      }
    }

    /** Revision of the last delivered live event, and how many events of it were delivered. */
    let lastRv = '';
    let atLast = 0;
    let failures = 0;
    let lastError = '';
    let giveUpAt = 0;
    let gone = 0;
    while (!this.closed && !signal?.aborted) {
      const idx = this.current;
      const address = this.servers[idx] as string;
      // Resume: from the revision before the last one delivered, skipping what was seen of it.
      const resumeFrom = lastRv !== '' ? String(Number(lastRv) - 1) : from;
      let skip = lastRv !== '' ? atLast : 0;
      const client = this.client(address);
      const call = client.watch({ ...filter, resourceVersion: resumeFrom });
      this.streams.add(call);
      const onAbort = (): void => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      let delivered = false;
      try {
        for await (const msg of call as AsyncIterable<WatchEventMessage>) {
          const object = decodeObject<ResourceOf<K>>(msg.object);
          const rv = object.metadata.resourceVersion;
          if (skip > 0 && rv === lastRv) {
            skip--;
            continue;
          }
          skip = 0;
          if (rv === lastRv) atLast++;
          else {
            lastRv = rv;
            atLast = 1;
          }
          delivered = true;
          failures = 0;
          gone = 0;
          this.current = idx;
          yield { type: msg.type as WatchEvent['type'], object };
        }
        // The server ended the stream without an error: reconnect like a break.
        lastError = `watch stream from ${address} ended`;
      } catch (err) {
        if (signal?.aborted || this.closed) return;
        const e = fromServiceError(err, address);
        const reason = serverReason(err);
        // Without a reason from the server (reset, cancelled, refused) or with
        // Unavailable (stopping, no leader), the stream broke: go elsewhere.
        // Gone on a resume may be one replica's shorter history (a restarted
        // node): only when every server says so is the revision really gone.
        if (reason === Reason.Gone && (lastRv !== '' || failures > 0)) {
          if (++gone >= this.servers.length) throw e;
        } else if (reason !== undefined && reason !== Reason.Unavailable) {
          throw e;
        }
        lastError = errorMessage(e);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        this.streams.delete(call);
        call.cancel();
      }
      if (signal?.aborted || this.closed) return;
      // Move on to the next server; after a full round without success, back off.
      if (delivered || failures === 0) giveUpAt = Date.now() + this.watchReconnectMs;
      failures++;
      this.current = (idx + 1) % this.servers.length;
      if (Date.now() > giveUpAt) throw this.unreachable(lastError);
      if (failures % this.servers.length === 0) {
        await sleep(Math.min(1000, 50 * 2 ** Math.floor(failures / this.servers.length)));
      }
    }
  }

  // -------------------------------------------------------------------------
  // Cluster

  nodeStatus(): Promise<NodeRaftStatus> {
    return this.call(JobctlService.nodeStatus, {});
  }

  clusterStatus(): Promise<ClusterStatus> {
    return this.call(JobctlService.clusterStatus, {});
  }

  async transferLeader(to?: number): Promise<TransferResult> {
    const res = await this.call(JobctlService.transferLeader, { to: to ?? 0 });
    return { from: res.from, to: res.to, term: res.term };
  }

  /** The leader's backup file, through the first server that answers (see streamFromAny). */
  snapshot(): AsyncIterable<Uint8Array> {
    return {
      [Symbol.asyncIterator]: () =>
        this.streamFromAny((client, address) => readSnapshotStream(client, address)),
    };
  }

  async addMember(
    id: number,
    address: string,
    opts: AddMemberOptions = {},
  ): Promise<MembershipResult> {
    return membershipResult(
      await this.call(JobctlService.addMember, { id, address, joining: opts.joining ?? false }),
    );
  }

  async promoteMember(id: number): Promise<MembershipResult> {
    return membershipResult(await this.call(JobctlService.promoteMember, { id }));
  }

  async removeMember(id: number): Promise<MembershipResult> {
    return membershipResult(await this.call(JobctlService.removeMember, { id }));
  }

  // -------------------------------------------------------------------------
  // Logs

  logs(opts: LogsOptions): AsyncIterable<Uint8Array> {
    return { [Symbol.asyncIterator]: () => this.logsResuming(opts) };
  }

  async saveCopy(copy: RunLogCopy): Promise<void> {
    await this.call(JobctlService.saveLogCopy, logCopyMessage(copy));
  }

  /**
   * A Run's output through the first server that answers. A server that
   * cannot be reached before any byte: the next one (every one once, then
   * UnreachableError). A server that goes away mid-stream (connection lost,
   * node stopping): the stream resumes on the next server at the first byte
   * not yet delivered, for up to watchReconnectMs; an error a server answered
   * with surfaces as it is.
   */
  private async *logsResuming(opts: LogsOptions): AsyncGenerator<Uint8Array> {
    this.checkOpen();
    const cursor = new LogCursor();
    const n = this.servers.length;
    const signal = opts.signal;
    let failures = 0;
    let giveUpAt = 0;
    let last = '';
    while (!this.closed && !signal?.aborted) {
      const idx = this.current;
      const address = this.servers[idx] as string;
      const req = logsRequestOf(cursor.request(opts));
      const onInfo = (info: LogStreamInfo): void => {
        const seen = cursor.onInfo(info);
        opts.onInfo?.(seen);
      };
      let progressed = false;
      try {
        for await (const chunk of readLogsStream(
          this.client(address),
          address,
          req,
          signal,
          onInfo,
        )) {
          const out = cursor.take(chunk);
          this.current = idx;
          progressed = true;
          if (out.length > 0) yield out;
        }
        return;
      } catch (err) {
        if (signal?.aborted || this.closed) return;
        const moved = isBrokenStream(err);
        if (!moved || !cursor.canResume()) throw this.mapError(err);
        last = errorMessage(err);
      }
      if (progressed || failures === 0) giveUpAt = Date.now() + this.watchReconnectMs;
      if (progressed) failures = 0;
      failures++;
      this.current = (idx + 1) % n;
      if (!cursor.delivered && failures >= n) throw this.mapError(this.unreachable(last));
      if (Date.now() > giveUpAt) throw this.mapError(this.unreachable(last));
      if (failures % n === 0) await sleep(Math.min(1000, 50 * 2 ** Math.floor(failures / n)));
    }
  }

  /**
   * A byte stream (Snapshot) from the first server that answers. A
   * connection failure before any chunk moves on to the next server; after
   * output has been delivered the error surfaces (resuming could repeat or
   * skip bytes).
   */
  private async *streamFromAny(
    open: (client: JobctlStub, address: string) => AsyncIterable<Uint8Array>,
  ): AsyncGenerator<Uint8Array> {
    this.checkOpen();
    const n = this.servers.length;
    let last = '';
    for (let i = 0; i < n; i++) {
      const idx = (this.current + i) % n;
      const address = this.servers[idx] as string;
      let delivered = false;
      try {
        for await (const chunk of open(this.client(address), address)) {
          delivered = true;
          this.current = idx;
          yield chunk;
        }
        return;
      } catch (err) {
        if (!(err instanceof ConnectionError) || delivered) throw this.mapError(err);
        last = err.message;
      }
    }
    throw this.mapError(this.unreachable(last));
  }

  /** Ends open watches (their iterators return) and closes every channel. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams) s.cancel();
    this.streams.clear();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}
