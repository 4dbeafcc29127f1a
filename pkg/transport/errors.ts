// The one mapping between JobctlError reasons and gRPC status codes, used by
// every gRPC server handler (toServiceError) and client call (fromServiceError).
// The reason also travels verbatim in the trailing metadata key "jobctl-reason",
// which tells a server-produced error apart from a connection failure.
import * as grpc from '@grpc/grpc-js';
import { ConnectionError, JobctlError, Reason, errorMessage } from '../util/errors.js';

export { ConnectionError };

export const reasonMetadataKey = 'jobctl-reason';

const reasonToCode: Record<Reason, grpc.status> = {
  NotFound: grpc.status.NOT_FOUND,
  AlreadyExists: grpc.status.ALREADY_EXISTS,
  Conflict: grpc.status.ABORTED,
  Invalid: grpc.status.INVALID_ARGUMENT,
  BadRequest: grpc.status.FAILED_PRECONDITION,
  Unauthorized: grpc.status.UNAUTHENTICATED,
  Forbidden: grpc.status.PERMISSION_DENIED,
  Unavailable: grpc.status.UNAVAILABLE,
  TooManyRequests: grpc.status.RESOURCE_EXHAUSTED,
  Timeout: grpc.status.DEADLINE_EXCEEDED,
  Gone: grpc.status.OUT_OF_RANGE,
  Internal: grpc.status.INTERNAL,
};

const codeToReason = new Map<grpc.status, Reason>(
  Object.entries(reasonToCode).map(([reason, code]) => [code, reason as Reason]),
);

export function grpcCodeFor(reason: Reason): grpc.status {
  return reasonToCode[reason];
}

export function reasonForCode(code: grpc.status): Reason {
  return codeToReason.get(code) ?? Reason.Internal;
}

/** Server side: any thrown value -> a ServiceError with code, message and reason metadata. */
export function toServiceError(err: unknown): Partial<grpc.ServiceError> {
  const reason = err instanceof JobctlError ? err.reason : Reason.Internal;
  const metadata = new grpc.Metadata();
  metadata.set(reasonMetadataKey, reason);
  return { code: reasonToCode[reason], details: wellFormed(errorMessage(err)), metadata };
}

/** A UTF-16 code unit of a surrogate pair with no partner beside it. */
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The message with each lone surrogate replaced by U+FFFD. A message may quote
 * what a client sent, cut between the two halves of a character (V8's
 * JSON.parse errors name the first code unit of "𐀀"), and grpc-js
 * percent-encodes the status message with encodeURIComponent, which throws on
 * a lone surrogate: the call then never got its answer.
 */
function wellFormed(message: string): string {
  return message.replace(loneSurrogate, '\uFFFD');
}

/** Client side: a gRPC error -> JobctlError with the server's reason, or ConnectionError. */
export function fromServiceError(err: unknown, address: string): JobctlError {
  const se = err as Partial<grpc.ServiceError>;
  if (typeof se?.code !== 'number')
    return new JobctlError(Reason.Internal, errorMessage(err), { cause: err });
  const sent = se.metadata?.get(reasonMetadataKey)[0];
  if (typeof sent === 'string' && sent in reasonToCode) {
    return new JobctlError(sent as Reason, se.details ?? errorMessage(err), { cause: err });
  }
  if (se.code === grpc.status.UNAVAILABLE) {
    return new ConnectionError(address, se.details || errorMessage(err));
  }
  return new JobctlError(reasonForCode(se.code), se.details ?? errorMessage(err), { cause: err });
}
