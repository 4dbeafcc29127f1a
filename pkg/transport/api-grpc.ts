// gRPC adapter for proto/api.proto. registerApi() serves the API services
// (resources, cluster administration, logs; on a node, the service stack of
// pkg/api/stack.ts for each call) on a grpc.Server; ApiClient is
// a small client of one node's administrative calls (NodeStatus,
// ClusterStatus, TransferLeader) for peers and tools. The full ResourceClient
// over gRPC is pkg/transport/grpc-client.ts. Errors cross the wire through errors.ts only.
// Messages, the service definition and the client are generated (gen/api.ts):
// the compiler checks every handler and call against proto/api.proto.
//
// Robustness: a request that does not decode as protobuf is refused by
// grpc-js itself (INTERNAL) before it reaches a handler; object bytes that are
// not a JSON object are Invalid; anything a handler throws (synchronously or
// not) becomes a status, never an uncaught exception.
import * as grpc from '@grpc/grpc-js';
import { limitCalls, type CallLimit } from './rate-limit-grpc.js';
import { installDirectUnary, type DirectCall, type DirectMethod } from './direct-unary.js';
import { GRPC_MAX_MESSAGE_BYTES } from './server-options.js';
import type {
  ApiServices,
  ClusterStatus,
  LogStreamInfo,
  MembershipResult,
  NodeRaftStatus,
} from '../client/index.js';
import type { Resource, WatchEvent } from '../store/index.js';
import { JobctlError, Reason, errorMessage, isReason } from '../util/errors.js';
import {
  consistencyOf,
  decodeObject,
  dryRunOf,
  encodeObject,
  logInfoMessage,
  logStreamInfoOf,
  logsOptionsOf,
  runLogCopyOf,
} from './api-wire.js';
import { channelOptions } from './channel-options.js';
import { ConnectionError, fromServiceError, reasonMetadataKey, toServiceError } from './errors.js';
import {
  ApplyResponse,
  JobctlClient,
  JobctlService,
  WatchEvent as WatchEventCodec,
  type AddMemberRequest,
  type ClusterStatusResponse,
  type MemberRequest,
  type MembershipResponse,
  type JobctlServer,
  type LogChunk,
  type LogCopy,
  type LogInfo,
  type LogsRequest,
  type NodeStatus,
  ObjectResponse,
  type TransferLeaderRequest,
  type TransferLeaderResponse,
  type WatchEvent as WatchEventMessage,
} from './gen/api.js';
import { clientChannel, type ClientSecurity } from './security.js';
import { withReusedWriters } from './reused-writer.js';

/**
 * The Jobctl service as this node serves it: the answers of the write and
 * read paths (and each Watch event) are encoded with a reused writer
 * (reused-writer.ts); the bytes are the generated encoders'.
 */
const servedJobctlService = withReusedWriters(JobctlService, {
  apply: { response: ApplyResponse },
  create: { response: ObjectResponse },
  update: { response: ObjectResponse },
  updateStatus: { response: ObjectResponse },
  get: { response: ObjectResponse },
  delete: { response: ObjectResponse },
  watch: { response: WatchEventCodec },
});

export interface ApiServerDeps {
  /**
   * The services that serve one call, asked once per call with what it
   * carries (credentials); on a node, the service stack: authenticate →
   * observe → authorize → admit → store/Raft. Refusals surface on their calls.
   */
  readonly services: (call: ApiCall) => Promise<ApiServices>;
  /** Per-client rate limit of every call, keyed by limit.key (./rate-limit-grpc.ts); absent: none. */
  readonly limit?: CallLimit;
  /**
   * Serve the unary methods off the HTTP/2 stream, without grpc-js's call
   * chain (./direct-unary.ts; registerApi must then come before bindAsync).
   * The server's interceptors do not see those calls: `refuse` gives their
   * verdict instead (a node: ./grpc-tls.ts tlsRefusal). Absent: every call
   * through grpc-js.
   */
  readonly direct?: { readonly refuse?: (path: string, call: DirectCall) => string | undefined };
}

/** The parts of a server call access control reads (metadata, peer, TLS auth context). */
export type ApiCall = Pick<
  grpc.ServerUnaryCall<unknown, unknown>,
  'metadata' | 'getPeer' | 'getAuthContext'
>;

