// What the two grpc-js-free unary clients of a `jobctl get` share
// (./h2c-unary.ts over a plain socket, ./h2-unary.ts over node:http2): the
// method, the request headers, gRPC's message framing, and what counts as a
// clean answer. Either client answers "here is the answer" or "no clean
// answer" (undefined), and the caller then asks GrpcClient, which owns every
// error message, retry and server choice; so only reads, which are harmless
// to repeat, come here.
import { channelOptions } from './channel-options.js';
import type { Header } from './hpack.js';

/** A method as these clients need it: its gRPC path and message codecs. */
export interface H2Method<Req, Res> {
  /** "/package.Service/Method". */
  readonly path: string;
  encode(req: Req): Uint8Array;
  decode(bytes: Uint8Array): Res;
}

/** Unary calls to one server, on one connection opened by the first call. */
export interface UnaryChannel {
  /** The answer of `method`, or undefined when there is no clean one. */
  call<Req, Res>(method: H2Method<Req, Res>, req: Req): Promise<Res | undefined>;
  /** Ends the connection once its calls are done. */
  close(): void;
}

/** One server and how to talk to it. */
export interface H2Target {
  /** HOST:PORT. */
  readonly address: string;
  /** PEM contents; present: TLS (a CA to verify the server with, optionally a client pair). */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
  /** Sent as `authorization: Bearer <token>`. */
  readonly token?: string;
}

/** The largest answer accepted: the same bound as GrpcClient's channels. */
export const maxReceive = Number(channelOptions['grpc.max_receive_message_length']);

/**
 * The request headers of a call besides :method, :scheme and :authority
 * (which node:http2 adds itself), in the order they are sent.
 */
export function callHeaders(path: string, timeoutMs: number, token?: string): Header[] {
  const headers: Header[] = [
    [':path', path],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ['grpc-timeout', `${timeoutMs}m`],
    ['grpc-accept-encoding', 'identity'],
  ];
  if (token) headers.push(['authorization', `Bearer ${token}`]);
  return headers;
}

/** A gRPC message frame: a compressed flag (0: we ask for identity) and a 4-byte length. */
export function frame(body: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

/** The one message of a unary answer, or undefined when the bytes are not exactly that. */
function unframe(data: Buffer): Uint8Array | undefined {
  if (data.length < 5 || data[0] !== 0) return undefined;
  const length = data.readUInt32BE(1);
  return data.length === 5 + length ? data.subarray(5) : undefined;
}

/**
 * The answer of a finished call, or undefined unless it is clean: HTTP status
 * 200, grpc-status 0 (from the trailers, or the headers of a trailers-only
 * answer), and a body of exactly one uncompressed message that decodes.
 */
export function cleanAnswer<Res>(
  method: H2Method<unknown, Res>,
  httpStatus: unknown,
  grpcStatus: unknown,
  body: Buffer,
): Res | undefined {
  if (String(httpStatus) !== '200' || grpcStatus !== '0') return undefined;
  const message = unframe(body);
  if (!message) return undefined;
  try {
    return method.decode(message);
  } catch {
    return undefined;
  }
}
