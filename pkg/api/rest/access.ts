// Which client serves a request. Without auth every route uses the app's
// client (the node's ApiService); with auth (RestAppOptions.access, from
// pkg/auth) each request gets its own authorizing client, built on first use
// and kept for the rest of the request. Routes that read or write objects
// (resources, logs, apply of manifests, cluster status) call requestClient; health,
// readiness, metrics and static files need no client and stay open.
import type { Express, Request } from 'express';
import type { ResourceClient } from '../../client/index.js';

/** Builds the client of one request around the app's (authentication happens here; it never rejects). */
export type RequestAccess = (req: Request, client: ResourceClient) => Promise<ResourceClient>;

const ACCESS_KEY = 'jobctlAccess';
/** Each request's client, kept as long as the request object lives. */
const requestClients = new WeakMap<Request, Promise<ResourceClient>>();

/** Installs per-request access on an app (createRestApp does it). */
export function setRequestAccess(app: Express, access: RequestAccess | undefined): void {
  app.locals[ACCESS_KEY] = access;
}

/** The client serving `req`: its own (authorizing) one when the app has access control, else `fallback`. */
export function requestClient(req: Request, fallback: ResourceClient): Promise<ResourceClient> {
  const access = req.app.locals[ACCESS_KEY] as RequestAccess | undefined;
  if (!access) return Promise.resolve(fallback);
  let client = requestClients.get(req);
  if (!client) {
    client = access(req, fallback);
    requestClients.set(req, client);
  }
  return client;
}
