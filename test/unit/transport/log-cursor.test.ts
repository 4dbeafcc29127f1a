// LogCursor: a logs stream resumed on another server repeats and loses no byte.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCursor } from '../../../pkg/transport/log-cursor.js';
import { isReason, Reason } from '../../../pkg/util/errors.js';

const b = (s: string): Buffer => Buffer.from(s);

describe('LogCursor', () => {
  it('asks the next server for the same Run from the first byte not delivered, and drops the overlap', () => {
    const c = new LogCursor();
    const base = { namespace: 'default', job: 'j', tail: 5, follow: true };
    assert.deepEqual(c.request(base), base);
    c.onInfo({ offset: 100, run: 'j-0', runUid: 'u1' });
    assert.equal(c.take(b('abc')).toString(), 'abc');
    assert.equal(c.take(b('de')).toString(), 'de');
    assert.deepEqual(c.request(base), {
      namespace: 'default',
      follow: true,
      run: 'j-0',
      runUid: 'u1',
      fromOffset: 105,
    });
    // The new server starts a little earlier (a line-aligned chunk): the overlap is dropped.
    assert.deepEqual(c.onInfo({ offset: 103, run: 'j-0', runUid: 'u1' }), {
      offset: 103,
      run: 'j-0',
      runUid: 'u1',
    });
    assert.equal(c.take(b('deFG')).toString(), 'FG');
    assert.equal(c.take(b('H')).toString(), 'H');
    assert.ok(c.canResume());
  });

  it('says how many bytes were no longer kept when the next stream starts later', () => {
    const c = new LogCursor();
    c.request({});
    c.onInfo({ offset: 0 });
    c.take(b('abc'));
    c.request({});
    assert.equal(c.onInfo({ offset: 10 }).skipped, 7);
    assert.equal(c.take(b('k')).toString(), 'k');
  });

  it('a note before the first info is delivered but not counted', () => {
    const c = new LogCursor();
    c.request({});
    assert.equal(c.take(b('[note]\n')).toString(), '[note]\n');
    c.onInfo({ offset: 50 });
    assert.equal(c.take(b('x')).toString(), 'x');
    assert.equal(c.request({}).fromOffset, 51);
  });

  it('cannot resume a stream that never said where its bytes are', () => {
    const c = new LogCursor();
    c.request({});
    c.take(b('abc'));
    assert.equal(c.canResume(), false);
    const d = new LogCursor();
    d.request({});
    d.onInfo({ offset: 0 });
    d.take(b('abc'));
    d.request({});
    d.onInfo({});
    assert.throws(
      () => d.take(b('abc')),
      (err: unknown) => isReason(err, Reason.Unavailable),
    );
  });
});
