// The RBAC bindings as the authorizer reads them: RoleBindings of one
// namespace and every ClusterRoleBinding, straight from the node's replicated
// store (synchronous, no copy). A request authenticated by token has just
// passed a ReadIndex barrier, so these are current as of the request.
import type { ResourceStore } from '../store/index.js';
import type { Binding, BindingSource } from './rbac.js';

type BindingObject = { spec: Binding };

export function storeBindings(store: ResourceStore): BindingSource {
  return {
    roleBindings: (namespace) =>
      store.list<never>('RoleBinding', { namespace }).items.map((o) => (o as BindingObject).spec),
    clusterRoleBindings: () =>
      store.list<never>('ClusterRoleBinding').items.map((o) => (o as BindingObject).spec),
  };
}
