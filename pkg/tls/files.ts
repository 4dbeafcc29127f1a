// A node's TLS files (--tls-ca, --tls-cert, --tls-key): checked once at
// start-up with one-line errors naming the file, then re-read on a short
// interval; when their content changes (a content hash, so touching a file or
// rewriting it identically does nothing) and the new set is consistent, it
// becomes current and every listener hears of it: the gRPC server (new
// connections get the new certificate), the node's clients of its peers, and
// the HTTPS server. An inconsistent set (a key that does not match the
// certificate, a certificate the CA did not sign: typically files caught half
// way through being replaced) is logged once and the previous set stays in
// use until the files are consistent again.
//
// It is also a grpc-js CertificateProvider (one object serving both the CA and
// the identity), for grpc.experimental.createCertificateProvider*Credentials.
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type * as grpc from '@grpc/grpc-js';
import { pemCertificates, readPem, SecurityConfigError } from './pem.js';

type CertificateProvider = grpc.experimental.CertificateProvider;
type CaListener = grpc.experimental.CaCertificateUpdateListener;
type IdentityListener = grpc.experimental.IdentityCertificateUpdateListener;

export interface TlsPaths {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A consistent set: the cert chains to the CA and matches the key. */
export interface TlsMaterial {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** sha256 of the three files' bytes. */
  readonly hash: string;
  /** The certificate's SHA-256 fingerprint (what a client sees served). */
  readonly fingerprint: string;
}

/** Flag names used in messages. */
const FLAGS = { ca: '--tls-ca', cert: '--tls-cert', key: '--tls-key' } as const;

const hashOf = (ca: Buffer, cert: Buffer, key: Buffer): string =>
  createHash('sha256').update(ca).update('\0').update(cert).update('\0').update(key).digest('hex');

/** Checks a set of file contents; throws SecurityConfigError naming the file at fault. */
export function checkTlsMaterial(
  paths: TlsPaths,
  ca: Buffer,
  cert: Buffer,
  key: Buffer,
  now = new Date(),
): TlsMaterial {
  const caCerts = pemCertificates(ca).map((pem) => {
    try {
      return new X509Certificate(pem);
    } catch {
      throw new SecurityConfigError(`${FLAGS.ca} ${paths.ca}: not a valid certificate`);
    }
  });
  if (caCerts.length === 0) {
    throw new SecurityConfigError(`${FLAGS.ca} ${paths.ca}: no certificate in the file`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch {
    throw new SecurityConfigError(`${FLAGS.cert} ${paths.cert}: not a valid certificate`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new SecurityConfigError(`${FLAGS.key} ${paths.key}: not a valid private key`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new SecurityConfigError(
      `${FLAGS.key} ${paths.key}: does not match the certificate ${paths.cert}`,
    );
  }
  if (!caCerts.some((c) => leaf.checkIssued(c) && leaf.verify(c.publicKey))) {
    throw new SecurityConfigError(
      `${FLAGS.cert} ${paths.cert}: not signed by the CA in ${paths.ca}`,
    );
  }
  if (new Date(leaf.validTo) < now) {
    throw new SecurityConfigError(`${FLAGS.cert} ${paths.cert}: expired on ${leaf.validTo}`);
  }
  return { ca, cert, key, hash: hashOf(ca, cert, key), fingerprint: leaf.fingerprint256 };
}

/** Reads and checks the three files (synchronously: start-up). */
export function loadTlsMaterial(paths: TlsPaths): TlsMaterial {
  const ca = readPem(paths.ca, FLAGS.ca);
  const cert = readPem(paths.cert, FLAGS.cert);
  const key = readPem(paths.key, FLAGS.key);
  return checkTlsMaterial(paths, ca, cert, key);
}

export interface ReloadingTlsOptions {
  /** How often the files are re-read. Default 1000 ms. */
  readonly intervalMs?: number;
  /** A new set is in use. */
  readonly onReload?: (m: TlsMaterial) => void;
  /** Changed files that cannot be used (logged once per distinct content). */
  readonly onError?: (message: string) => void;
}

export class ReloadingTls implements CertificateProvider {
  private material: TlsMaterial;
  /** Hash of the last content looked at (used or refused), to act once per change. */
  private lastSeen: string;
  private readonly listeners = new Set<(m: TlsMaterial) => void>();
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();
  private timer: NodeJS.Timeout | undefined;
  private checking = false;

  constructor(
    readonly paths: TlsPaths,
    private readonly opts: ReloadingTlsOptions = {},
    initial: TlsMaterial = loadTlsMaterial(paths),
  ) {
    this.material = initial;
    this.lastSeen = initial.hash;
  }

  /** The set in use. */
  get current(): TlsMaterial {
    return this.material;
  }

  /** Starts re-reading the files every intervalMs (the timer does not keep the process alive). */
  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => void this.check(), this.opts.intervalMs ?? 1000);
      this.timer.unref();
    }
    return this;
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  /** Calls `fn` with every new set; returns a function that stops it. */
  onChange(fn: (m: TlsMaterial) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Re-reads the files now; true when a new set came into use. */
  async check(): Promise<boolean> {
    if (this.checking) return false;
    this.checking = true;
    try {
      let ca: Buffer, cert: Buffer, key: Buffer;
      try {
        [ca, cert, key] = await Promise.all([
          readFile(this.paths.ca),
          readFile(this.paths.cert),
          readFile(this.paths.key),
        ]);
      } catch (err) {
        // A file briefly missing while it is being replaced: try again next time.
        const msg = `cannot re-read TLS files: ${(err as Error).message}`;
        if (this.lastSeen !== msg) this.opts.onError?.(msg);
        this.lastSeen = msg;
        return false;
      }
      const hash = hashOf(ca, cert, key);
      if (hash === this.lastSeen) return false;
      this.lastSeen = hash;
      if (hash === this.material.hash) return false;
      let next: TlsMaterial;
      try {
        next = checkTlsMaterial(this.paths, ca, cert, key);
      } catch (err) {
        this.opts.onError?.(`changed TLS files not used: ${(err as Error).message}`);
        return false;
      }
      this.material = next;
      this.opts.onReload?.(next);
      for (const fn of this.listeners) fn(next);
      for (const l of this.caListeners) l({ caCertificate: next.ca });
      for (const l of this.identityListeners) l({ certificate: next.cert, privateKey: next.key });
      return true;
    } finally {
      this.checking = false;
    }
  }

  // grpc-js CertificateProvider. The current value is delivered on the next
  // tick, as grpc-js's own providers do: its server credentials register the
  // watcher that applies it only after adding the listener.
  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => {
      if (this.caListeners.has(listener)) listener({ caCertificate: this.material.ca });
    });
  }
  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => {
      if (this.identityListeners.has(listener))
        listener({ certificate: this.material.cert, privateKey: this.material.key });
    });
  }
  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}
