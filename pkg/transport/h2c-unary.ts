// Unary gRPC calls over plain-text HTTP/2 (h2c, prior knowledge) written on
// a node:net socket: the reads of a `jobctl get` to a server without TLS.
// node:http2 would do the same, but loading it (http2, http, tls, crypto and
// their streams: ~85 internal modules) is the largest part of what a `get`
// costs above bare node; a socket is already loaded. docs/benchmarks.md has
// the figures.
//
// It speaks only the part of HTTP/2 (RFC 9113) such a call uses: the
// preface, SETTINGS (push off, the largest windows, so that the server never
// waits for a WINDOW_UPDATE), one HEADERS and one DATA frame per call,
// and reading the frames of the answers with ./hpack.ts. Anything else it
// does not expect (an RST_STREAM, a GOAWAY before the answer, a header block
// it cannot decode, a frame too large, a request that does not fit in one
// frame) gives "no clean answer" (see ./unary-wire.ts), and the caller asks
// again through GrpcClient. So may a call's deadline pass; the connection
// is then dropped.
import { connect, type Socket } from 'node:net';
import { HpackDecoder, encodeHeaderBlock, type Header } from './hpack.js';
import {
  callHeaders,
  cleanAnswer,
  frame,
  maxReceive,
  type H2Method,
  type H2Target,
  type UnaryChannel,
} from './unary-wire.js';

const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

const FrameType = {
  data: 0x0,
  headers: 0x1,
  rstStream: 0x3,
  settings: 0x4,
  pushPromise: 0x5,
  ping: 0x6,
  goaway: 0x7,
  windowUpdate: 0x8,
  continuation: 0x9,
} as const;

const Flag = { endStream: 0x1, ack: 0x1, endHeaders: 0x4, padded: 0x8, priority: 0x20 } as const;

/** The largest frame either side may send without a setting saying more (RFC 9113 §4.2). */
const maxFrame = 16_384;
/** The largest flow-control window (2^31-1). */
const maxWindow = 0x7fffffff;
const defaultWindow = 65_535;

function frameBytes(type: number, flags: number, stream: number, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(stream, 5);
  out.set(payload, 9);
  return out;
}

/** What the client says first: the preface, its settings, and a connection window to match. */
function opening(): Buffer {
  const settings = Buffer.alloc(12);
  settings.writeUInt16BE(0x2, 0); // SETTINGS_ENABLE_PUSH
  settings.writeUInt32BE(0, 2);
  settings.writeUInt16BE(0x4, 6); // SETTINGS_INITIAL_WINDOW_SIZE
  settings.writeUInt32BE(maxWindow, 8);
  const increment = Buffer.alloc(4);
  increment.writeUInt32BE(maxWindow - defaultWindow);
  return Buffer.concat([
    preface,
    frameBytes(FrameType.settings, 0, 0, settings),
    frameBytes(FrameType.windowUpdate, 0, 0, increment),
  ]);
}

/** HOST and PORT of "HOST:PORT" or "[V6]:PORT". */
function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  return {
    host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host,
    port: Number(address.slice(colon + 1)),
  };
}

/** One call in flight. */
interface Call {
  status?: string;
  grpcStatus?: string;
  /** Header blocks seen: the first is the answer's headers, a second its trailers. */
  blocks: number;
  readonly chunks: Buffer[];
  received: number;
  /** Settles the call with the answer of its body, or undefined. */
  finish(ok: boolean): void;
}

/** One connection: the socket, its reader's state, and its calls by stream id. */
class Connection {
  private readonly calls = new Map<number, Call>();
  private nextStream = 1;
  private buffered: Buffer = Buffer.alloc(0);
  private readonly hpack = new HpackDecoder();
  /** A header block split over HEADERS and CONTINUATION frames, until its end. */
  private pending: { stream: number; endStream: boolean; parts: Buffer[] } | undefined;
  /** No new calls: broken, going away, or closing. */
  done = false;
  private closing = false;
  private readonly socket: Socket;

