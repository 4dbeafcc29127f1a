// The request-field checks of api-wire.ts quote what the client sent, so a
// refusal stays one line whatever bytes arrive (the fuzzer found a dry_run of
// "\r\n\n\n\n" decoded from junk protobuf, echoed raw over several lines).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consistencyOf, dryRunOf } from '../../../pkg/transport/api-wire.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';

const oneLineInvalid = (fn: () => unknown): void =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof JobctlError);
    assert.equal(err.reason, Reason.Invalid);
    assert.doesNotMatch(err.message, /[\r\n]/, JSON.stringify(err.message));
    return true;
  });

describe('api-wire request fields', () => {
  it('accepts the known dry_run and consistency values', () => {
    assert.equal(dryRunOf('server'), 'server');
    assert.equal(dryRunOf(''), undefined);
    assert.equal(consistencyOf('stale'), 'stale');
    assert.equal(consistencyOf(undefined), undefined);
  });

  it('refuses unknown values with one line, control characters quoted', () => {
    oneLineInvalid(() => dryRunOf('\r\n\n\n\n'));
    oneLineInvalid(() => consistencyOf('x\ny'));
    assert.throws(() => dryRunOf('a\nb'), /invalid dry_run "a\\nb"/);
  });
});
