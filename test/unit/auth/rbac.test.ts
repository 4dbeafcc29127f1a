// RBAC-lite: the role rules and scopes, as a table of cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  authorize,
  type Attributes,
  type Binding,
  type BindingSource,
  type Identity,
} from '../../../pkg/auth/index.js';

const user = (name: string, groups: string[] = [], token?: string): Identity => ({
  user: name,
  groups,
  via: 'token',
  ...(token ? { token } : {}),
});

function source(ns: Record<string, Binding[]>, cluster: Binding[] = []): BindingSource {
  return { roleBindings: (n) => ns[n] ?? [], clusterRoleBindings: () => cluster };
}

const bindings = source(
  {
    prod: [
      { role: 'view', subjects: [{ kind: 'User', name: 'ci' }] },
      { role: 'edit', subjects: [{ kind: 'Group', name: 'devs' }] },
      { role: 'admin', subjects: [{ kind: 'Token', name: 'tok-ops' }] },
    ],
  },
  [{ role: 'view', subjects: [{ kind: 'User', name: 'auditor' }] }],
);

const at = (
  verb: Attributes['verb'],
  resource: string,
  namespace: string | undefined,
): Attributes => ({ verb, resource, namespace });

describe('authorize', () => {
  const cases: [string, Identity, Attributes, boolean][] = [
    ['view reads jobs', user('ci'), at('get', 'jobs', 'prod'), true],
    ['view watches runs', user('ci'), at('watch', 'runs', 'prod'), true],
    ['view reads logs', user('ci'), at('logs', 'runs', 'prod'), true],
    ['view cannot delete', user('ci'), at('delete', 'jobs', 'prod'), false],
    ['view stops at its namespace', user('ci'), at('get', 'jobs', 'dev'), false],
    ['view in a namespace cannot list all', user('ci'), at('list', 'jobs', undefined), false],
    ['view cannot read tokens', user('ci'), at('list', 'rolebindings', 'prod'), false],
    ['edit (by group) applies jobs', user('x', ['devs']), at('apply', 'jobs', 'prod'), true],
    ['edit deletes cronjobs', user('x', ['devs']), at('delete', 'cronjobs', 'prod'), true],
    [
      'edit cannot write run status',
      user('x', ['devs']),
      at('update', 'runs/status', 'prod'),
      false,
    ],
    ['edit cannot create runs', user('x', ['devs']), at('create', 'runs', 'prod'), false],
    [
      'admin (by token) writes status',
      user('o', [], 'tok-ops'),
      at('update', 'runs/status', 'prod'),
      true,
    ],
    [
      'admin in a namespace binds roles',
      user('o', [], 'tok-ops'),
      at('create', 'rolebindings', 'prod'),
      true,
    ],
    [
      'namespace admin cannot write sandbox policies',
      user('o', [], 'tok-ops'),
      at('update', 'sandboxpolicies', 'prod'),
      false,
    ],
    [
      'namespace admin reads sandbox policies',
      user('o', [], 'tok-ops'),
      at('get', 'sandboxpolicies', 'prod'),
      true,
    ],
    [
      'namespace admin cannot touch nodes',
      user('o', [], 'tok-ops'),
      at('update', 'nodes', ''),
      false,
    ],
    [
      'namespace admin cannot read the cluster',
      user('o', [], 'tok-ops'),
      at('get', 'cluster', ''),
      false,
    ],
    ['cluster view lists nodes', user('auditor'), at('list', 'nodes', ''), true],
    ['cluster view lists every namespace', user('auditor'), at('list', 'jobs', undefined), true],
    ['cluster view cannot cordon', user('auditor'), at('update', 'nodes', ''), false],
    [
      'cluster view cannot read the cluster status',
      user('auditor'),
      at('get', 'cluster', ''),
      false,
    ],
    [
      'system:masters may do anything',
      user('root', ['system:masters']),
      at('create', 'tokens', ''),
      true,
    ],
    [
      'a node may do anything',
      { user: 'node-1', groups: ['system:nodes'], via: 'node' },
      at('update', 'cluster', ''),
      true,
    ],
    ['nobody may do nothing', user('stranger'), at('get', 'jobs', 'prod'), false],
  ];
  for (const [name, id, a, want] of cases) {
    it(name, () => assert.equal(authorize(id, a, bindings).allowed, want));
  }

  it('says what is missing', () => {
    assert.equal(
      authorize(user('ci'), at('delete', 'jobs', 'prod'), bindings).reason,
      'user "ci" cannot delete jobs in namespace "prod" (needs role edit in namespace "prod" or cluster-wide; has view there and none cluster-wide)',
    );
    assert.equal(
      authorize(user('ci'), at('update', 'nodes', ''), bindings).reason,
      'user "ci" cannot update nodes at the cluster scope (needs role admin cluster-wide (ClusterRoleBinding); has none cluster-wide)',
    );
    assert.match(
      authorize(user('ci'), at('list', 'jobs', undefined), bindings).reason,
      /^user "ci" cannot list jobs in all namespaces \(needs role view cluster-wide/,
    );
  });
});
