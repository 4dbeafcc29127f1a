// Authentication: bearer tokens (stored, bootstrap), certificates, and the
// one-line Unauthorized answers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Authenticator,
  certificateIdentity,
  formatToken,
  hashSecret,
  parseToken,
  type StoredToken,
} from '../../../pkg/auth/index.js';
import type { JobctlError } from '../../../pkg/util/errors.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const stored = new Map<string, StoredToken>([
  [
    'tok-a',
    {
      metadata: { name: 'tok-a' },
      spec: { user: 'ci', groups: ['devs'], secretHash: hashSecret('s3cret') },
    },
  ],
  [
    'tok-old',
    {
      metadata: { name: 'tok-old' },
      spec: { user: 'old', secretHash: hashSecret('x'), expiresAt: '2025-12-31T23:59:59Z' },
    },
  ],
]);
const auth = new Authenticator({
  lookup: (name) => Promise.resolve(stored.get(name)),
  bootstrapHash: () => hashSecret('the-bootstrap-token'),
  now: () => NOW,
});

async function refused(authorization: string | undefined, message: RegExp): Promise<void> {
  await assert.rejects(
    auth.authenticate(authorization === undefined ? {} : { authorization }),
    (err: JobctlError) => {
      assert.equal(err.reason, 'Unauthorized');
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('Authenticator', () => {
  it('a stored token is its user, groups and name', async () => {
    const id = await auth.authenticate({
      authorization: `Bearer ${formatToken('tok-a', 's3cret')}`,
    });
    assert.deepEqual(id, { user: 'ci', groups: ['devs'], via: 'token', token: 'tok-a' });
  });

  it('the bootstrap token is a cluster admin', async () => {
    const id = await auth.authenticate({ authorization: 'bearer the-bootstrap-token' });
    assert.deepEqual(id, { user: 'bootstrap-admin', groups: ['system:masters'], via: 'token' });
  });

  it('refuses missing, malformed, unknown, wrong and expired tokens with one line', async () => {
    await refused(undefined, /^authentication required: send a bearer token/);
    await refused('Basic dXNlcjpwdw==', /unsupported authorization scheme/);
    await refused('Bearer nodot', /expected NAME\.SECRET/);
    await refused('Bearer tok-gone.s3cret', /invalid bearer token "tok-gone": unknown, revoked/);
    await refused('Bearer tok-a.wrong', /invalid bearer token "tok-a"/);
    await refused('Bearer tok-old.x', /^token "tok-old" expired at 2025-12-31T23:59:59Z$/);
  });

  it('a certificate: CN is the user, O the groups; O=system:nodes is a node', async () => {
    assert.deepEqual(
      await auth.authenticate({ certificate: { cn: 'alice', o: ['devs', 'ops'] } }),
      {
        user: 'alice',
        groups: ['devs', 'ops'],
        via: 'certificate',
      },
    );
    assert.equal(certificateIdentity({ cn: 'node-2', o: ['system:nodes'] }).via, 'node');
    // A token sent along wins (the caller chose it).
    const id = await auth.authenticate({
      authorization: 'Bearer tok-a.s3cret',
      certificate: { cn: 'alice', o: [] },
    });
    assert.equal(id.user, 'ci');
  });

  it('parses NAME.SECRET and hashes with sha256', () => {
    assert.deepEqual(parseToken('tok-a.abc.def'), { name: 'tok-a', secret: 'abc.def' });
    assert.equal(parseToken('Tok.x'), undefined);
    assert.equal(parseToken('.x'), undefined);
    assert.match(hashSecret('x'), /^sha256:[0-9a-f]{64}$/);
  });
});