  constructor(address: string) {
    const { host, port } = hostPort(address);
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.read(chunk));
    // A refused or broken connection fails its calls; they are asked again elsewhere.
    this.socket.on('error', () => this.fail());
    this.socket.on('close', () => this.fail());
    this.socket.write(opening());
  }

  /** Sends a call's HEADERS and DATA; false when they do not fit in one frame each. */
  start(headers: readonly Header[], message: Buffer, call: Call): boolean {
    const block = encodeHeaderBlock(headers);
    if (block.length > maxFrame || message.length > maxFrame) return false;
    const stream = this.nextStream;
    this.nextStream += 2;
    this.calls.set(stream, call);
    this.socket.write(
      Buffer.concat([
        frameBytes(FrameType.headers, Flag.endHeaders, stream, block),
        frameBytes(FrameType.data, Flag.endStream, stream, message),
      ]),
    );
    return true;
  }

  /** Ends the call of `stream`, and the connection when it was closing and this was its last. */
  private settle(stream: number, ok: boolean): void {
    const call = this.calls.get(stream);
    if (!call) return;
    this.calls.delete(stream);
    call.finish(ok);
    if (this.closing && this.calls.size === 0) this.shutdown();
  }

  /** Closes once the calls in flight are done. */
  close(): void {
    this.done = true;
    this.closing = true;
    if (this.calls.size === 0) this.shutdown();
  }

  /** Fails every call in flight and ends the socket now. */
  fail(): void {
    this.done = true;
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const c of calls) c.finish(false);
    this.socket.destroy();
  }

  private shutdown(): void {
    const goaway = Buffer.alloc(8); // last stream 0, NO_ERROR
    this.socket.end(frameBytes(FrameType.goaway, 0, 0, goaway));
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= 9) {
      const length = this.buffered.readUIntBE(0, 3);
      // Every frame larger than the default limit is refused: this side never raised it.
      if (length > maxFrame) return this.fail();
      if (this.buffered.length < 9 + length) return;
      const type = this.buffered[3] ?? 0;
      const flags = this.buffered[4] ?? 0;
      const stream = this.buffered.readUInt32BE(5) & 0x7fffffff;
      const payload = this.buffered.subarray(9, 9 + length);
      this.buffered = this.buffered.subarray(9 + length);
      if (!this.frame(type, flags, stream, payload)) return this.fail();
    }
  }

  /** Handles one frame; false when the connection cannot go on. */
  private frame(type: number, flags: number, stream: number, payload: Buffer): boolean {
    if (this.pending && type !== FrameType.continuation) return false;
    switch (type) {
      case FrameType.data: {
        const call = this.calls.get(stream);
        const body = unpad(flags, payload);
        if (!call || !body) return Boolean(body);
        call.received += body.length;
        if (call.received > maxReceive + 5) return false;
        call.chunks.push(Buffer.from(body));
        if (flags & Flag.endStream) this.settle(stream, true);
        return true;
      }
      case FrameType.headers: {
        let fragment = unpad(flags, payload);
        if (fragment && flags & Flag.priority) fragment = fragment.subarray(5);
        if (!fragment) return false;
        this.pending = { stream, endStream: Boolean(flags & Flag.endStream), parts: [] };
        return this.continueHeaders(flags, fragment);
      }
      case FrameType.continuation:
        if (!this.pending || this.pending.stream !== stream) return false;
        return this.continueHeaders(flags, payload);
      case FrameType.rstStream:
        this.settle(stream, false);
        return true;
      case FrameType.settings:
        if (!(flags & Flag.ack)) {
          this.socket.write(frameBytes(FrameType.settings, Flag.ack, 0, Buffer.alloc(0)));
        }
        return true;
      case FrameType.ping:
        if (!(flags & Flag.ack))
          this.socket.write(frameBytes(FrameType.ping, Flag.ack, 0, payload));
        return true;
      case FrameType.goaway: {
        // Calls the server will not answer fail now; the rest may still end cleanly.
        this.done = true;
        const last = payload.length >= 4 ? payload.readUInt32BE(0) & 0x7fffffff : 0;
        for (const id of [...this.calls.keys()]) if (id > last) this.settle(id, false);
        return true;
      }
      case FrameType.pushPromise: // refused by our settings
        return false;
      default: // WINDOW_UPDATE (our sends are small), PRIORITY, unknown types: ignored
        return true;
    }
  }

  private continueHeaders(flags: number, fragment: Buffer): boolean {
    const pending = this.pending;
    if (!pending) return false;
    pending.parts.push(Buffer.from(fragment));
    if (!(flags & Flag.endHeaders)) return true;
    this.pending = undefined;
    const headers = this.hpack.decode(Buffer.concat(pending.parts));
    // An undecoded block leaves the table out of step: nothing after it can be read.
    if (!headers) return false;
    const call = this.calls.get(pending.stream);
    if (!call) return true;
    call.blocks++;
    for (const [name, value] of headers) {
      if (name === ':status' && call.blocks === 1) call.status = value;
      if (name === 'grpc-status') call.grpcStatus = value;
    }
    if (call.blocks === 1 && call.status !== '200') this.settle(pending.stream, false);
    else if (pending.endStream) this.settle(pending.stream, true);
    return true;
  }
}

/** A DATA or HEADERS payload without its padding, or undefined when the padding is malformed. */
function unpad(flags: number, payload: Buffer): Buffer | undefined {
  if (!(flags & Flag.padded)) return payload;
  const pad = payload[0];
  if (pad === undefined || pad + 1 > payload.length) return undefined;
  return payload.subarray(1, payload.length - pad);
}

/** Unary calls to one server over one h2c connection, opened by the first call. */
export class H2cUnaryChannel implements UnaryChannel {
  private conn: Connection | undefined;

  /** `target` without TLS: this channel speaks plain text only. */
  constructor(
    private readonly target: Omit<H2Target, 'tls'>,
    private readonly timeoutMs: number,
  ) {}

  call<Req, Res>(method: H2Method<Req, Res>, req: Req): Promise<Res | undefined> {
    return new Promise((resolve) => {
      if (!this.conn || this.conn.done) this.conn = new Connection(this.target.address);
      const conn = this.conn;
      let settled = false;
      const call: Call = {
        blocks: 0,
        chunks: [],
        received: 0,
        finish: (ok) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(
            ok
              ? cleanAnswer(method, call.status, call.grpcStatus, Buffer.concat(call.chunks))
              : undefined,
          );
        },
      };
      const timer = setTimeout(() => {
        call.finish(false);
        conn.fail();
      }, this.timeoutMs);
      const headers: Header[] = [
        [':method', 'POST'],
        [':scheme', 'http'],
        [':authority', this.target.address],
        ...callHeaders(method.path, this.timeoutMs, this.target.token),
      ];
      let message: Buffer;
      try {
        message = frame(method.encode(req));
      } catch {
        call.finish(false);
        return;
      }
      if (!conn.start(headers, message, call)) call.finish(false);
    });
  }

  close(): void {
    this.conn?.close();
    this.conn = undefined;
  }
}