/** How a stream ends when its node stops (closeWatches): Unavailable with this message. */
export const NODE_STOPPING = 'node is stopping';

/** Whether `err` is a stream ended because the serving node is stopping (the client moves on). */
export function isNodeStopping(err: unknown): boolean {
  return (
    err instanceof JobctlError && err.reason === Reason.Unavailable && err.message === NODE_STOPPING
  );
}

/**
 * Whether a stream broke without an answer from its server: the connection
 * failed or was lost (ConnectionError), the server reset or cancelled the
 * call without saying why (a process going down), or the node is stopping.
 * The caller may go on elsewhere; any other error is the server's answer.
 */
export function isBrokenStream(err: unknown): boolean {
  if (err instanceof ConnectionError || isNodeStopping(err)) return true;
  const raw = err instanceof JobctlError ? (err.cause as Partial<grpc.ServiceError>) : undefined;
  return raw?.code === grpc.status.CANCELLED && !raw.metadata?.get(reasonMetadataKey).length;
}

export interface ApiServerHandle {
  /** Ends every open Watch and Logs stream with Unavailable (the node is stopping), so clients move on. */
  closeWatches(): void;
}

type Services = (call: ApiCall) => Promise<ApiServices>;

function unary<Req, Res>(
  services: Services,
  fn: (req: Req, s: ApiServices) => Promise<Res> | Res,
): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    // Promise.resolve().then: a synchronous throw is a rejection like any other.
    Promise.resolve()
      .then(() => services(call))
      .then((a) => fn(call.request, a))
      .then(
        (res) => cb(null, res),
        (err: unknown) => cb(toServiceError(err)),
      );
  };
}

const objectResponse = (o: Resource): ObjectResponse => ({ object: encodeObject(o) });

/** A node's Raft view as the NodeStatus message (every field set, as the encoder needs). */
export function nodeStatusMessage(s: NodeRaftStatus): NodeStatus {
  return { ...s, error: s.error ?? '', membership: s.membership ?? '', lag: s.lag ?? 0 };
}

function membershipMessage(r: MembershipResult): MembershipResponse {
  return { members: r.members.map((m) => ({ ...m })), clusterId: r.clusterId };
}

/** A MembershipResponse as the client contract's MembershipResult. */
export function membershipResult(r: MembershipResponse): MembershipResult {
  return {
    members: r.members.map((m) => ({ id: m.id, address: m.address, learner: m.learner })),
    clusterId: r.clusterId,
  };
}

function clusterStatusMessage(st: ClusterStatus): ClusterStatusResponse {
  return { nodes: st.nodes.map(nodeStatusMessage), leader: st.leader, responder: st.responder };
}

/** Resolves when the stream can take more writes, or when `signal` aborts. */
function drainedOrAborted(call: grpc.ServerWritableStream<unknown, unknown>, signal: AbortSignal) {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    call.on('drain', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function* watchMessages(
  events: AsyncIterable<WatchEvent>,
): AsyncGenerator<WatchEventMessage> {
  for await (const e of events) yield { type: e.type, object: encodeObject(e.object) };
}

/** A byte stream (Snapshot) as LogChunk messages. */
async function* byteChunks(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<LogChunk> {
  for await (const data of chunks) yield { data, info: undefined };
}

/**
 * A logs stream as LogChunk messages: each info the source reports (through
 * onInfo, before the bytes it describes) becomes a message of its own, in order.
 */
async function* logMessages(
  open: (onInfo: (info: LogStreamInfo) => void) => AsyncIterable<Uint8Array>,
): AsyncGenerator<LogChunk> {
  const infos: LogChunk[] = [];
  const chunks = open((info) =>
    infos.push({ data: new Uint8Array(0), info: logInfoMessage(info) }),
  );
  for await (const data of chunks) {
    yield* infos.splice(0);
    yield { data, info: undefined };
  }
  yield* infos.splice(0);
}

/** A unary method of a generated service definition (JobctlService.get, ...). */
export type UnaryMethod<Req, Res> = grpc.MethodDefinition<Req, Res> & {
  readonly requestStream: false;
  readonly responseStream: false;
};

/**
 * One unary call of `method` on `client`, by the generated definition (its
 * path and codecs), until `deadline`. Rejects with a JobctlError
 * (ConnectionError when `address` cannot be reached).
 */
export function callUnary<Req, Res>(
  client: grpc.Client,
  address: string,
  method: UnaryMethod<Req, Res>,
  req: Req,
  deadline: number,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      req,
      new grpc.Metadata(),
      { deadline },
      (err, res) => {
        if (err) reject(fromServiceError(err, address));
        else resolve(res as Res);
      },
    );
  });
}

