// grpc-js sets a TLS connection's server name (SNI) to the target host, and
// Node warns (DEP0123) whenever that is an IP address, which is how cluster
// addresses are usually written: every CLI run would print a deprecation
// warning. The server name is only SNI here (the certificate is checked
// against the IP SAN either way), so that one warning is dropped; all others
// still print.
let installed = false;

export function silenceIpServerNameWarning(): void {
  if (installed) return;
  installed = true;
  const emit = process.emitWarning.bind(process) as (...args: unknown[]) => void;
  process.emitWarning = ((warning: unknown, ...rest: unknown[]) => {
    const opts = rest[0] as { code?: string } | string | undefined;
    const code = typeof opts === 'object' ? opts?.code : rest[1];
    if (code === 'DEP0123') return;
    emit(warning, ...rest);
  }) as typeof process.emitWarning;
}
