// The API server's one service stack. Every request, whichever adapter it came
// through (gRPC, REST, the dashboard's routes), is served by the same layers,
// outermost first:
//
//   authenticate  who is calling (bearer token, client certificate); once per
//                 request, never refuses by itself          pkg/auth AuthService
//   observe       counts the call and its answer             ./observed-client.ts
//   authorize     RBAC check (Unauthorized, Forbidden) and   pkg/auth authorizing-client.ts
//                 the audit line
//   admit         defaults, schema validation, sandbox       ./service.ts (ApiService)
//                 policy (resources only)
//   store/Raft    LocalClient (ReadIndex reads, Raft         the `store` services
//                 writes), ClusterAdmin, RunLogs
//
// Observe sits above the authorize step so that refusals are counted in the
// API metrics like any other answer. Authentication and authorization are left
// out when the node runs without auth and without an audit log.
//
// Each layer wraps all three services (ApiServices: resources, cluster, logs)
// where it has something to do: admission is about objects, so cluster
// administration and logs pass through it; NodeStatus and log streams are not
// counted (as before this stack). In-process components enter at `admitted` or
// `store` (docs/architecture.md, "who enters where").
import type { ApiServices } from '../client/index.js';
import type { Credentials } from '../auth/index.js';
import { ObservedClient, ObservedClusterAdmin } from './observed-client.js';
import type { ApiObserver, ApiTransport } from './observer.js';
import type { AdmissionOptions } from './admission.js';
import { ApiService } from './service.js';

/** The authenticate and authorize layers (pkg/auth AuthService). */
export interface RequestAuth {
  /**
   * The services one request is served by, around `inner`: authenticates
   * `creds` (a failure surfaces on every call as Unauthorized, never here) and
   * refuses what the caller may not do.
   */
  forRequest(creds: Credentials, transport: ApiTransport, inner: ApiServices): Promise<ApiServices>;
}

export interface ServiceStackOptions<A extends RequestAuth> {
  /** The bottom layer: the node's store and Raft (LocalClient, ClusterAdmin, RunLogs). */
  readonly store: ApiServices;
  readonly admission: AdmissionOptions;
  readonly observer: ApiObserver;
  /**
   * Builds the authenticate/authorize layer over the admitted services (its
   * token lookups and bootstrap Token go through them); undefined: no such
   * layer (auth off, no audit log).
   */
  readonly auth?: (admitted: ApiServices) => A | undefined;
}

export interface ServiceStack<A extends RequestAuth = RequestAuth> {
  /** store/Raft only. */
  readonly store: ApiServices;
  /** admit → store/Raft: the services without a caller. */
  readonly admitted: ApiServices;
  /** The authenticate/authorize layer, when there is one. */
  readonly auth: A | undefined;
  /** The whole stack for one request that arrived through `transport`. */
  forRequest(transport: ApiTransport, creds: Credentials): Promise<ApiServices>;
}

/** The observe layer over `inner`, labelled with the adapter. */
function observed(inner: ApiServices, observer: ApiObserver, t: ApiTransport): ApiServices {
  return {
    resources: new ObservedClient(inner.resources, observer, t),
    cluster: new ObservedClusterAdmin(inner.cluster, observer, t),
    logs: inner.logs,
  };
}

export function buildServiceStack<A extends RequestAuth>(
  o: ServiceStackOptions<A>,
): ServiceStack<A> {
  const admitted: ApiServices = {
    resources: new ApiService({ inner: o.store.resources, ...o.admission }),
    cluster: o.store.cluster,
    logs: o.store.logs,
  };
  const auth = o.auth?.(admitted);
  // Without auth every request of one adapter is served by the same objects.
  const open = {
    grpc: observed(admitted, o.observer, 'grpc'),
    rest: observed(admitted, o.observer, 'rest'),
  };
  return {
    store: o.store,
    admitted,
    auth,
    async forRequest(transport, creds) {
      if (!auth) return open[transport];
      return observed(await auth.forRequest(creds, transport, admitted), o.observer, transport);
    },
  };
}
