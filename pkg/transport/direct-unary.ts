// The node's unary API calls served straight off the HTTP/2 stream, beside
// grpc-js on the same server. grpc-js builds, for every call, a chain of
// call objects (metadata parsed and copied, a message decoder, a deadline
// timer, flow-control pause/resume, listener objects per step) before the
// handler runs, and as many steps to answer; for a one-message request and a
// one-message answer none of it is needed. In process (a grpc-js client, 64
// calls in flight, 520-byte echo) the server's CPU per call was ~88 µs through
// grpc-js and ~55 µs on the stream directly (docs/benchmarks.md, "CPU per
// write, session 7"). Each handler is the one registered with grpc-js, given
// a small call object with what handlers read (request, metadata, peer, TLS
// context), so there is one implementation of every method.
//
// grpc-js owns the HTTP/2 server (the port is shared with Raft and the
// streaming calls) and has no public hook per stream, so this wraps the
// server's `_setupHandlers`, which adds grpc-js's 'stream' listener to each
// HTTP/2 server it creates: the listener is replaced by one that takes the
// methods given here and hands every other stream to grpc-js unchanged.
// When grpc-js changes shape the hook is not installed and every call goes
// through grpc-js as before (installDirectUnary returns false; the test that
// counts direct calls then fails).
//
// What a direct call does as grpc-js would: the content type must be gRPC;
// a compressed request (grpc-encoding other than identity) is left to
// grpc-js, which can decompress it; one message of at most maxReceiveBytes;
// answers are one DATA frame and trailers, errors a trailers-only response
// with the same status, message and metadata as grpc-js would send; the
// trailers leave in the same write turn as the DATA (h2-trailers.ts). Not done
// here: the server-side deadline timer (the client's own deadline ends the
// call: it resets the stream, and the answer is then dropped).
import type * as grpc from '@grpc/grpc-js';
import { Metadata, status as Status } from '@grpc/grpc-js';
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { JobctlError, Reason } from '../util/errors.js';
import { toServiceError } from './errors.js';
import { sendTrailersNow } from './h2-trailers.js';

/** One unary method as served directly: its codecs and grpc-js handler. */
export interface DirectMethod {
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly serialize: (value: unknown) => Buffer;
  readonly handler: grpc.handleUnaryCall<unknown, unknown>;
}

export interface DirectUnaryOptions {
  /** Largest request message, as grpc-js's grpc.max_receive_message_length. */
  readonly maxReceiveBytes: number;
  /**
   * Why a call must be refused (Forbidden), or undefined: what the server's
   * interceptors decide for grpc-js's calls, since a direct call passes none.
   */
  readonly refuse?: (path: string, call: DirectCall) => string | undefined;
}

/** The part of a grpc-js server unary call jobctl's handlers and access checks read. */
export interface DirectCall {
  readonly request: unknown;
  readonly metadata: grpc.Metadata;
  /** The stream, as grpc-js's own call objects hold it (pkg/tls/identity.ts reads its socket). */
  readonly stream: ServerHttp2Stream;
  readonly cancelled: boolean;
  getPeer(): string;
  getAuthContext(): AuthContext;
  getPath(): string;
}

/** What grpc-js's server calls answer getAuthContext() with. */
type AuthContext = ReturnType<grpc.ServerUnaryCall<unknown, unknown>['getAuthContext']>;

type StreamListener = (
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  ...rest: unknown[]
) => void;

interface HookedServer {
  _setupHandlers?: (http2Server: NodeJS.EventEmitter, ...rest: unknown[]) => void;
  onStreamOpened?: (stream: ServerHttp2Stream) => void;
}

/**
 * Serves `methods` (keyed by path, "/jobctl.v1.Jobctl/Apply") directly on
 * every HTTP/2 server `server` binds from now on; call it before bindAsync.
 * Returns false, and changes nothing, when grpc-js does not have the shape
 * this relies on.
 */
