// gRPC adapter for proto/api.proto: registers ApiHandlers on a server, and a
// client for one address. Errors cross the wire through errors.ts only.
import * as grpc from '@grpc/grpc-js';
import { channelOptions, loadProto, lookupService } from './proto.js';
import { ConnectionError, fromServiceError, toServiceError } from './errors.js';
import { JobctlError, Reason, errorMessage } from '../util/errors.js';
import type {
  ApiHandlers,
  CallContext,
  ClusterStatusResponse,
  DeleteRequest,
  DeleteResponse,
  GetRequest,
  GetResponse,
  NodeStatusInfo,
  PutRequest,
  PutResponse,
  TransferLeaderRequest,
  TransferLeaderResponse,
} from './api-types.js';

function apiServiceCtor(): grpc.ServiceClientConstructor {
  return lookupService(loadProto('api.proto'), 'jobctl.api.v1.Jobctl');
}

function contextOf(call: grpc.ServerUnaryCall<unknown, unknown>): CallContext {
  const deadline = call.getDeadline();
  let remainingMs = Infinity;
  if (deadline instanceof Date) remainingMs = deadline.getTime() - Date.now();
  else if (typeof deadline === 'number' && Number.isFinite(deadline))
    remainingMs = deadline - Date.now();
  return { remainingMs };
}

type Unary<Req, Res> = (req: Req, ctx: CallContext) => Promise<Res>;

function unary<Req, Res>(fn: Unary<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, cb) => {
    fn(call.request, contextOf(call as grpc.ServerUnaryCall<unknown, unknown>)).then(
      (res) => cb(null, res),
      (err: unknown) => cb(toServiceError(err)),
    );
  };
}

interface WireOp {
  id: number;
  op?: 'put' | 'get' | 'delete';
  put?: PutRequest | null;
  get?: GetRequest | null;
  delete?: DeleteRequest | null;
}

interface WireOpResult {
  id: number;
  put?: PutResponse;
  get?: GetResponse;
  delete?: DeleteResponse;
  error?: { reason: string; message: string };
}

