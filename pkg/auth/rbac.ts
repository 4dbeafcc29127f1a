// RBAC-lite: three roles, bound to users, groups or tokens per namespace
// (RoleBinding) or everywhere (ClusterRoleBinding). Roles are data (ROLE_RULES);
// authorize() is a pure function of the identity, the request's attributes and
// the bindings it is given, so the same answer serves gRPC, REST and
// `jobctl auth can-i`.
//
//   view   get, list, watch of jobs, cronjobs, runs, events, sandbox policies
//          (and nodes and queues, when bound cluster-wide); logs of runs
//   edit   view + create, update, apply, delete of jobs and cronjobs
//   admin  everything: in a namespace, also runs (and their status), events,
//          role bindings; cluster-wide, also nodes (cordon, drain), queues, tokens,
//          cluster role bindings, sandbox policies and the cluster itself
//          (status, transfer-leader)
//
// Cluster-scoped resources (nodes, tokens, clusterrolebindings, cluster) and
// requests across all namespaces need a ClusterRoleBinding. Sandbox policies
// are written by cluster admins only: a namespace admin must not loosen the
// sandbox of its own namespace.
import { describeIdentity, isSuperUser, type Identity } from './identity.js';

export const ROLES = ['view', 'edit', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const VERBS = [
  'get',
  'list',
  'watch',
  'create',
  'update',
  'apply',
  'delete',
  'logs',
] as const;
export type Verb = (typeof VERBS)[number];

export const READ_VERBS: readonly Verb[] = ['get', 'list', 'watch'];
export const WRITE_VERBS: readonly Verb[] = ['create', 'update', 'apply', 'delete'];

interface Rule {
  readonly verbs: readonly Verb[] | '*';
  readonly resources: readonly string[] | '*';
}

const VIEW_RULES: readonly Rule[] = [
  {
    verbs: READ_VERBS,
    resources: ['jobs', 'cronjobs', 'runs', 'events', 'sandboxpolicies', 'nodes', 'queues'],
  },
  { verbs: ['logs'], resources: ['runs'] },
];

export const ROLE_RULES: Readonly<Record<Role, readonly Rule[]>> = {
  view: VIEW_RULES,
  edit: [...VIEW_RULES, { verbs: WRITE_VERBS, resources: ['jobs', 'cronjobs'] }],
  admin: [{ verbs: '*', resources: '*' }],
};

/** Namespaced resources whose writes only a cluster-wide binding grants. */
const CLUSTER_WRITE_ONLY: ReadonlySet<string> = new Set(['sandboxpolicies']);

/** What a request wants to do. */
export interface Attributes {
  readonly verb: Verb;
  /** The resource's plural ('jobs'), a subresource ('runs/status') or 'cluster'. */
  readonly resource: string;
  /**
   * The namespace of a namespaced resource; '' for a cluster-scoped one;
   * undefined for a namespaced resource across all namespaces.
   */
  readonly namespace: string | undefined;
  readonly name?: string;
}

export interface Subject {
  readonly kind: 'User' | 'Group' | 'Token';
  readonly name: string;
}

/** A RoleBinding's or ClusterRoleBinding's spec (a type alias, so that it is a Resource spec). */
export type Binding = {
  readonly role: Role;
  readonly subjects: readonly Subject[];
};

/** Where the bindings come from (the node's replicated store). */
export interface BindingSource {
  /** The RoleBindings of one namespace. */
  roleBindings(namespace: string): readonly Binding[];
  clusterRoleBindings(): readonly Binding[];
}

export interface Decision {
  readonly allowed: boolean;
  /** Why not (one line naming the caller, the verb, the resource and what is missing); '' when allowed. */
  readonly reason: string;
}

function grants(role: Role, verb: Verb, resource: string): boolean {
  return ROLE_RULES[role].some(
    (r) =>
      (r.verbs === '*' || r.verbs.includes(verb)) &&
      (r.resources === '*' || r.resources.includes(resource)),
  );
}

function matches(id: Identity, s: Subject): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === id.user;
    case 'Group':
      return id.groups.includes(s.name);
    case 'Token':
      return id.token !== undefined && s.name === id.token;
    default:
      return false;
  }
}

function rolesOf(id: Identity, bindings: readonly Binding[]): Set<Role> {
  const roles = new Set<Role>();
  for (const b of bindings) if (b.subjects.some((s) => matches(id, s))) roles.add(b.role);
  return roles;
}

function scopeText(a: Attributes): string {
  if (a.namespace === undefined) return ' in all namespaces';
  if (a.namespace === '') return ' at the cluster scope';
  return ` in namespace "${a.namespace}"`;
}

const strongest = (roles: ReadonlySet<Role>): string =>
  roles.size === 0 ? 'none' : ROLES.filter((r) => roles.has(r)).join(', ');

const allowed: Decision = { allowed: true, reason: '' };

/** Is `id` allowed to do `a`, given the bindings? */
export function authorize(id: Identity, a: Attributes, bindings: BindingSource): Decision {
  if (isSuperUser(id)) return { allowed: true, reason: '' };
  const clusterRoles = rolesOf(id, bindings.clusterRoleBindings());
  const baseResource = a.resource.split('/')[0] ?? a.resource;
  const write = WRITE_VERBS.includes(a.verb);
  for (const role of clusterRoles) if (grants(role, a.verb, a.resource)) return allowed;
  // A namespace's bindings count only inside that one namespace.
  const namespaced = a.namespace !== undefined && a.namespace !== '';
  const nsRoles = namespaced
    ? rolesOf(id, bindings.roleBindings(a.namespace as string))
    : new Set<Role>();
  const nsAllowed = !(write && CLUSTER_WRITE_ONLY.has(baseResource));
  if (nsAllowed) for (const role of nsRoles) if (grants(role, a.verb, a.resource)) return allowed;

  const needed = ROLES.find((r) => grants(r, a.verb, a.resource)) ?? 'admin';
  const where =
    namespaced && nsAllowed
      ? `in namespace "${a.namespace as string}" or cluster-wide`
      : 'cluster-wide (ClusterRoleBinding)';
  const has = namespaced
    ? `has ${strongest(nsRoles)} there and ${strongest(clusterRoles)} cluster-wide`
    : `has ${strongest(clusterRoles)} cluster-wide`;
  return {
    allowed: false,
    reason: `${describeIdentity(id)} cannot ${a.verb} ${a.resource}${scopeText(a)} (needs role ${needed} ${where}; ${has})`,
  };
}
