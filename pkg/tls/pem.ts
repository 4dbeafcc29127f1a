// Reading PEM files with errors a person can act on: one line naming the
// flag and the file (shared by the CLI's --ca/--cert/--key and jobd's
// --tls-ca/--tls-cert/--tls-key).
import { readFileSync } from 'node:fs';

/**
 * A TLS file or flag combination that cannot be used: the user's setup, not
 * a server's answer (the CLI prints "error: <message>", jobd one line, exit 2).
 */
export class SecurityConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecurityConfigError';
  }
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return String(code ?? (err as Error).message);
}

/** `what` is the flag ("--ca", "--tls-cert"). Throws SecurityConfigError. */
export function readPem(path: string, what: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    throw new SecurityConfigError(`${what} ${path}: cannot read (${reason(err)})`);
  }
  if (!data.includes('-----BEGIN ')) {
    throw new SecurityConfigError(`${what} ${path}: not a PEM file`);
  }
  return data;
}

/** The PEM certificate blocks of a file (a CA file may hold several: a bundle during rotation). */
export function pemCertificates(data: Buffer | string): string[] {
  return String(data).match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}
