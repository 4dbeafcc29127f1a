// Sandbox policy: the pure evaluation (effective policy of a namespace, each
// relaxation against it, the rule named in the refusal) and the admission step
// of ApiService that reads a namespace's policies (create, apply, update,
// CronJob templates, dry runs; status writes untouched).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  effectivePolicy,
  sandboxViolations,
  strictPolicy,
  type PolicyInput,
} from '../../../pkg/api/sandbox-policy.js';
import { ApiService } from '../../../pkg/api/service.js';
import { newTestClient } from '../../../pkg/client/testing.js';
import {
  API_VERSION,
  type ResourceInput,
  type SandboxPolicy,
  type SandboxPolicySpec,
} from '../../../pkg/store/index.js';
import { JobctlError, Reason } from '../../../pkg/util/errors.js';

function policy(name: string, spec: Partial<SandboxPolicySpec>, namespace = 'ci'): SandboxPolicy {
  return {
    apiVersion: API_VERSION,
    kind: 'SandboxPolicy',
    metadata: { name, namespace } as SandboxPolicy['metadata'],
    spec: {
      allowNetwork: ['none'],
      allowWritableRootFilesystem: false,
      allowRootUser: false,
      allowUsers: [],
      ...spec,
    },
    status: {},
  };
}

const strictSpec: PolicyInput = {
  image: 'busybox:latest',
  resources: { cpu: '500m', memory: '256Mi' },
  sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
};

function spec(over: {
  image?: string;
  cpu?: string;
  memory?: string;
  network?: 'none' | 'bridge';
  readOnlyRootFilesystem?: boolean;
  user?: string;
}): PolicyInput {
  return {
    image: over.image ?? strictSpec.image!,
    resources: { cpu: over.cpu ?? '500m', memory: over.memory ?? '256Mi' },
    sandbox: {
      network: over.network ?? 'none',
      readOnlyRootFilesystem: over.readOnlyRootFilesystem ?? true,
      user: over.user ?? '65534:65534',
    },
  };
}

const messages = (s: PolicyInput, p = strictPolicy('ci')): string[] =>
  sandboxViolations(s, p).map((e) => `${e.path}: ${e.message}`);

