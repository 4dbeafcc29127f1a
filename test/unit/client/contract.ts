// The ResourceClient contract suite (STYLE habit 8): every implementation (the
// in-process LocalClient here, the gRPC client later) runs these same tests
// through `runClientContract({ newClient })`.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResourceClient } from '../../../pkg/client/types.js';
import {
  API_VERSION,
  type Job,
  type Resource,
  type ResourceInput,
  type WatchEvent,
} from '../../../pkg/store/index.js';
import { JobctlError } from '../../../pkg/util/errors.js';

export function jobSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    image: 'busybox:latest',
    imagePullPolicy: 'IfNotPresent',
    command: ['echo', 'hello'],
    env: [],
    resources: { cpu: '500m', memory: '256Mi' },
    sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
    completions: 1,
    parallelism: 1,
    backoffLimit: 3,
    priority: 0,
    suspend: false,
    ...overrides,
  };
}

export function job(
  name: string,
  spec: Record<string, unknown> = {},
  meta: Partial<ResourceInput['metadata']> = {},
): ResourceInput {
  return { apiVersion: API_VERSION, kind: 'Job', metadata: { name, ...meta }, spec: jobSpec(spec) };
}

/** Asserts that `p` rejects with a JobctlError of `reason` (and a message matching `message`). */
export async function rejectsWith(
  p: Promise<unknown>,
  reason: string,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof JobctlError, `expected a JobctlError, got ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** The iterator of a watch. */
export function iter(w: AsyncIterable<WatchEvent>): AsyncIterator<WatchEvent> {
  return w[Symbol.asyncIterator]();
}

/** Pulls `n` events from an iterator. */
export async function take(it: AsyncIterator<WatchEvent>, n: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  while (out.length < n) {
    const r = await it.next();
    assert.equal(r.done, false, `watch ended after ${out.length} of ${n} events`);
    out.push(r.value as WatchEvent);
  }
  return out;
}

/** ResourceClient's generics want Record-shaped specs; Job's is an interface. */
export const asJob = (r: Resource): Job => r as unknown as Job;

const brief = (events: readonly WatchEvent[]): string[] =>
  events.map((e) => `${e.type} ${e.object.metadata.name}`);

export interface ContractTarget {
  /** A client on an empty cluster; closed by the suite after each test. */
  newClient(): Promise<ResourceClient>;
}

export function runClientContract(target: ContractTarget): void {
  const withClient = (fn: (c: ResourceClient) => Promise<void>) => async () => {
    const c = await target.newClient();
    try {
      await fn(c);
    } finally {
      c.close();
    }
  };

  describe('ResourceClient contract', () => {
    it(
      'creates, gets, lists, updates and deletes',
      withClient(async (c) => {
        const created = asJob(await c.create(job('a', {}, { labels: { team: 'x' } })));
        assert.equal(created.metadata.name, 'a');
        assert.equal(created.metadata.namespace, 'default');
        assert.equal(created.metadata.generation, 1);
        assert.ok(created.metadata.uid);
        const got = asJob(await c.get('jobs', 'default', 'a'));
        assert.deepEqual(got, created);
        await c.create(job('b'));
        const list = await c.list('job', { namespace: 'default', labelSelector: 'team=x' });
        assert.deepEqual(
          list.items.map((o) => o.metadata.name),
          ['a'],
        );
        assert.ok(Number(list.resourceVersion) >= Number(created.metadata.resourceVersion));
        const updated = asJob(await c.update(job('a', { parallelism: 2 })));
        assert.equal(updated.spec.parallelism, 2);
        assert.equal(updated.metadata.generation, 2);
        const withStatus = asJob(
          await c.updateStatus({ ...job('a'), status: { phase: 'Running', active: 1 } }),
        );
        assert.equal(withStatus.status.phase, 'Running');
        assert.equal(withStatus.spec.parallelism, 2, 'updateStatus leaves spec alone');
        const deleted = await c.delete('Job', 'default', 'a');
        assert.ok(deleted.metadata.deletionTimestamp);
        await rejectsWith(c.get('job', 'default', 'a'), 'NotFound', /^jobs "a" not found$/);
      }),
    );

    it(
      'refuses duplicates, stale versions and unknown objects',
      withClient(async (c) => {
        const a = await c.create(job('a'));
        await rejectsWith(c.create(job('a')), 'AlreadyExists', /jobs "a" already exists/);
        await c.update(job('a', { parallelism: 3 }));
        await rejectsWith(
          c.update(job('a', { parallelism: 4 }, { resourceVersion: a.metadata.resourceVersion })),
          'Conflict',
          /the object has been modified/,
        );
        await rejectsWith(c.delete('job', 'default', 'nope'), 'NotFound', /jobs "nope" not found/);
        await rejectsWith(c.get('widgets', 'default', 'x'), 'NotFound', /resource type "widgets"/);
      }),
    );

    it(
      'generates names from generateName',
      withClient(async (c) => {
        const o = await c.create({ ...job(''), metadata: { generateName: 'hello-' } });
        assert.match(o.metadata.name, /^hello-[a-z0-9]{5}$/);
        assert.equal(o.metadata.generateName, 'hello-');
      }),
    );

    it(
      'applies: created, unchanged, configured; immutable changes need force',
      withClient(async (c) => {
        const first = await c.apply(job('a'));
        assert.equal(first.outcome, 'created');
        assert.equal((await c.apply(job('a'))).outcome, 'unchanged');
        const changed = await c.apply(job('a', { parallelism: 5 }));
        assert.equal(changed.outcome, 'configured');
        assert.equal(asJob(changed.object).spec.parallelism, 5);
        await rejectsWith(
          c.apply(job('a', { image: 'alpine' })),
          'Invalid',
          /spec\.image: field is immutable/,
        );
        const forced = await c.apply(job('a', { image: 'alpine' }), { force: true });
        assert.equal(forced.outcome, 'configured');
        assert.equal(asJob(forced.object).spec.image, 'alpine');
        assert.notEqual(forced.object.metadata.uid, first.object.metadata.uid);
      }),
    );

    it(
      'dry-runs apply and delete on the server without writing',
      withClient(async (c) => {
        const dry = await c.apply(job('a'), { dryRun: 'server' });
        assert.equal(dry.outcome, 'created');
        await rejectsWith(c.get('job', 'default', 'a'), 'NotFound');
        await c.apply(job('a'));
        const dryChange = await c.apply(job('a', { parallelism: 2 }), { dryRun: 'server' });
        assert.equal(dryChange.outcome, 'configured');
        assert.equal(asJob(await c.get('job', 'default', 'a')).spec.parallelism, 1);
        await c.delete('job', 'default', 'a', { dryRun: 'server' });
        await c.get('job', 'default', 'a');
      }),
    );

    it(
      'watches from now: current objects as ADDED, then live changes in order',
      withClient(async (c) => {
        await c.create(job('a'));
        const ac = new AbortController();
        const it = iter(c.watch('jobs', { namespace: 'default', signal: ac.signal }));
        assert.deepEqual(brief(await take(it, 1)), ['ADDED a']);
        await c.create(job('b'));
        await c.update(job('a', { parallelism: 2 }));
        await c.delete('job', 'default', 'b');
        assert.deepEqual(brief(await take(it, 3)), ['ADDED b', 'MODIFIED a', 'DELETED b']);
        ac.abort();
        assert.deepEqual(await it.next(), { done: true, value: undefined });
      }),
    );

    it(
      'watches from a revision: every later change, nothing before',
      withClient(async (c) => {
        await c.create(job('a'));
        const b = await c.create(job('b'));
        await c.create(job('c'));
        await c.delete('job', 'default', 'a');
        const it = iter(c.watch('job', { resourceVersion: b.metadata.resourceVersion }));
        const events = await take(it, 2);
        assert.deepEqual(brief(events), ['ADDED c', 'DELETED a']);
        assert.ok(
          Number(events[0]?.object.metadata.resourceVersion) > Number(b.metadata.resourceVersion),
        );
        await it.return?.();
      }),
    );

    it(
      'filters watches by label selector (objects leaving the selection are DELETED)',
      withClient(async (c) => {
        const { resourceVersion } = await c.list('job');
        await c.create(job('a', {}, { labels: { app: 'x' } }));
        await c.create(job('b', {}, { labels: { app: 'y' } }));
        await c.update(job('a', {}, { labels: { app: 'z' } }));
        const it = iter(c.watch('job', { labelSelector: 'app=x', resourceVersion }));
        assert.deepEqual(brief(await take(it, 2)), ['ADDED a', 'DELETED a']);
        await it.return?.();
      }),
    );

    it(
      'ends a watch waiting for events when its signal aborts',
      withClient(async (c) => {
        const ac = new AbortController();
        const it = iter(c.watch('job', { signal: ac.signal }));
        const pending = it.next();
        ac.abort();
        assert.deepEqual(await pending, { done: true, value: undefined });
      }),
    );

    it(
      'returns at once from a watch whose signal is already aborted',
      withClient(async (c) => {
        const ac = new AbortController();
        ac.abort();
        const events: WatchEvent[] = [];
        for await (const e of c.watch('job', { signal: ac.signal })) events.push(e);
        assert.deepEqual(events, []);
      }),
    );

    it(
      'refuses a bad resourceVersion or selector from the iterator',
      withClient(async (c) => {
        const it = iter(c.watch('job', { resourceVersion: 'abc' }));
        await rejectsWith(it.next(), 'Invalid', /resourceVersion/);
      }),
    );
  });
}
