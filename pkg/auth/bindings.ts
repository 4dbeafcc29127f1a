// The RBAC bindings as the authorizer reads them: RoleBindings of one
// namespace and every ClusterRoleBinding, straight from the node's replicated
// store (synchronous, no copy). A request authenticated by token has just
// passed a ReadIndex barrier, so these are current as of the request.
import type { ResourceStore } from '../store/index.js';
import type { Binding, BindingSource } from './rbac.js';

export function storeBindings(store: ResourceStore): BindingSource {
  return {
    roleBindings: (namespace) =>
      store.list('RoleBinding', { namespace }).items.map((o) => o.spec as Binding),
    clusterRoleBindings: () => store.list('ClusterRoleBinding').items.map((o) => o.spec as Binding),
  };
}