describe('sandbox policy evaluation', () => {
  it('a namespace without policy allows the strict sandbox, any image, any size', () => {
    assert.deepEqual(messages(strictSpec), []);
    assert.deepEqual(
      messages(spec({ image: 'registry.example.com/x:1', cpu: '64', memory: '512Gi' })),
      [],
    );
    // 65534 alone (the image's primary group) is the strict user too.
    assert.deepEqual(messages(spec({ user: '65534' })), []);
  });

  it('a namespace without policy refuses each relaxation, naming the rule', () => {
    assert.deepEqual(
      messages(spec({ network: 'bridge', readOnlyRootFilesystem: false, user: '1000:1000' })),
      [
        'spec.sandbox.network: "bridge" is not allowed in namespace "ci", which has no SandboxPolicy (the strict sandbox only) (allowNetwork: [none])',
        'spec.sandbox.readOnlyRootFilesystem: false is not allowed in namespace "ci", which has no SandboxPolicy (the strict sandbox only) (allowWritableRootFilesystem: false)',
        'spec.sandbox.user: "1000:1000" is not allowed in namespace "ci", which has no SandboxPolicy (the strict sandbox only) (allowUsers: [])',
      ],
    );
    assert.match(
      messages(spec({ user: '0' }))[0]!,
      /"0" \(root\) is not allowed .*allowRootUser: false/,
    );
    // GID 0 is root's group: as privileged as root for files.
    assert.match(messages(spec({ user: '65534:0' }))[0]!, /\(root\).*allowRootUser: false/);
  });

  it('names the policy whose rule blocked the request', () => {
    const p = effectivePolicy('default', [policy('default', {}, 'default')]);
    assert.deepEqual(messages(spec({ network: 'bridge' }), p), [
      'spec.sandbox.network: "bridge" is not allowed by SandboxPolicy "default/default" (allowNetwork: [none])',
    ]);
  });

  it('allows what a policy allows, and only that', () => {
    const p = effectivePolicy('ci', [
      policy('net', {
        allowNetwork: ['none', 'bridge'],
        allowWritableRootFilesystem: true,
        allowUsers: ['1000', '2000:2000'],
      }),
    ]);
    assert.deepEqual(messages(spec({ network: 'bridge', readOnlyRootFilesystem: false }), p), []);
    assert.deepEqual(messages(spec({ user: '1000' }), p), []);
    assert.deepEqual(messages(spec({ user: '1000:1234' }), p), []);
    assert.deepEqual(messages(spec({ user: '2000:2000' }), p), []);
    assert.match(messages(spec({ user: '2000:3000' }), p)[0]!, /allowUsers: \[1000, 2000:2000\]/);
    assert.match(messages(spec({ user: '1000:0' }), p)[0]!, /allowRootUser: false/);
    assert.match(messages(spec({ user: '0:0' }), p)[0]!, /allowRootUser: false/);
  });

  it('"*" allows any user but root; allowRootUser allows root', () => {
    const any = effectivePolicy('ci', [policy('any', { allowUsers: ['*'] })]);
    assert.deepEqual(messages(spec({ user: '4242:4242' }), any), []);
    assert.equal(messages(spec({ user: '0' }), any).length, 1);
    const root = effectivePolicy('ci', [policy('root', { allowRootUser: true })]);
    assert.deepEqual(messages(spec({ user: '0:0' }), root), []);
    assert.equal(messages(spec({ user: '1000' }), root).length, 1, 'root only, not any user');
  });

  it('caps cpu and memory, comparing quantities not strings', () => {
    const p = effectivePolicy('ci', [policy('cap', { maxResources: { cpu: '1', memory: '1Gi' } })]);
    assert.deepEqual(messages(spec({ cpu: '1000m', memory: '1024Mi' }), p), []);
    assert.deepEqual(messages(spec({ cpu: '1001m', memory: '1025Mi' }), p), [
      'spec.resources.cpu: "1001m" is over the cap set by SandboxPolicy "ci/cap" (maxResources.cpu: 1)',
      'spec.resources.memory: "1025Mi" is over the cap set by SandboxPolicy "ci/cap" (maxResources.memory: 1Gi)',
    ]);
    // A cap on memory only leaves cpu free.
    const mem = effectivePolicy('ci', [policy('m', { maxResources: { memory: '128Mi' } })]);
    assert.deepEqual(messages(spec({ cpu: '32' }), mem).length, 1);
  });

  it('restricts images by prefix', () => {
    const p = effectivePolicy('ci', [
      policy('img', { allowImages: ['busybox', 'registry.example.com/team/'] }),
    ]);
    assert.deepEqual(messages(spec({ image: 'busybox:1.36' }), p), []);
    assert.deepEqual(messages(spec({ image: 'registry.example.com/team/app:2' }), p), []);
    assert.deepEqual(messages(spec({ image: 'registry.example.com/other/app:2' }), p), [
      'spec.image: "registry.example.com/other/app:2" is not allowed by SandboxPolicy "ci/img" (allowImages: [busybox, registry.example.com/team/])',
    ]);
  });

  it('several policies combine: any one allowing a relaxation allows it', () => {
    const p = effectivePolicy('ci', [
      policy('a', {
        allowNetwork: ['bridge'],
        maxResources: { memory: '1Gi' },
        allowImages: ['a/'],
      }),
      policy('b', { allowRootUser: true, maxResources: { memory: '2Gi' }, allowImages: ['b/'] }),
    ]);
    assert.deepEqual(p.allowNetwork, ['none', 'bridge']);
    assert.deepEqual(
      messages(spec({ network: 'bridge', user: '0', memory: '2Gi', image: 'b/x' }), p),
      [],
    );
    const over = messages(spec({ memory: '3Gi', image: 'c/x' }), p);
    assert.equal(over.length, 2);
    assert.match(
      over[0]!,
      /by SandboxPolicy \(any of\) "ci\/a", "ci\/b" \(maxResources.memory: 2Gi\)/,
    );
    // A policy without a cap (or without an image list) lifts it for the namespace.
    const lifted = effectivePolicy('ci', [
      policy('a', { maxResources: { memory: '1Gi' }, allowImages: ['a/'] }),
      policy('b', {}),
    ]);
    assert.deepEqual(messages(spec({ memory: '64Gi', image: 'z/z' }), lifted), []);
  });

  it('paths follow where the container spec sits (CronJob templates)', () => {
    const errs = sandboxViolations(
      spec({ network: 'bridge' }),
      strictPolicy('ci'),
      'spec.jobTemplate.spec',
    );
    assert.equal(errs[0]?.path, 'spec.jobTemplate.spec.sandbox.network');
  });
});

