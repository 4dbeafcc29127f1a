// The bootstrap Token is leader-only work that follows RaftNode's role
// changes: nothing happens on a follower, the node that becomes leader of a
// cluster without a token file creates the Token and writes the file, and a
// failed write is retried while it still leads.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuthService, BOOTSTRAP_TOKEN_NAME, type Leadership } from '../../../pkg/auth/index.js';
import { DelegatingClient } from '../../../pkg/client/delegating.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import { silentNodeLogger } from '../../../pkg/node/logger.js';
import type { ResourceInput } from '../../../pkg/store/index.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';
import { eventually } from '../../support/eventually.js';

class FakeLeadership implements Leadership {
  leader = false;
  private readonly listeners = new Set<(c: { role: string }) => void>();
  isLeader(): boolean {
    return this.leader;
  }
  onRoleChange(fn: (c: { role: string }) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  become(role: 'leader' | 'follower'): void {
    this.leader = role === 'leader';
    for (const fn of [...this.listeners]) fn({ role });
  }
  get subscribers(): number {
    return this.listeners.size;
  }
}

/** Fails the first `n` creates with Unavailable (a leader that cannot commit yet). */
class FlakyCreates extends DelegatingClient {
  constructor(
    inner: ConstructorParameters<typeof DelegatingClient>[0],
    private failures: number,
  ) {
    super(inner);
  }
  override create<O extends ResourceInput>(object: O) {
    if (this.failures-- > 0) {
      return Promise.reject(new JobctlError(Reason.Unavailable, 'no leader yet'));
    }
    return super.create(object);
  }
}

describe('AuthService: bootstrap Token on role changes', () => {
  it('creates the Token when this node becomes leader, retrying a failed write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jobctl-boot-'));
    const file = join(dir, 'token');
    const t = newTestClient();
    const auth = new AuthService({
      enabled: true,
      api: new FlakyCreates(t.client, 1),
      store: t.store,
      nodeName: 'node-1',
      bootstrapTokenFile: file,
      logger: silentNodeLogger,
    });
    const raft = new FakeLeadership();
    try {
      auth.start(raft, 20);
      assert.equal(t.store.get('Token', '', BOOTSTRAP_TOKEN_NAME), undefined, 'a follower waits');
      raft.become('leader');
      await eventually(
        'the bootstrap Token',
        async () => t.store.get('Token', '', BOOTSTRAP_TOKEN_NAME),
        10_000,
      );
      assert.ok(existsSync(file));
      assert.match(readFileSync(file, 'utf8'), new RegExp(`^${BOOTSTRAP_TOKEN_NAME}\\.`));
      await eventually('unsubscribed', async () => raft.subscribers === 0 || undefined, 10_000);
    } finally {
      await auth.close();
      t.client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
