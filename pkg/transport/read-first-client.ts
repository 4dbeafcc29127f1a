// ReadFirstClient: the client of a plain `jobctl get`. Its Get and List go
// to the first server without grpc-js, with the messages of gen/api.reads.ts
// (the read messages alone, generated without grpc-js): over HTTP/2 written
// on a plain socket (./h2c-unary.ts), or over Node's own HTTP/2 client
// (./h2-unary.ts, loaded only then) when TLS is configured. Everything else, and any read that did not get a clean
// answer there, goes to a GrpcClient made on first need. A read that is
// repeated that way is harmless, and every error, retry and message the user
// sees is GrpcClient's own, so the output is the same either way; only the
// start is shorter: a `get` that succeeds never loads grpc-js.
//
// The price of asking again: a read that fails costs a second call, and a
// first server that accepts but never answers costs the deadline twice (this
// path's, then GrpcClient's) before the error. Worth it only in a process
// that makes a call or two and exits: a long-lived client should use
// GrpcClient (its connection management is the point).
import type {
  ApplyOptions,
  ApplyResult,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  ResourceClient,
  WatchOptions,
} from '../client/index.js';
import type { ResourceInput, ResourceOf, WatchEvent } from '../store/index.js';
import { readPem } from '../tls/pem.js';
import { decodeObject } from './api-wire.js';
import {
  GetRequest,
  ListRequest,
  ListResponse,
  ObjectResponse,
  protobufPackage,
} from './gen/api.reads.js';
import { H2cUnaryChannel } from './h2c-unary.js';
import { getRequestOf, listRequestOf, listResultOf } from './read-wire.js';
import type { ClientSecurity } from './security.js';
import type { H2Method, H2Target, UnaryChannel } from './unary-wire.js';

/** The service of proto/api.proto that serves Get and List. */
const service = `/${protobufPackage}.Jobctl`;

export const readMethods = {
  get: {
    path: `${service}/Get`,
    encode: (req) => GetRequest.encode(req).finish(),
    decode: (bytes) => ObjectResponse.decode(bytes),
  } satisfies H2Method<GetRequest, ObjectResponse>,
  list: {
    path: `${service}/List`,
    encode: (req) => ListRequest.encode(req).finish(),
    decode: (bytes) => ListResponse.decode(bytes),
  } satisfies H2Method<ListRequest, ListResponse>,
};

export interface ReadFirstOptions {
  /** HOST:PORT of one or more nodes; reads try the first one. */
  readonly servers: readonly string[];
  readonly security?: ClientSecurity;
  /** Deadline of a read, ms (GrpcClient's default). */
  readonly timeoutMs?: number;
}

/** The target of the first server, or undefined when its files cannot be read (GrpcClient says why). */
function targetOf(opts: ReadFirstOptions): H2Target | undefined {
  const address = opts.servers.flatMap((s) => s.split(',')).map((s) => s.trim())[0];
  if (!address) return undefined;
  const sec = opts.security;
  const token = sec?.token ? { token: sec.token } : {};
  if (!sec?.ca && !sec?.cert && !sec?.key) return { address, ...token };
  try {
    return {
      address,
      ...token,
      tls: {
        ca: sec.ca ? readPem(sec.ca, '--ca') : undefined,
        cert: sec.cert ? readPem(sec.cert, '--cert') : undefined,
        key: sec.key ? readPem(sec.key, '--key') : undefined,
      },
    };
  } catch {
    return undefined;
  }
}

/**
 * The channel of the fast reads: a plain socket without TLS; with TLS,
 * node:http2 (whose TLS handling this file does not repeat).
 */
async function openReads(target: H2Target, timeoutMs: number): Promise<UnaryChannel> {
  if (!target.tls) return new H2cUnaryChannel(target, timeoutMs);
  const { H2UnaryChannel } = await import('./h2-unary.js');
  return new H2UnaryChannel(target, timeoutMs);
}

export class ReadFirstClient implements ResourceClient {
  private readonly reads: Promise<UnaryChannel> | undefined;
  private full: Promise<ResourceClient> | undefined;

  /** `openFull` makes the GrpcClient for everything the fast reads do not answer. */
  constructor(
    opts: ReadFirstOptions,
    private readonly openFull: () => Promise<ResourceClient>,
  ) {
    const target = targetOf(opts);
    this.reads = target && openReads(target, opts.timeoutMs ?? 10_000);
  }

  private inner(): Promise<ResourceClient> {
    return (this.full ??= this.openFull());
  }

  async get<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts: GetOptions = {},
  ): Promise<ResourceOf<K>> {
    const reads = await this.reads;
    const res = await reads?.call(readMethods.get, getRequestOf(kind, namespace, name, opts));
    if (res) return decodeObject<ResourceOf<K>>(res.object);
    return (await this.inner()).get(kind, namespace, name, opts);
  }

  async list<K extends string>(
    kind: K,
    opts: ListOptions = {},
  ): Promise<ListResult<ResourceOf<K>>> {
    const reads = await this.reads;
    const res = await reads?.call(readMethods.list, listRequestOf(kind, opts));
    if (res) return listResultOf<K>(res);
    return (await this.inner()).list(kind, opts);
  }

  async *watch<K extends string>(
    kind: K,
    opts?: WatchOptions,
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    yield* (await this.inner()).watch(kind, opts);
  }

  async apply<O extends ResourceInput>(
    object: O,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<ResourceOf<O['kind']>>> {
    return (await this.inner()).apply(object, opts);
  }

  async create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return (await this.inner()).create(object);
  }

  async update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return (await this.inner()).update(object);
  }

  async updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return (await this.inner()).updateStatus(object);
  }

  async delete<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<ResourceOf<K>> {
    return (await this.inner()).delete(kind, namespace, name, opts);
  }

  close(): void {
    void this.reads?.then((c) => c.close());
    void this.full?.then(
      (c) => c.close(),
      () => undefined,
    );
  }
}
