// Which services the CLI's client offers beyond ResourceClient. A verb holds
// whatever its connection gives (GrpcClient: every service; tests: an
// in-process ResourceClient), so the verbs that need cluster administration
// or logs ask for that side and say so when it is missing.
import type { ClusterAdminClient, LogsClient } from '../../client/index.js';
import { JobctlError, Reason } from '../../util/errors.js';

/** The cluster-admin side of a client, when it has one (the CLI's clients may be in-process fakes). */
export function clusterAdminOf(client: object): ClusterAdminClient | undefined {
  const c = client as Partial<ClusterAdminClient>;
  return typeof c.clusterStatus === 'function' && typeof c.transferLeader === 'function'
    ? (client as ClusterAdminClient)
    : undefined;
}

/** The logs side of a client, when it has one. */
export function logsClientOf(client: object): LogsClient | undefined {
  return typeof (client as Partial<LogsClient>).logs === 'function'
    ? (client as LogsClient)
    : undefined;
}

/** The cluster-admin side of a client; Unavailable (naming `what`) when it has none. */
export function needClusterAdmin(client: object, what: string): ClusterAdminClient {
  const admin = clusterAdminOf(client);
  if (!admin) throw new JobctlError(Reason.Unavailable, `${what} is not available on this client`);
  return admin;
}