/**
 * The Logs RPC from the client side: the chunks of one node's stream. Errors
 * are JobctlErrors (ConnectionError when the node cannot be reached); an
 * aborted `signal` cancels the call and ends the iterator quietly.
 */
export function readLogsStream(
  client: JobctlClient,
  address: string,
  req: LogsRequest,
  signal?: AbortSignal,
  onInfo?: (info: LogStreamInfo) => void,
): AsyncGenerator<Buffer> {
  return readBytesStream(() => client.logs(req), address, signal, onInfo);
}

/** The Snapshot RPC from the client side: the bytes of the leader's backup file. */
export function readSnapshotStream(
  client: JobctlClient,
  address: string,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  return readBytesStream(() => client.snapshot({}), address, signal);
}

/**
 * The `data` of each message of a server stream of bytes (Logs, Snapshot),
 * errors as JobctlErrors; a Logs message's info goes to `onInfo`.
 */
async function* readBytesStream(
  open: () => grpc.ClientReadableStream<{ data: Uint8Array; info?: LogInfo | undefined }>,
  address: string,
  signal?: AbortSignal,
  onInfo?: (info: LogStreamInfo) => void,
): AsyncGenerator<Buffer> {
  if (signal?.aborted) return;
  const call = open();
  const onAbort = (): void => call.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const msg of call as AsyncIterable<{ data: Uint8Array; info?: LogInfo }>) {
      if (msg.info) onInfo?.(logStreamInfoOf(msg.info));
      if (msg.data.length > 0) yield Buffer.from(msg.data);
    }
  } catch (err) {
    if (signal?.aborted) return;
    throw fromServiceError(err, address);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    call.cancel();
  }
}

