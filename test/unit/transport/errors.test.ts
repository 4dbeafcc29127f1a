import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import {
  ConnectionError,
  fromServiceError,
  grpcCodeFor,
  toServiceError,
} from '../../../pkg/transport/errors.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';

describe('gRPC error mapping', () => {
  it('maps each reason to the documented code', () => {
    assert.equal(grpcCodeFor(Reason.NotFound), grpc.status.NOT_FOUND);
    assert.equal(grpcCodeFor(Reason.Conflict), grpc.status.ABORTED);
    assert.equal(grpcCodeFor(Reason.Invalid), grpc.status.INVALID_ARGUMENT);
    assert.equal(grpcCodeFor(Reason.Unavailable), grpc.status.UNAVAILABLE);
    assert.equal(grpcCodeFor(Reason.TooManyRequests), grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(grpcCodeFor(Reason.Timeout), grpc.status.DEADLINE_EXCEEDED);
    assert.equal(grpcCodeFor(Reason.AlreadyExists), grpc.status.ALREADY_EXISTS);
    assert.equal(grpcCodeFor(Reason.Forbidden), grpc.status.PERMISSION_DENIED);
    assert.equal(grpcCodeFor(Reason.Gone), grpc.status.OUT_OF_RANGE);
  });

  it('round-trips every reason through a ServiceError', () => {
    for (const reason of Object.values(Reason)) {
      const se = toServiceError(new JobctlError(reason, `boom ${reason}`));
      const back = fromServiceError(se, '127.0.0.1:1');
      assert.ok(back instanceof JobctlError);
      assert.equal(back.reason, reason);
      assert.equal(back.message, `boom ${reason}`);
      assert.ok(!(back instanceof ConnectionError));
    }
  });

  it('treats UNAVAILABLE without a server reason as a connection failure', () => {
    const err = fromServiceError(
      { code: grpc.status.UNAVAILABLE, details: 'connect ECONNREFUSED' },
      'h:1',
    );
    assert.ok(err instanceof ConnectionError);
    assert.equal(err.address, 'h:1');
  });

  it('sends a message quoting half a character as a well-formed string', () => {
    // V8 names the first code unit of a 4-byte UTF-8 character that is not JSON.
    let message = '';
    try {
      JSON.parse('\u{10000}');
    } catch (err) {
      message = (err as Error).message;
    }
    assert.throws(() => encodeURIComponent(message), URIError);
    const se = toServiceError(new JobctlError(Reason.Invalid, `object is not JSON: ${message}`));
    // grpc-js percent-encodes the status message; a lone surrogate made it throw.
    assert.doesNotThrow(() => encodeURIComponent(se.details ?? ''));
    assert.match(se.details ?? '', /^object is not JSON: Unexpected token '\uFFFD'/);
    const whole = toServiceError(new JobctlError(Reason.Invalid, 'name "\u{10000}" is taken'));
    assert.equal(whole.details, 'name "\u{10000}" is taken');
  });

  it('maps a plain thrown Error to Internal', () => {
    const se = toServiceError(new Error('bug'));
    assert.equal(se.code, grpc.status.INTERNAL);
  });
});
