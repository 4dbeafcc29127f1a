// One unary gRPC call over Node's own HTTP/2 client, without grpc-js: the
// reads of a `jobctl get` to a server with TLS (without TLS, ./h2c-unary.ts
// does the same on a plain socket and node:http2 is never loaded). In a
// short-lived process, loading and starting grpc-js (its ~700 KB of code,
// channel, resolver and load balancer) costs more than the call itself.
//
// It knows only "here is the answer" and "no clean answer" (undefined: the
// server could not be reached, answered with an error status, sent something
// unexpected, or took too long); ./unary-wire.ts says what the caller does then.
import { connect, type ClientHttp2Session, type OutgoingHttpHeaders } from 'node:http2';
import {
  callHeaders,
  cleanAnswer,
  frame,
  maxReceive,
  type H2Method,
  type H2Target,
  type UnaryChannel,
} from './unary-wire.js';

/** Unary calls to one server over one HTTP/2 connection, opened by the first call. */
export class H2UnaryChannel implements UnaryChannel {
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
        const headers: OutgoingHttpHeaders = { ':method': 'POST' };
        for (const [name, value] of callHeaders(method.path, this.timeoutMs, this.target.token)) {
          headers[name] = value;
        }
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
        stream.on('end', () => settle(cleanAnswer(method, 200, status, Buffer.concat(chunks))));
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
