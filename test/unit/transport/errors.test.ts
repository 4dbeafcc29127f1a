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

  it('maps a plain thrown Error to Internal', () => {
    const se = toServiceError(new Error('bug'));
    assert.equal(se.code, grpc.status.INTERNAL);
  });
});