export function installDirectUnary(
  server: grpc.Server,
  methods: ReadonlyMap<string, DirectMethod>,
  opts: DirectUnaryOptions,
): boolean {
  const hooked = server as unknown as HookedServer;
  const setup = hooked._setupHandlers;
  if (typeof setup !== 'function' || typeof hooked.onStreamOpened !== 'function') return false;
  hooked._setupHandlers = function (this: HookedServer, http2Server, ...rest) {
    setup.call(this, http2Server, ...rest);
    const grpcListeners = http2Server.listeners('stream') as StreamListener[];
    if (grpcListeners.length === 0) return;
    http2Server.removeAllListeners('stream');
    http2Server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, ...more) => {
      const method = directMethod(methods, headers);
      if (method === undefined) {
        for (const l of grpcListeners) l.call(http2Server, stream, headers, ...more);
        return;
      }
      // grpc-js counts open streams per connection for its idle timeout.
      this.onStreamOpened?.(stream);
      serveDirect(stream, headers, method, opts);
    });
  };
  return true;
}

/** The method to serve directly for these request headers, or undefined to leave the call to grpc-js. */
function directMethod(
  methods: ReadonlyMap<string, DirectMethod>,
  headers: IncomingHttpHeaders,
): DirectMethod | undefined {
  const path = headers[':path'];
  if (path === undefined) return undefined;
  const method = methods.get(path);
  if (method === undefined) return undefined;
  const type = headers['content-type'];
  if (typeof type !== 'string' || !type.startsWith('application/grpc')) return undefined;
  const encoding = headers['grpc-encoding'];
  if (encoding !== undefined && encoding !== 'identity') return undefined;
  return method;
}

/** A status to end a call with. */
interface CallStatus {
  readonly code: grpc.status;
  readonly details: string;
  readonly metadata?: grpc.Metadata | null;
}

function serveDirect(
  stream: ServerHttp2Stream,
  headers: IncomingHttpHeaders,
  method: DirectMethod,
  opts: DirectUnaryOptions,
): void {
  // As grpc-js: a stream error is followed by 'close'; nothing to answer then.
  stream.once('error', () => undefined);
  const path = headers[':path'] as string;
  const chunks: Buffer[] = [];
  let received = 0;
  let ended = false;
  /**
   * Writes the answer once, unless the client is gone. A write that throws
   * (the session went down under it) resets the stream: nothing a call does
   * may throw out of a stream event into the process.
   */
  const once = (write: () => void): void => {
    if (ended) return;
    ended = true;
    chunks.length = 0;
    if (stream.destroyed || stream.closed) return;
    try {
      write();
    } catch {
      stream.destroy();
    }
  };
  const fail = (s: CallStatus): void =>
    once(() => {
      const out: OutgoingHttpHeaders = {
        ':status': 200,
        'content-type': 'application/grpc+proto',
        'grpc-status': s.code,
        'grpc-message': statusMessage(s.details),
        ...(s.metadata ? s.metadata.toHttp2Headers() : {}),
      };
      stream.respond(out, { endStream: true });
    });
  /** A handler's error (a ServiceError, as handlers give grpc-js) or a JobctlError. */
  const failWith = (err: Partial<grpc.ServiceError> | JobctlError): void => {
    const se = err instanceof JobctlError ? toServiceError(err) : err;
    fail({
      code: se.code ?? Status.UNKNOWN,
      details: se.details ?? se.message ?? 'Unknown error',
      metadata: se.metadata ?? null,
    });
  };
  const answer = (bytes: Buffer): void =>
    once(() => {
      stream.respond(responseHeaders, { waitForTrailers: true });
      // In the same write turn as the DATA frame, not an iteration later (h2-trailers.ts).
      stream.once('wantTrailers', () => sendTrailersNow(stream, okTrailers));
      stream.end(grpcFrame(bytes));
    });
  stream.on('data', (chunk: Buffer) => {
    if (ended) return;
    received += chunk.length;
    if (received > opts.maxReceiveBytes + 5) {
      fail({
        code: Status.RESOURCE_EXHAUSTED,
        details: `Received message larger than max (${received - 5} vs. ${opts.maxReceiveBytes})`,
      });
      return;
    }
    chunks.push(chunk);
  });
  stream.on('end', () => {
    try {
      if (!ended) handle();
    } catch (err) {
      failWith(new JobctlError(Reason.Internal, String(err)));
    }
  });
  const handle = (): void => {
    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const message = oneMessage(body);
    if (typeof message === 'string') {
      fail({ code: Status.INTERNAL, details: message });
      return;
    }
    let request: unknown;
    try {
      request = method.deserialize(message);
    } catch (err) {
      fail({ code: Status.INTERNAL, details: `Error deserializing request: ${String(err)}` });
      return;
    }
    const call = new DirectUnaryCall(stream, headers, request);
    const refusal = opts.refuse?.(path, call);
    if (refusal !== undefined) {
      failWith(new JobctlError(Reason.Forbidden, refusal));
      return;
    }
    try {
      method.handler(call as unknown as grpc.ServerUnaryCall<unknown, unknown>, (err, value) => {
        if (err) {
          failWith(err);
          return;
        }
        let bytes: Buffer;
        try {
          bytes = method.serialize(value);
        } catch (e) {
          fail({ code: Status.INTERNAL, details: `Error serializing response: ${String(e)}` });
          return;
        }
        answer(bytes);
      });
    } catch (err) {
      failWith(new JobctlError(Reason.Internal, String(err)));
    }
  };
}