/** Registers the Jobctl API service on a server. */
export function registerApi(server: grpc.Server, deps: ApiServerDeps): ApiServerHandle {
  const access: Services = deps.services;
  const watches = new Set<{ abort(): void }>();
  let closing = false;

  /**
   * The life of a server stream (Watch, Logs): registered so closeWatches()
   * ends it with Unavailable, aborted when the client goes, written with
   * backpressure (the node-side sources are bounded), and any error a status.
   */
  const serveStream = <Req, Res>(
    call: grpc.ServerWritableStream<Req, Res>,
    open: (signal: AbortSignal) => Promise<AsyncIterable<Res>>,
  ): void => {
    call.on('error', () => {});
    if (closing) {
      call.emit('error', toServiceError(new JobctlError(Reason.Unavailable, NODE_STOPPING)));
      return;
    }
    const ac = new AbortController();
    let shutdown = false;
    const entry = {
      abort: () => {
        shutdown = true;
        ac.abort();
      },
    };
    watches.add(entry);
    call.on('cancelled', () => ac.abort());
    call.on('close', () => ac.abort());
    void (async () => {
      try {
        for await (const msg of await open(ac.signal)) {
          if (ac.signal.aborted) break;
          if (!call.write(msg)) await drainedOrAborted(call, ac.signal);
        }
        if (shutdown) {
          call.emit('error', toServiceError(new JobctlError(Reason.Unavailable, NODE_STOPPING)));
        } else if (!call.cancelled) call.end();
      } catch (err) {
        if (!call.cancelled) call.emit('error', toServiceError(err));
      } finally {
        watches.delete(entry);
      }
    })();
  };

  const watch: JobctlServer['watch'] = (call) =>
    serveStream(call, async (signal) => {
      const req = call.request;
      const { resources: c } = await access(call);
      return watchMessages(
        c.watch(req.kind, {
          namespace: req.namespace || undefined,
          labelSelector: req.labelSelector || undefined,
          fieldSelector: req.fieldSelector || undefined,
          resourceVersion: req.resourceVersion || undefined,
          signal,
        }),
      );
    });

  /** Logs: the node's log stream; ends with the Run (or the node). */
  const logs: JobctlServer['logs'] = (call) =>
    serveStream(call, async (signal) => {
      const { logs: service } = await access(call);
      return logMessages((onInfo) =>
        service.logs({ ...logsOptionsOf(call.request, signal), onInfo }),
      );
    });

  /** Snapshot: the leader's backup file, in chunks. */
  const snapshot: JobctlServer['snapshot'] = (call) =>
    serveStream(call, async () => byteChunks((await access(call)).cluster.snapshot()));

  const handlers: JobctlServer = {
    apply: unary(access, async (r, { resources: c }) => {
      const res = await c.apply(decodeObject(r.object), {
        dryRun: dryRunOf(r.dryRun),
        force: r.force || undefined,
      });
      return { outcome: res.outcome, object: encodeObject(res.object) };
    }),
    create: unary(access, async (r, { resources: c }) =>
      objectResponse(await c.create(decodeObject(r.object))),
    ),
    update: unary(access, async (r, { resources: c }) =>
      objectResponse(await c.update(decodeObject(r.object))),
    ),
    updateStatus: unary(access, async (r, { resources: c }) =>
      objectResponse(await c.updateStatus(decodeObject(r.object))),
    ),
    get: unary(access, async (r, { resources: c }) =>
      objectResponse(
        await c.get(r.kind, r.namespace, r.name, { consistency: consistencyOf(r.consistency) }),
      ),
    ),
    list: unary(access, async (r, { resources: c }) => {
      const res = await c.list(r.kind, {
        namespace: r.namespace || undefined,
        labelSelector: r.labelSelector || undefined,
        fieldSelector: r.fieldSelector || undefined,
        limit: r.limit || undefined,
        continue: r.continue || undefined,
        consistency: consistencyOf(r.consistency),
      });
      return {
        items: res.items.map(encodeObject),
        resourceVersion: res.resourceVersion,
        continue: res.continue ?? '',
      };
    }),
    watch,
    delete: unary(access, async (r, { resources: c }) => {
      const pre = r.preconditions;
      const preconditions =
        pre && (pre.uid || pre.resourceVersion)
          ? {
              ...(pre.uid ? { uid: pre.uid } : {}),
              ...(pre.resourceVersion ? { resourceVersion: pre.resourceVersion } : {}),
            }
          : undefined;
      return objectResponse(
        await c.delete(r.kind, r.namespace, r.name, {
          preconditions,
          dryRun: dryRunOf(r.dryRun),
        }),
      );
    }),
    clusterStatus: unary(access, async (_r, { cluster }) =>
      clusterStatusMessage(await cluster.clusterStatus()),
    ),
    nodeStatus: unary(access, async (_r, { cluster }) =>
      nodeStatusMessage(await cluster.nodeStatus()),
    ),
    transferLeader: unary(access, (r, { cluster }) => cluster.transferLeader(r.to)),
    logs,
    saveLogCopy: unary(access, async (r, { logs: service }) => {
      await service.saveCopy(runLogCopyOf(r));
      return {};
    }),
    // Each copy is kept or refused on its own: one bad copy costs the others
    // nothing. A caller not allowed to keep copies gets that as the call's status.
    saveLogCopies: unary(access, async (r, { logs: service }) => {
      const outcomes = await Promise.all(
        r.copies.map((c) =>
          service.saveCopy(runLogCopyOf(c)).then(
            () => undefined,
            (err: unknown) => err,
          ),
        ),
      );
      const denied = outcomes.find(
        (err) => isReason(err, Reason.Unauthorized) || isReason(err, Reason.Forbidden),
      );
      if (denied) throw denied;
      return {
        errors: outcomes.map((err) => (err === undefined ? '' : errorMessage(err) || 'not kept')),
      };
    }),
    snapshot,
    addMember: unary(access, async (r, { cluster }) =>
      membershipMessage(await cluster.addMember(r.id, r.address, { joining: r.joining })),
    ),
    promoteMember: unary(access, async (r, { cluster }) =>
      membershipMessage(await cluster.promoteMember(r.id)),
    ),
    removeMember: unary(access, async (r, { cluster }) =>
      membershipMessage(await cluster.removeMember(r.id)),
    ),
  };
  const limited = limitCalls(
    servedJobctlService,
    handlers as unknown as grpc.UntypedServiceImplementation,
    deps.limit?.limiter,
    deps.limit?.key,
  );
  server.addService(servedJobctlService, limited);
  if (deps.direct) {
    installDirectUnary(server, directMethods(servedJobctlService, limited), {
      maxReceiveBytes: GRPC_MAX_MESSAGE_BYTES,
      refuse: deps.direct.refuse,
    });
  }

  return {
    closeWatches() {
      closing = true;
      for (const w of [...watches]) w.abort();
    },
  };
}

