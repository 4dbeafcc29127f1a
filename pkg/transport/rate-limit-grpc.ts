// Per-client rate limiting of a gRPC service (the Jobctl API; Raft traffic is
// not limited): each call, unary or a stream's start, takes a token from its
// client's bucket (pkg/util/rate-limit.ts) before the handler runs. Over the
// rate, the call ends at once with RESOURCE_EXHAUSTED (reason TooManyRequests)
// and a message saying when to retry; the handler never runs.
import type * as grpc from '@grpc/grpc-js';
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';
import { clientHost, type ClientRateLimiter } from '../util/rate-limit.js';
import { toServiceError } from './errors.js';

/** Who a call counts against: the authenticated user when known, else the peer's IP. */
export type CallKey = (call: ServerSurfaceCall) => string;

export const peerKey: CallKey = (call) => clientHost(call.getPeer());

export interface CallLimit {
  readonly limiter: ClientRateLimiter;
  /** Default peerKey. */
  readonly key?: CallKey;
}

/** `handlers` with every method guarded by `limiter` (returned unchanged when it is off). */
export function limitCalls(
  definition: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
  limiter: ClientRateLimiter | undefined,
  keyOf: CallKey = peerKey,
): grpc.UntypedServiceImplementation {
  if (!limiter?.enabled) return handlers;
  const out: grpc.UntypedServiceImplementation = {};
  for (const [name, handler] of Object.entries(handlers)) {
    // Generated definitions (gen/api.ts) are keyed by the handler name (list).
    const method = definition[name];
    const refusal = (call: ServerSurfaceCall): Partial<grpc.ServiceError> | undefined => {
      try {
        limiter.check(keyOf(call));
        return undefined;
      } catch (err) {
        return toServiceError(err);
      }
    };
    const isUnary = method
      ? !method.requestStream && !method.responseStream
      : (handler as (...a: unknown[]) => unknown).length >= 2;
    if (isUnary) {
      const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
      out[name] = ((call, cb) => {
        const refused = refusal(call);
        if (refused) cb(refused);
        else unary(call, cb);
      }) as grpc.handleUnaryCall<unknown, unknown>;
    } else {
      const stream = handler as (call: ServerSurfaceCall & NodeJS.EventEmitter) => void;
      out[name] = ((call: ServerSurfaceCall & NodeJS.EventEmitter) => {
        const refused = refusal(call);
        if (!refused) return stream(call);
        call.on('error', () => {});
        call.emit('error', refused);
      }) as grpc.UntypedHandleCall;
    }
  }
  return out;
}