/**
 * A status message as grpc-js sends it (encodeURI), which throws on a lone
 * UTF-16 surrogate: that becomes U+FFFD first (errors.ts does the same).
 */
function statusMessage(details: string): string {
  try {
    return encodeURI(details);
  } catch {
    // UTF-8 has no lone surrogates: the round trip makes each one U+FFFD.
    return encodeURI(Buffer.from(details, 'utf8').toString('utf8'));
  }
}

const responseHeaders: OutgoingHttpHeaders = {
  ':status': 200,
  'content-type': 'application/grpc+proto',
  'grpc-accept-encoding': 'identity',
  'grpc-encoding': 'identity',
};
/** Constant: h2-trailers.ts keeps its encoding. */
const okTrailers: OutgoingHttpHeaders = Object.freeze({
  'grpc-status': Status.OK,
  'grpc-message': '',
});

/** The one message of a unary request's body, or why there is not exactly one uncompressed message. */
function oneMessage(body: Buffer): Buffer | string {
  if (body.length < 5) return body.length === 0 ? 'No message received' : 'Incomplete message';
  if (body[0] !== 0) return 'Compressed message with no grpc-encoding';
  const length = body.readUInt32BE(1);
  if (body.length < 5 + length) return 'Incomplete message';
  if (body.length > 5 + length) return 'More than one message in a unary request';
  return body.subarray(5);
}

/** A message in gRPC's length-prefixed framing: flag 0 (uncompressed), 4-byte length, bytes. */
function grpcFrame(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafe(5 + bytes.length);
  out[0] = 0;
  out.writeUInt32BE(bytes.length, 1);
  bytes.copy(out, 5);
  return out;
}

/** Request headers that are not metadata: grpc-js keeps them from handlers too. */
const notMetadata = new Set([
  'grpc-timeout',
  'grpc-encoding',
  'grpc-accept-encoding',
  'accept-encoding',
  'te',
  'content-type',
]);

/** The request's metadata as grpc-js gives it to handlers (its own decoding of the kept headers). */
function requestMetadata(headers: IncomingHttpHeaders): grpc.Metadata {
  const kept: IncomingHttpHeaders = {};
  for (const key of Object.keys(headers)) {
    if (key.charCodeAt(0) !== 0x3a /* ':' */ && !notMetadata.has(key)) kept[key] = headers[key];
  }
  return Metadata.fromHttp2Headers(kept);
}

/** A direct call as its handler sees it; metadata is built when first read. */
class DirectUnaryCall implements DirectCall {
  private md: grpc.Metadata | undefined;

  constructor(
    readonly stream: ServerHttp2Stream,
    private readonly headers: IncomingHttpHeaders,
    readonly request: unknown,
  ) {}

  get metadata(): grpc.Metadata {
    this.md ??= requestMetadata(this.headers);
    return this.md;
  }

  get cancelled(): boolean {
    return this.stream.destroyed || this.stream.closed;
  }

  getPeer(): string {
    const socket = this.stream.session?.socket;
    if (!socket?.remoteAddress) return 'unknown';
    return socket.remotePort
      ? `${socket.remoteAddress}:${socket.remotePort}`
      : socket.remoteAddress;
  }

  getAuthContext(): AuthContext {
    // As grpc-js: the peer certificate only of a TLS socket the CA verified.
    const socket = this.stream.session?.socket as Partial<TLSSocket> | undefined;
    if (!socket?.encrypted || socket.authorized !== true || !socket.getPeerCertificate) return {};
    const cert = socket.getPeerCertificate();
    return { transportSecurityType: 'ssl', sslPeerCertificate: cert.raw ? cert : undefined };
  }

  getPath(): string {
    return this.headers[':path'] as string;
  }
}
