// The first admin credential (--bootstrap-token-file FILE):
// - FILE exists when the node starts: its content (one line) is a bearer
//   token every node given the same file accepts as cluster admin (user
//   bootstrap-admin, group system:masters). It is not stored; to rotate it,
//   replace the file on every node and restart them.
// - FILE does not exist: the first leader of a fresh cluster creates a stored
//   Token named "bootstrap" (admin, hashed like any token, revocable), writes
//   NAME.SECRET to FILE with mode 0600 and logs it once. A later leader finds
//   the Token and does nothing.
// Without TLS, nodes also use this token for their node-to-node API calls
// (NodeStatus, TransferLeader, the Logs proxy): give every node the same FILE.
import { readFileSync, writeFileSync } from 'node:fs';
import type { ResourceClient } from '../client/index.js';
import { API_VERSION } from '../store/index.js';
import { errorMessage, isReason, Reason } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { ADMINS_GROUP, BOOTSTRAP_USER } from './identity.js';
import { formatToken, hashSecret, newSecret } from './tokens.js';

/** Name of the stored Token a fresh cluster's first leader creates. */
export const BOOTSTRAP_TOKEN_NAME = 'bootstrap';

export type BootstrapLogger = Pick<Logger, 'info' | 'warn'>;

/** The token in FILE, or undefined when FILE does not exist. Empty or unreadable files throw. */
export function readTokenFile(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`--bootstrap-token-file ${path}: cannot read: ${errorMessage(err)}`);
  }
  const token = text.trim();
  if (!token || /\s/.test(token)) {
    throw new Error(`--bootstrap-token-file ${path}: expected one token on one line`);
  }
  return token;
}

/**
 * The bearer token a node presents on node-to-node calls (auth on, no node
 * certificate): FILE's token as read at start; without one yet, FILE is read
 * again on each call, since the first leader writes it.
 */
export function peerTokenOf(file: string): () => string | undefined {
  const atStart = readTokenFile(file);
  if (atStart !== undefined) return () => atStart;
  return () => {
    try {
      return readTokenFile(file);
    } catch {
      return undefined;
    }
  };
}

/**
 * On the leader of a cluster whose file did not exist: creates the bootstrap
 * Token (through `api`, so it is validated) unless it exists, then writes FILE.
 * Returns true when the cluster has its bootstrap Token (created now or before).
 */
export async function ensureBootstrapToken(
  api: ResourceClient,
  path: string,
  logger: BootstrapLogger,
): Promise<boolean> {
  try {
    await api.get('Token', '', BOOTSTRAP_TOKEN_NAME);
    return true;
  } catch (err) {
    if (!isReason(err, Reason.NotFound)) throw err;
  }
  const secret = newSecret();
  try {
    await api.create({
      apiVersion: API_VERSION,
      kind: 'Token',
      metadata: { name: BOOTSTRAP_TOKEN_NAME },
      spec: {
        user: BOOTSTRAP_USER,
        groups: [ADMINS_GROUP],
        secretHash: hashSecret(secret),
        description: 'first admin token, created at cluster bootstrap',
      },
    });
  } catch (err) {
    if (isReason(err, Reason.AlreadyExists)) return true;
    throw err;
  }
  const token = formatToken(BOOTSTRAP_TOKEN_NAME, secret);
  try {
    writeFileSync(path, `${token}\n`, { mode: 0o600, flag: 'wx' });
    logger.warn(
      'bootstrap admin token created (shown once; revoke with jobctl token revoke bootstrap)',
      {
        token,
        file: path,
      },
    );
  } catch (err) {
    logger.warn('bootstrap admin token created but not written (shown once)', {
      token,
      file: path,
      error: errorMessage(err),
    });
  }
  return true;
}
