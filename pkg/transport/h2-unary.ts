// One unary gRPC call over Node's own HTTP/2 client, without grpc-js: the
// happy path of a read in a short-lived process (`jobctl get`), where loading
// and starting grpc-js (its ~700 KB of code, channel, resolver and load
// balancer) costs more than the call itself.
//
// It knows only "here is the answer" and "no clean answer" (undefined: the
// server could not be reached, answered with an error status, sent something
// unexpected, or took too long). The caller then makes the same call through
// GrpcClient, which owns every error message, retry and server choice, so
// only calls that are harmless to repeat (reads) may come here.
import { connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import { channelOptions } from './channel-options.js';

/** A method as this module needs it: its gRPC path and message codecs. */
export interface H2Method<Req, Res> {
  /** "/package.Service/Method". */
  readonly path: string;
  encode(req: Req): Uint8Array;
  decode(bytes: Uint8Array): Res;
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
const maxReceive = Number(channelOptions['grpc.max_receive_message_length']);

/** A gRPC message frame: a compressed flag (0: we ask for identity) and a 4-byte length. */
function frame(body: Uint8Array): Buffer {
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

/** Unary calls to one server over one HTTP/2 connection, opened by the first call. */
export class H2UnaryChannel {
  private session: ClientHttp2Session | undefined;

  constructor(
    private readonly target: H2Target,
    private readonly timeoutMs: number,
  ) {}

  private open(): ClientHttp2Session {
    if (this.session && !this.session.destroyed) return this.session;
    const { address, tls } = this.target;
    const session = tls
      ? connect(`https://${address}`, { ca: tls.ca, cert: tls.cert, key: tls.key })
      : connect(`http://${address}`);
    // A refused or broken connection fails the call (its stream errors too);
    // without a listener the session's 'error' would end the process.
    session.on('error', () => undefined);
    this.session = session;
    return session;
  }

  /** The answer of `method`, or undefined when there is no clean one (see the header). */
  call<Req, Res>(method: H2Method<Req, Res>, req: Req): Promise<Res | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (value: Res | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(value);
      };
      const timer = setTimeout(() => {
        settle(undefined);
        this.drop();
      }, this.timeoutMs);
      try {
        const headers: OutgoingHttpHeaders = {
          ':method': 'POST',
          ':path': method.path,
          'content-type': 'application/grpc',
          te: 'trailers',
          'grpc-timeout': `${this.timeoutMs}m`,
          'grpc-accept-encoding': 'identity',
        };
        if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
        const stream = this.open().request(headers);
        const chunks: Buffer[] = [];
        let received = 0;
        let status: unknown;
        stream.on('response', (h) => {
          if (h[':status'] !== 200) settle(undefined);
          status = h['grpc-status']; // a "trailers-only" answer carries it here
        });
        stream.on('trailers', (t) => (status = t['grpc-status']));
        stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxReceive + 5) {
            settle(undefined);
            stream.close();
          } else chunks.push(chunk);
        });
        stream.on('end', () => {
          const body = status === '0' ? unframe(Buffer.concat(chunks)) : undefined;
          try {
            settle(body && method.decode(body));
          } catch {
            settle(undefined);
          }
        });
        stream.on('error', () => settle(undefined));
        stream.on('close', () => settle(undefined));
        stream.end(frame(method.encode(req)));
      } catch {
        settle(undefined);
      }
    });
  }

  /** Ends the connection once its calls are done. */
  close(): void {
    this.session?.close();
    this.session = undefined;
  }

  /** Ends the connection now: a server that does not answer would keep a graceful close open. */
  private drop(): void {
    this.session?.destroy();
    this.session = undefined;
  }
}
