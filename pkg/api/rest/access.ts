// Which services serve a request. Without per-request access every route uses
// the app's own (client, cluster, logs); with it (RestAppOptions.access: on a
// node, the service stack of pkg/api/stack.ts) each request gets its own
// services, built on first use and kept for the rest of the request. Routes
// that read or write objects (resources, logs, apply of manifests, cluster
// status) ask here; health, readiness, metrics and static files need no
// service and stay open.
import type { Express, Request } from 'express';
import type {
  ApiServices,
  ClusterAdminClient,
  LogsClient,
  ResourceClient,
} from '../../client/index.js';
import { JobctlError, Reason } from '../../util/errors.js';

/** The services of one request (authentication happens here; it never rejects). */
export type RequestAccess = (req: Request) => Promise<ApiServices>;

const ACCESS_KEY = 'jobctlAccess';
/** Each request's services, kept as long as the request object lives. */
const requestServicesOf = new WeakMap<Request, Promise<ApiServices>>();

/** Installs per-request access on an app (createRestApp does it). */
export function setRequestAccess(app: Express, access: RequestAccess | undefined): void {
  app.locals[ACCESS_KEY] = access;
}

function requestServices(req: Request): Promise<ApiServices> | undefined {
  const access = req.app.locals[ACCESS_KEY] as RequestAccess | undefined;
  if (!access) return undefined;
  let services = requestServicesOf.get(req);
  if (!services) {
    services = access(req);
    requestServicesOf.set(req, services);
  }
  return services;
}

/** The ResourceClient serving `req`: its own when the app has per-request access, else `fallback`. */
export async function requestClient(
  req: Request,
  fallback: ResourceClient,
): Promise<ResourceClient> {
  const services = requestServices(req);
  return services ? (await services).resources : fallback;
}

/** Cluster administration for `req` (Unavailable when the app serves none). */
export async function requestCluster(
  req: Request,
  fallback: ClusterAdminClient | undefined,
): Promise<ClusterAdminClient> {
  const services = requestServices(req);
  const cluster = services ? (await services).cluster : fallback;
  if (!cluster) {
    throw new JobctlError(Reason.Unavailable, 'cluster status is not available on this server');
  }
  return cluster;
}

/** Run logs for `req` (NotFound when the app serves none). */
export async function requestLogs(
  req: Request,
  fallback: LogsClient | undefined,
): Promise<LogsClient> {
  const services = requestServices(req);
  const logs = services ? (await services).logs : fallback;
  if (!logs) throw new JobctlError(Reason.NotFound, 'logs are not served by this server');
  return logs;
}