/** The unary methods of `definition`, by path, with their codecs and `handlers`'s handler. */
function directMethods(
  definition: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
): Map<string, DirectMethod> {
  const out = new Map<string, DirectMethod>();
  for (const [name, method] of Object.entries(definition)) {
    const handler = handlers[name];
    if (method.requestStream || method.responseStream || !handler) continue;
    out.set(method.path, {
      deserialize: method.requestDeserialize,
      serialize: method.responseSerialize,
      handler: handler as grpc.handleUnaryCall<unknown, unknown>,
    });
  }
  return out;
}

export interface ApiClientOptions {
  /** Default per-call deadline in ms. Default 10000. */
  readonly timeoutMs?: number;
  /** TLS files and bearer token (none: plaintext). */
  readonly security?: ClientSecurity;
  /** Ready-made channel credentials (a node's reloading peer credentials); wins over `security`'s files. */
  readonly credentials?: grpc.ChannelCredentials;
}

/**
 * A client of one node's administrative calls. Every call rejects with a
 * JobctlError (ConnectionError when the node is unreachable).
 */
export class ApiClient {
  private readonly client: JobctlClient;
  private readonly timeoutMs: number;

  constructor(
    readonly address: string,
    opts: ApiClientOptions = {},
  ) {
    const { credentials, options } = opts.credentials
      ? clientChannel(opts.security, channelOptions, opts.credentials)
      : clientChannel(opts.security, channelOptions);
    this.client = new JobctlClient(address, credentials, options);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  private call<Req, Res>(
    method: UnaryMethod<Req, Res>,
    req: Req,
    timeoutMs?: number,
  ): Promise<Res> {
    const deadline = Date.now() + (timeoutMs ?? this.timeoutMs);
    return callUnary(this.client, this.address, method, req, deadline);
  }

  clusterStatus(timeoutMs?: number): Promise<ClusterStatusResponse> {
    return this.call(JobctlService.clusterStatus, {}, timeoutMs);
  }
  nodeStatus(timeoutMs?: number): Promise<NodeStatus> {
    return this.call(JobctlService.nodeStatus, {}, timeoutMs);
  }
  transferLeader(req: TransferLeaderRequest, timeoutMs?: number): Promise<TransferLeaderResponse> {
    return this.call(JobctlService.transferLeader, req, timeoutMs);
  }
  /** The leader's backup file, through this node. */
  snapshot(signal?: AbortSignal): AsyncGenerator<Buffer> {
    return readSnapshotStream(this.client, this.address, signal);
  }
  addMember(req: AddMemberRequest, timeoutMs?: number): Promise<MembershipResponse> {
    return this.call(JobctlService.addMember, req, timeoutMs);
  }
  promoteMember(req: MemberRequest, timeoutMs?: number): Promise<MembershipResponse> {
    return this.call(JobctlService.promoteMember, req, timeoutMs);
  }
  removeMember(req: MemberRequest, timeoutMs?: number): Promise<MembershipResponse> {
    return this.call(JobctlService.removeMember, req, timeoutMs);
  }
  /** A Run's output from this node (a node proxying Logs uses it with localOnly). */
  logs(
    req: LogsRequest,
    signal?: AbortSignal,
    onInfo?: (info: LogStreamInfo) => void,
  ): AsyncGenerator<Buffer> {
    return readLogsStream(this.client, this.address, req, signal, onInfo);
  }
  /** Hands this node a copy of a finished Run's output to keep. */
  async saveLogCopy(copy: LogCopy, timeoutMs?: number): Promise<void> {
    await this.call(JobctlService.saveLogCopy, copy, timeoutMs);
  }
  /** Hands this node several copies; per copy, in order: '' when kept, else why not. */
  async saveLogCopies(copies: LogCopy[], timeoutMs?: number): Promise<string[]> {
    return (await this.call(JobctlService.saveLogCopies, { copies }, timeoutMs)).errors;
  }

  close(): void {
    this.client.close();
  }
}
