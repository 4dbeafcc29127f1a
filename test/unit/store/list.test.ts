import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SeededRng } from '../../../pkg/util/rng.js';
import { JobctlError } from '../../../pkg/util/errors.js';
import type { ListOptions, Resource } from '../../../pkg/store/index.js';
import { Harness, input, jobInput, keys, ok } from './fixtures.js';

function seeded(): Harness {
  const h = new Harness();
  for (const ns of ['default', 'team-a', 'team']) {
    for (const name of ['b', 'a', 'c']) {
      ok(
        h.create(
          jobInput(name, { namespace: ns, labels: { ns, name, tier: name === 'a' ? 'x' : 'y' } }),
        ),
      );
    }
  }
  return h;
}

/** Every page of a listing; `between` runs after each page (concurrent writes). */
function listAll(h: Harness, kind: string, opts: ListOptions, between?: () => void) {
  const items: Resource[] = [];
  const versions: string[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const page = h.store.list(kind, { ...opts, continue: token });
    items.push(...page.items);
    versions.push(page.resourceVersion);
    token = page.continue;
    if (!token) return { items, versions, pages: pages + 1 };
    between?.();
  }
  throw new Error('listing did not end');
}

describe('list', () => {
  it('returns items in namespace/name order with the current revision', () => {
    const h = seeded();
    const all = h.store.list('Job');
    assert.deepEqual(keys(all.items), [
      'default/a',
      'default/b',
      'default/c',
      'team-a/a',
      'team-a/b',
      'team-a/c',
      'team/a',
      'team/b',
      'team/c',
    ]);
    assert.equal(all.resourceVersion, '9');
    assert.equal(all.continue, undefined);
  });

  it('filters by namespace without bleeding into namespaces sharing a prefix', () => {
    const h = seeded();
    assert.deepEqual(keys(h.store.list('jobs', { namespace: 'team' }).items), [
      'team/a',
      'team/b',
      'team/c',
    ]);
    assert.deepEqual(keys(h.store.list('Job', { namespace: 'nope' }).items), []);
  });

  it('filters by label and field selectors', () => {
    const h = seeded();
    assert.deepEqual(keys(h.store.list('Job', { labelSelector: 'tier=x' }).items), [
      'default/a',
      'team-a/a',
      'team/a',
    ]);
    assert.deepEqual(
      keys(h.store.list('Job', { labelSelector: 'ns in (team,default),name!=a' }).items),
      ['default/b', 'default/c', 'team/b', 'team/c'],
    );
    assert.deepEqual(keys(h.store.list('Job', { fieldSelector: 'metadata.name=b' }).items), [
      'default/b',
      'team-a/b',
      'team/b',
    ]);
    ok(h.create(input('Run', 'r1', { spec: { nodeName: 'node-1' } })));
    ok(h.create(input('Run', 'r2', { spec: { nodeName: '' } })));
    assert.deepEqual(keys(h.store.list('Run', { fieldSelector: 'spec.nodeName=node-1' }).items), [
      'default/r1',
    ]);
    assert.deepEqual(keys(h.store.list('Run', { fieldSelector: 'spec.nodeName=' }).items), [
      'default/r2',
    ]);
  });

  it('refuses bad selectors, limits, tokens and kinds', () => {
    const h = seeded();
    const invalid = (opts: ListOptions, part: RegExp) =>
      assert.throws(
        () => h.store.list('Job', opts),
        (e: unknown) => e instanceof JobctlError && e.reason === 'Invalid' && part.test(e.message),
      );
    invalid({ labelSelector: 'a in (b' }, /invalid label selector/);
    invalid({ fieldSelector: 'spec.nodeName=x' }, /field label not supported: spec.nodeName/);
    invalid({ limit: -1 }, /invalid limit/);
    invalid({ limit: 1.5 }, /invalid limit/);
    invalid({ continue: 'not a token!' }, /invalid continue token/);
    invalid({ continue: Buffer.from('{"v":2}').toString('base64url') }, /invalid continue token/);
    invalid({ continue: 'eyJ2IjoxfQ' }, /invalid continue token/);
    assert.throws(
      () => h.store.list('pods'),
      (e: unknown) =>
        e instanceof JobctlError &&
        e.reason === 'NotFound' &&
        e.message === `the server doesn't have a resource type "pods"`,
    );
  });

  it('paginates with a token and no empty last page', () => {
    const h = seeded();
    const first = h.store.list('Job', { limit: 4 });
    assert.deepEqual(keys(first.items), ['default/a', 'default/b', 'default/c', 'team-a/a']);
    assert.ok(first.continue);
    const second = h.store.list('Job', { limit: 4, continue: first.continue });
    assert.deepEqual(keys(second.items), ['team-a/b', 'team-a/c', 'team/a', 'team/b']);
    const third = h.store.list('Job', { limit: 4, continue: second.continue });
    assert.deepEqual(keys(third.items), ['team/c']);
    assert.equal(third.continue, undefined);
    // Exactly divisible: the page that ends the listing carries no token.
    const nine = h.store.list('Job', { limit: 9 });
    assert.equal(nine.items.length, 9);
    assert.equal(nine.continue, undefined);
    // With a selector, the look-ahead only counts matches.
    const sel = h.store.list('Job', { limit: 2, labelSelector: 'tier=x' });
    const rest = h.store.list('Job', { limit: 2, labelSelector: 'tier=x', continue: sel.continue });
    assert.deepEqual(keys(rest.items), ['team/a']);
    assert.equal(rest.continue, undefined);
  });

  it('reports the first page revision on every page, so a watch from it misses nothing', () => {
    const h = seeded();
    const { versions } = listAll(h, 'Job', { limit: 2 }, () => {
      ok(h.create(jobInput(`new-${h.index}`, { namespace: 'zzz' })));
    });
    assert.ok(versions.length > 1);
    assert.ok(versions.every((v) => v === '9'));
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`never duplicates or skips objects present throughout, under concurrent writes (seed ${seed})`, () => {
      const rng = new SeededRng(seed);
      const h = new Harness();
      const namespaces = ['default', 'ns-1', 'ns-10', 'ns-2'];
      const name = () => `job-${rng.int(0, 100_000).toString(36)}`;
      const stable = new Set<string>();
      const volatile: [string, string][] = [];
      for (let i = 0; i < 300; i++) {
        const ns = rng.pick(namespaces);
        const n = name();
        if (h.store.get('Job', ns, n)) continue;
        ok(h.create(jobInput(n, { namespace: ns, labels: { keep: i % 3 === 0 ? 'yes' : 'no' } })));
        if (i % 2 === 0) stable.add(`${ns}/${n}`);
        else volatile.push([ns, n]);
      }
      const churn = () => {
        for (let k = 0; k < 5; k++) {
          const choice = rng.int(0, 3);
          if (choice === 0 && volatile.length > 0) {
            const [ns, n] = volatile.splice(rng.int(0, volatile.length), 1)[0] as [string, string];
            ok(h.delete('Job', ns, n));
          } else if (choice === 1) {
            const ns = rng.pick(namespaces);
            const n = name();
            if (!h.store.get('Job', ns, n)) {
              ok(h.create(jobInput(n, { namespace: ns, labels: { keep: 'yes' } })));
              volatile.push([ns, n]);
            }
          } else {
            const key = rng.pick([...stable]);
            const [ns, n] = key.split('/') as [string, string];
            const cur = h.store.get('Job', ns, n);
            ok(
              h.update(
                jobInput(n, {
                  namespace: ns,
                  labels: { ...cur?.metadata.labels, touched: String(h.index) },
                }),
              ),
            );
          }
        }
      };
      for (const opts of [
        { limit: 7 },
        { limit: 1 },
        { limit: 5, namespace: 'ns-1' },
        { limit: 4, labelSelector: 'keep=yes' },
      ]) {
        const { items } = listAll(h, 'Job', opts, churn);
        const got = keys(items);
        assert.equal(new Set(got).size, got.length, `duplicates with ${JSON.stringify(opts)}`);
        assert.deepEqual([...got].sort(), got, 'pages come in key order');
        for (const key of stable) {
          const [ns] = key.split('/');
          if (opts.namespace && ns !== opts.namespace) continue;
          const obj = h.store.get('Job', ns as string, key.split('/')[1] as string);
          if (opts.labelSelector && obj?.metadata.labels.keep !== 'yes') continue;
          assert.ok(got.includes(key), `skipped ${key} with ${JSON.stringify(opts)}`);
        }
      }
    });
  }
});

describe('counters', () => {
  it('counts objects per kind, every kind present', () => {
    const h = seeded();
    ok(h.create(input('Node', 'n1')));
    assert.deepEqual(h.store.counts(), {
      Job: 9,
      Run: 0,
      Node: 1,
      CronJob: 0,
      Event: 0,
      SandboxPolicy: 0,
      Queue: 0,
      Token: 0,
      RoleBinding: 0,
      ClusterRoleBinding: 0,
    });
    ok(h.delete('Job', 'team', 'a'));
    assert.equal(h.store.stats().objects.Job, 8);
    assert.equal(h.store.stats().revision, 11);
  });
});