/** Serves one Session stream: runs each op, answers in batches per event-loop turn. */
function serveSession(
  handlers: ApiHandlers,
  call: grpc.ServerDuplexStream<{ ops: WireOp[] }, { results: WireOpResult[] }>,
): void {
  let out: WireOpResult[] = [];
  let scheduled = false;
  let ended = false;
  let inflight = 0;
  const flush = (): void => {
    scheduled = false;
    if (out.length === 0 || call.destroyed) return;
    const results = out;
    out = [];
    call.write({ results });
    if (ended && inflight === 0) call.end();
  };
  const answer = (r: WireOpResult): void => {
    inflight--;
    out.push(r);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  const ctx: CallContext = { remainingMs: Infinity };
  call.on('data', (batch: { ops: WireOp[] }) => {
    for (const op of batch.ops) {
      inflight++;
      const id = op.id;
      let p: Promise<WireOpResult>;
      if (op.op === 'put' && op.put) p = handlers.put(op.put, ctx).then((put) => ({ id, put }));
      else if (op.op === 'get' && op.get)
        p = handlers.get(op.get, ctx).then((get) => ({ id, get }));
      else if (op.op === 'delete' && op.delete)
        p = handlers.delete(op.delete, ctx).then((d) => ({ id, delete: d }));
      else p = Promise.reject(new JobctlError(Reason.Invalid, 'empty op'));
      p.then(answer, (err: unknown) => {
        const reason = err instanceof JobctlError ? err.reason : Reason.Internal;
        answer({ id, error: { reason, message: errorMessage(err) } });
      });
    }
  });
  call.on('end', () => {
    ended = true;
    if (inflight === 0) call.end();
  });
  call.on('error', () => {});
}

/** Registers the Jobctl API service, backed by `handlers`, on a server. */
export function registerApi(server: grpc.Server, handlers: ApiHandlers): void {
  server.addService(apiServiceCtor().service, {
    put: unary<PutRequest, PutResponse>((r, c) => handlers.put(r, c)),
    delete: unary<DeleteRequest, DeleteResponse>((r, c) => handlers.delete(r, c)),
    get: unary<GetRequest, GetResponse>((r, c) => handlers.get(r, c)),
    clusterStatus: unary<object, ClusterStatusResponse>((_r, c) => handlers.clusterStatus(c)),
    nodeStatus: unary<object, NodeStatusInfo>((_r, c) => handlers.nodeStatus(c)),
    transferLeader: unary<TransferLeaderRequest, TransferLeaderResponse>((r, c) =>
      handlers.transferLeader(r, c),
    ),
    session: (call: grpc.ServerDuplexStream<{ ops: WireOp[] }, { results: WireOpResult[] }>) =>
      serveSession(handlers, call),
  });
}

export interface ApiClientOptions {
  /** Default per-call deadline in ms. Default 10000. */
  readonly timeoutMs?: number;
  /** Share one channel between several clients (e.g. the bench). */
  readonly channelOverride?: grpc.Channel;
}

type RawMethod = (
  req: unknown,
  md: grpc.Metadata,
  opts: grpc.CallOptions,
  cb: (err: grpc.ServiceError | null, res: unknown) => void,
) => grpc.ClientUnaryCall;

/** A client of one node's API. Every call rejects with a JobctlError (ConnectionError when unreachable). */
export class ApiClient {
  private readonly client: grpc.Client;
  private readonly timeoutMs: number;

  constructor(
    readonly address: string,
    opts: ApiClientOptions = {},
  ) {
    const Ctor = apiServiceCtor();
    this.client = new Ctor(address, grpc.credentials.createInsecure(), {
      ...channelOptions,
      ...(opts.channelOverride ? { channelOverride: opts.channelOverride } : {}),
    });
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  private call<Res>(method: string, req: unknown, timeoutMs?: number): Promise<Res> {
    const fn = (this.client as unknown as Record<string, RawMethod>)[method];
    if (!fn) throw new Error(`api client: no method ${method}`);
    const deadline = Date.now() + (timeoutMs ?? this.timeoutMs);
    return new Promise((resolve, reject) => {
      fn.call(this.client, req, new grpc.Metadata(), { deadline }, (err, res) => {
        if (err) reject(fromServiceError(err, this.address));
        else resolve(res as Res);
      });
    });
  }

  put(req: PutRequest, timeoutMs?: number): Promise<PutResponse> {
    return this.call('put', req, timeoutMs);
  }
  delete(req: DeleteRequest, timeoutMs?: number): Promise<DeleteResponse> {
    return this.call('delete', req, timeoutMs);
  }
  get(req: GetRequest, timeoutMs?: number): Promise<GetResponse> {
    return this.call('get', req, timeoutMs);
  }
  clusterStatus(timeoutMs?: number): Promise<ClusterStatusResponse> {
    return this.call('clusterStatus', {}, timeoutMs);
  }
  nodeStatus(timeoutMs?: number): Promise<NodeStatusInfo> {
    return this.call('nodeStatus', {}, timeoutMs);
  }
  transferLeader(req: TransferLeaderRequest, timeoutMs?: number): Promise<TransferLeaderResponse> {
    return this.call('transferLeader', req, timeoutMs);
  }

  /** The underlying channel, to share with other clients. */
  channel(): grpc.Channel {
    return this.client.getChannel() as grpc.Channel;
  }

  close(): void {
    this.client.close();
  }
}

interface PendingOp {
  resolve(r: WireOpResult): void;
  reject(err: unknown): void;
}

/**
 * Multiplexes concurrent put/get/delete calls over one Session stream: the ops
 * issued in one event-loop turn go out as one OpBatch. Same results and errors
 * as ApiClient; a broken stream fails the pending ops with ConnectionError and
 * the next op opens a new stream.
 */
export class SessionClient {
  private readonly client: grpc.Client;
  private call: grpc.ClientDuplexStream<{ ops: WireOp[] }, { results: WireOpResult[] }> | undefined;
  private readonly pending = new Map<number, PendingOp>();
  private queue: WireOp[] = [];
  private scheduled = false;
  private nextId = 1;

  constructor(readonly address: string) {
    const Ctor = apiServiceCtor();
    this.client = new Ctor(address, grpc.credentials.createInsecure(), channelOptions);
  }

  private stream(): grpc.ClientDuplexStream<{ ops: WireOp[] }, { results: WireOpResult[] }> {
    if (this.call) return this.call;
    const raw = this.client as unknown as {
      session(): grpc.ClientDuplexStream<{ ops: WireOp[] }, { results: WireOpResult[] }>;
    };
    const call = raw.session();
    call.on('data', (batch: { results: WireOpResult[] }) => {
      for (const r of batch.results) {
        const p = this.pending.get(r.id);
        if (!p) continue;
        this.pending.delete(r.id);
        p.resolve(r);
      }
    });
    const broken = (err?: unknown): void => {
      if (this.call !== call) return;
      this.call = undefined;
      const failure =
        err !== undefined
          ? fromServiceError(err, this.address)
          : new ConnectionError(this.address, 'session stream ended');
      for (const p of this.pending.values()) p.reject(failure);
      this.pending.clear();
    };
    call.on('error', broken);
    call.on('end', () => broken());
    this.call = call;
    return call;
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const ops = this.queue;
    this.queue = [];
    this.stream().write({ ops });
  }

  private op(o: Omit<WireOp, 'id'>): Promise<WireOpResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.queue.push({ id, ...o });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private static unwrap<T>(r: WireOpResult, field: 'put' | 'get' | 'delete'): T {
    if (r.error) throw new JobctlError(r.error.reason as Reason, r.error.message);
    return r[field] as T;
  }

  async put(req: PutRequest): Promise<PutResponse> {
    return SessionClient.unwrap(await this.op({ op: 'put', put: req }), 'put');
  }
  async get(req: GetRequest): Promise<GetResponse> {
    return SessionClient.unwrap(await this.op({ op: 'get', get: req }), 'get');
  }
  async delete(req: DeleteRequest): Promise<DeleteResponse> {
    return SessionClient.unwrap(await this.op({ op: 'delete', delete: req }), 'delete');
  }

  close(): void {
    this.call?.end();
    this.client.close();
  }
}
