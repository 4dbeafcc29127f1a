// Certificates for a cluster (`jobd certs`, `jobctl dev up --tls`, tests):
// one CA, a certificate per node and one per user, made with the openssl
// binary (Node's crypto can create keys but cannot sign X.509 certificates).
//
//   ca.pem, ca-key.pem           the cluster CA (keep ca-key.pem private)
//   node-N.pem, node-N-key.pem   CN=node-N, O=system:nodes; serverAuth and
//                                clientAuth (a node is a client of its peers);
//                                SANs 127.0.0.1, localhost and --hosts
//   USER.pem, USER-key.pem       CN=USER, O=each group; clientAuth
//
// Keys are EC P-256 (fast to make and to handshake with). An existing CA in
// the directory is reused, so more nodes or users can be added later, and a
// CA can be rotated by generating into a fresh directory.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { NODE_GROUP } from './identity.js';

const run = promisify(execFile);

export interface CertUser {
  /** The certificate's CN: the user name. */
  readonly name: string;
  /** Its O entries: the user's groups. */
  readonly groups: readonly string[];
}

export interface GenerateCertsOptions {
  /** Output directory (created). */
  readonly out: string;
  /** Node certificates node-1 .. node-N. */
  readonly nodes: number;
  readonly users?: readonly CertUser[];
  /** Extra SANs of the node certificates (IPs or DNS names), besides 127.0.0.1 and localhost. */
  readonly hosts?: readonly string[];
  /** Validity in days. Default 365. */
  readonly days?: number;
  /** The CA's CN. Default "jobctl cluster CA". */
  readonly caName?: string;
  /** openssl binary. Default "openssl" on PATH. */
  readonly openssl?: string;
}

export interface GeneratedCerts {
  readonly ca: string;
  readonly nodes: { readonly id: number; readonly cert: string; readonly key: string }[];
  readonly users: { readonly name: string; readonly cert: string; readonly key: string }[];
}

/** "admin:system:masters,ci:dev+ops" -> [{admin, [system:masters]}, {ci, [dev, ops]}]. */
export function parseUsers(value: string): CertUser[] {
  // NAME[:GROUP[:GROUP...]] would break on "system:masters"; groups are
  // therefore separated by "+" and the first ":" ends the name.
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const colon = part.indexOf(':');
      const name = colon < 0 ? part : part.slice(0, colon);
      const groups =
        colon < 0
          ? []
          : part
              .slice(colon + 1)
              .split('+')
              .filter(Boolean);
      if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(name)) {
        throw new Error(`--users: "${name}" is not a valid user name (letters, digits, . _ @ -)`);
      }
      for (const g of groups) {
        if (/[/\\=,]/.test(g)) throw new Error(`--users: group "${g}" may not contain / \\ = or ,`);
      }
      return { name, groups };
    });
}

const isIp = (h: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.includes(':');

/** "/CN=a/O=b/O=c" with "/" and "\" escaped as openssl's -subj wants. */
function subject(cn: string, orgs: readonly string[]): string {
  const esc = (s: string): string => s.replace(/[\\/]/g, (c) => `\\${c}`);
  return [`/CN=${esc(cn)}`, ...orgs.map((o) => `/O=${esc(o)}`)].join('');
}

export async function generateCerts(opts: GenerateCertsOptions): Promise<GeneratedCerts> {
  const openssl = opts.openssl ?? 'openssl';
  const days = String(opts.days ?? 365);
  await mkdir(opts.out, { recursive: true });
  const path = (name: string): string => join(opts.out, name);
  const ssl = async (args: string[]): Promise<void> => {
    try {
      await run(openssl, args, { cwd: opts.out });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT') throw new Error(`openssl not found (${openssl}): install openssl`);
      const first = (e.stderr ?? e.message).split('\n').find((l) => l.trim()) ?? e.message;
      throw new Error(`openssl ${args[0]} failed: ${first.trim()}`);
    }
  };
  const newKey = (file: string): Promise<void> =>
    ssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);

  const ca = path('ca.pem');
  const caKey = path('ca-key.pem');
  if (!existsSync(ca) || !existsSync(caKey)) {
    await newKey(caKey);
    await ssl([
      'req', '-x509', '-new', '-key', caKey, '-out', ca, '-days', days,
      '-subj', subject(opts.caName ?? 'jobctl cluster CA', []),
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]); // prettier-ignore
  }

  const sign = async (
    base: string,
    subj: string,
    ext: readonly string[],
  ): Promise<{ cert: string; key: string }> => {
    const key = path(`${base}-key.pem`);
    const cert = path(`${base}.pem`);
    const csr = path(`${base}.csr`);
    const extFile = path(`${base}.ext`);
    await newKey(key);
    await ssl(['req', '-new', '-key', key, '-out', csr, '-subj', subj]);
    await writeFile(extFile, ext.join('\n') + '\n');
    await ssl([
      'x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial',
      '-out', cert, '-days', days, '-extfile', extFile,
    ]); // prettier-ignore
    await rm(csr, { force: true });
    await rm(extFile, { force: true });
    await chmod(key, 0o600);
    return { cert, key };
  };

  const hosts = ['127.0.0.1', 'localhost', ...(opts.hosts ?? [])];
  const san = hosts.map((h) => (isIp(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const nodes: GeneratedCerts['nodes'] = [];
  for (let id = 1; id <= opts.nodes; id++) {
    const files = await sign(`node-${id}`, subject(`node-${id}`, [NODE_GROUP]), [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${san}`,
    ]);
    nodes.push({ id, ...files });
  }
  const users: GeneratedCerts['users'] = [];
  for (const u of opts.users ?? []) {
    const files = await sign(u.name, subject(u.name, u.groups), [
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=clientAuth',
    ]);
    users.push({ name: u.name, ...files });
  }
  await chmod(caKey, 0o600);
  await rm(path('ca.srl'), { force: true });
  return { ca, nodes, users };
}
