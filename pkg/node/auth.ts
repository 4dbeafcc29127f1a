// The node's auth wiring (jobd --auth, --bootstrap-token-file, --audit-log):
// one AuthService per node (the service stack's authenticate and authorize
// layers), or none when auth is off and no audit log is asked for (then the
// stack has no such layers); and the token the node presents to its peers.
import { join } from 'node:path';
import { AuthService, peerTokenOf } from '../auth/index.js';
import type { ResourceClient } from '../client/index.js';
import type { ResourceStore } from '../store/index.js';
import type { NodeConfig } from './config.js';
import type { NodeLogger } from './logger.js';

export function nodeAuth(
  config: NodeConfig,
  deps: {
    readonly api: ResourceClient;
    readonly store: ResourceStore;
    readonly nodeName: string;
    readonly logger: NodeLogger;
  },
): AuthService | undefined {
  const a = config.auth;
  if (!a || (!a.enabled && !a.auditLog)) return undefined;
  // Auth on: audit by default, next to the node's data.
  const auditPath = a.auditLog ?? join(config.dataDir, 'audit.log');
  return new AuthService({
    enabled: a.enabled,
    api: deps.api,
    store: deps.store,
    nodeName: deps.nodeName,
    ...(a.bootstrapTokenFile ? { bootstrapTokenFile: a.bootstrapTokenFile } : {}),
    audit: {
      path: auditPath,
      ...(a.auditMaxBytes !== undefined ? { maxBytes: a.auditMaxBytes } : {}),
      ...(a.auditMaxFiles !== undefined ? { maxFiles: a.auditMaxFiles } : {}),
    },
    logger: deps.logger,
  });
}

/** The bearer token for node-to-node calls: the bootstrap token with auth on (no TLS node certificate). */
export function nodePeerToken(config: NodeConfig): () => string | undefined {
  const a = config.auth;
  return a?.enabled && a.bootstrapTokenFile ? peerTokenOf(a.bootstrapTokenFile) : () => undefined;
}
