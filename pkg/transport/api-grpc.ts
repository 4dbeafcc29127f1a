// gRPC adapter for proto/api.proto: registers ApiHandlers on a server, and a
// client for one address. Errors cross the wire through errors.ts only.
import * as grpc from '@grpc/grpc-js';
import { channelOptions, loadProto, lookupService } from './proto.js';
import { fromServiceError, toServiceError } from './errors.js';
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