function job(name: string, sandbox: Record<string, unknown>, namespace = 'ci'): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name, namespace },
    spec: { command: ['true'], sandbox },
  };
}

async function refused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof JobctlError, String(err));
    assert.equal(err.reason, Reason.Forbidden);
    assert.match(err.message, pattern);
    return true;
  });
}

describe('ApiService sandbox policy admission', () => {
  const policyInput = (ns: string, spec: Record<string, unknown>): ResourceInput => ({
    apiVersion: API_VERSION,
    kind: 'SandboxPolicy',
    metadata: { name: 'default', namespace: ns },
    spec,
  });

  it('refuses a relaxation without a policy and admits it once a policy allows it', async () => {
    const t = newTestClient();
    const api = new ApiService({ inner: t.client, defaultImage: 'busybox:latest' });
    const bridge = job('web', { network: 'bridge' });
    const rule =
      /^Job "web": spec\.sandbox\.network: "bridge" is not allowed in namespace "ci", which has no SandboxPolicy/;
    await refused(api.create(bridge), rule);
    await refused(api.apply(bridge), rule);
    await refused(api.apply(bridge, { dryRun: 'server' }), rule);

    // A policy that exists but does not allow bridge: its name is the rule.
    await api.apply(policyInput('ci', {}));
    await refused(
      api.apply(bridge),
      /^Job "web": spec\.sandbox\.network: "bridge" is not allowed by SandboxPolicy "ci\/default" \(allowNetwork: \[none\]\)$/,
    );

    await api.apply(policyInput('ci', { allowNetwork: ['none', 'bridge'] }));
    const created = await api.apply(bridge);
    assert.equal(created.outcome, 'created');
    // The policy stays in its namespace.
    await refused(api.create(job('web', { network: 'bridge' }, 'other')), /namespace "other"/);

    // Updates are policed too, status writes are not (controllers write status).
    await api.delete('SandboxPolicy', 'ci', 'default');
    const stored = await api.get('Job', 'ci', 'web');
    await refused(api.update({ ...stored, metadata: { ...stored.metadata } }), /network/);
    await api.updateStatus({ ...stored, status: { phase: 'Running' } });
  });

  it('polices CronJob job templates', async () => {
    const t = newTestClient();
    const api = new ApiService({ inner: t.client, defaultImage: 'busybox:latest' });
    const cron: ResourceInput = {
      apiVersion: API_VERSION,
      kind: 'CronJob',
      metadata: { name: 'nightly', namespace: 'ci' },
      spec: {
        schedule: '@daily',
        jobTemplate: { spec: { command: ['true'], sandbox: { user: '0' } } },
      },
    };
    await refused(
      api.apply(cron),
      /^CronJob "nightly": spec\.jobTemplate\.spec\.sandbox\.user: "0" \(root\) is not allowed .*\(allowRootUser: false\)$/,
    );
    await api.apply(policyInput('ci', { allowRootUser: true }));
    assert.equal((await api.apply(cron)).outcome, 'created');
  });

  it('checks images after the node default image is filled in', async () => {
    const t = newTestClient();
    const api = new ApiService({ inner: t.client, defaultImage: 'busybox:latest' });
    await api.apply(policyInput('ci', { allowImages: ['registry.example.com/'] }));
    await refused(
      api.apply(job('noimage', {})),
      /spec\.image: "busybox:latest" is not allowed by SandboxPolicy "ci\/default"/,
    );
  });

  it('refuses an invalid policy with the schema error', async () => {
    const t = newTestClient();
    const api = new ApiService({ inner: t.client });
    await assert.rejects(
      api.apply(policyInput('ci', { allowNetwork: ['host'], allowUsers: ['root'] })),
      (err: unknown) => {
        assert.ok(err instanceof JobctlError);
        assert.equal(err.reason, Reason.Invalid);
        assert.match(err.message, /spec\.allowNetwork\[0\]/);
        assert.match(err.message, /spec\.allowUsers\[0\]/);
        return true;
      },
    );
  });
});
