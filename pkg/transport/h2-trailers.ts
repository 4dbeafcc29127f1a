// A server stream's trailers submitted in the same write turn as its last
// DATA frame, instead of one event-loop iteration later.
//
// Why: a gRPC answer is HEADERS, DATA and trailers (HEADERS with END_STREAM),
// and the client's call ends only with the trailers. Node asks for trailers
// ('wantTrailers') from inside nghttp2's data callback while it writes the
// DATA frame, but its stream.sendTrailers() then defers them with
// setImmediate; the write it schedules from there is a native immediate queued
// while JavaScript immediates run, which waits for the next loop iteration.
// So every answer left in two writes a whole iteration apart, with that
// iteration's poll phase (Raft acks, WAL completions) and immediates (the
// controllers' reactions to the write just answered) in between: on a leader
// at 1 client, 1.0 loop turns and 1.6 socket reads between the two writes
// (docs/benchmarks.md, "One write at 1 client, session 8"). nghttp2 documents
// the data callback as the earliest point to submit trailers (which is where
// 'wantTrailers' is emitted), and its session then writes them in the same
// round of native immediates as the DATA.
//
// How, without Node's internals leaking out of this file: the stream's native
// handle (the own property keyed by Symbol(kHandle)) has trailers(list), the
// call Node's deferred step makes. The list's encoding is Node's own: it is
// recorded the first time each trailers object is sent the ordinary way (the
// handle's method is wrapped for that one call), so only constant trailers
// objects can take the fast path. When the handle or its method is missing
// (another Node), every call goes through stream.sendTrailers() as before, and
// test/unit/transport/h2-trailers.test.ts fails.
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';

interface NativeStream {
  trailers(list: unknown): number;
}

/** Node's encoded header list of each constant trailers object, once recorded. */
const encoded = new WeakMap<OutgoingHttpHeaders, unknown>();

/** Node's stream flag "trailers still to send" (lib/internal/http2/core.js). */
const STREAM_FLAGS_HAS_TRAILERS = 0x20;

function ownSymbol(stream: ServerHttp2Stream, description: string): symbol | undefined {
  return Object.getOwnPropertySymbols(stream).find((s) => s.description === description);
}

let handleKey: symbol | null | undefined;
let stateKey: symbol | null | undefined;

function nativeStream(stream: ServerHttp2Stream): NativeStream | undefined {
  if (handleKey === undefined) handleKey = ownSymbol(stream, 'kHandle') ?? null;
  if (handleKey === null) return undefined;
  const handle = (stream as unknown as Record<symbol, unknown>)[handleKey] as
    Partial<NativeStream> | undefined;
  return typeof handle?.trailers === 'function' ? (handle as NativeStream) : undefined;
}

/** Clears the flag Node's own deferred step clears (it only gates a graceful close). */
function markTrailersSent(stream: ServerHttp2Stream): void {
  if (stateKey === undefined) stateKey = ownSymbol(stream, 'state') ?? null;
  if (stateKey === null) return;
  const state = (stream as unknown as Record<symbol, { flags?: unknown } | undefined>)[stateKey];
  if (typeof state?.flags === 'number') state.flags &= ~STREAM_FLAGS_HAS_TRAILERS;
}

/**
 * Sends `trailers` on `stream`; call it from the stream's 'wantTrailers'
 * listener. `trailers` must be a constant object (never changed after its
 * first use): its encoding is kept per object.
 */
export function sendTrailersNow(stream: ServerHttp2Stream, trailers: OutgoingHttpHeaders): void {
  const handle = nativeStream(stream);
  const list = encoded.get(trailers);
  if (handle !== undefined && list !== undefined) {
    markTrailersSent(stream);
    // As Node's own deferred step: an nghttp2 error ends the stream.
    if (handle.trailers(list) < 0) stream.destroy();
    return;
  }
  if (handle !== undefined) recordEncoding(handle, trailers);
  stream.sendTrailers(trailers);
}

/** Keeps the list Node encodes for `trailers` when its deferred step submits them. */
function recordEncoding(handle: NativeStream, trailers: OutgoingHttpHeaders): void {
  const submit = handle.trailers;
  handle.trailers = function (this: NativeStream, list: unknown): number {
    delete (handle as Partial<NativeStream>).trailers;
    encoded.set(trailers, list);
    return submit.call(this, list);
  };
}

/** Whether this Node has what the fast path needs (for the test that watches for a change). */
export function trailersNowAvailable(stream: ServerHttp2Stream): boolean {
  return nativeStream(stream) !== undefined && ownSymbol(stream, 'state') !== undefined;
}
