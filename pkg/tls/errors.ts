// Connection failures caused by TLS, in words a user can act on. grpc-js
// reports them as "No connection established. Last error: Error: <OpenSSL or
// Node text>"; the CLI shows one line, so the cause is named here.

const RULES: readonly [RegExp, (m: RegExpExecArray) => string][] = [
  [
    /self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT/i,
    () => 'certificate signed by unknown authority (is --ca the cluster CA?)',
  ],
  [
    /Hostname\/IP does not match certificate's altnames: (?:IP|Host): ([^\s.]+(?:\.[^\s.]+)*)/,
    (m) => `the server certificate is not valid for ${m[1]}`,
  ],
  [/certificate has expired|CERT_HAS_EXPIRED/i, () => 'the server certificate has expired'],
  [
    /wrong version number|packet length too long|ssl3_get_record|http request/i,
    () => 'the server does not use TLS (connect without --ca/--cert/--key)',
  ],
  [
    /alert certificate required|alert bad certificate|tlsv13 alert|sslv3 alert/i,
    () => 'the server refused the client certificate (--cert/--key)',
  ],
  [
    /^No connection established\. Last error: Failed to connect\b/,
    () => 'connection closed during setup (does the server require TLS? pass --ca)',
  ],
];

/** A clear cause for a TLS connection failure, or undefined when `detail` is not one. */
export function tlsFailureDetail(detail: string): string | undefined {
  for (const [re, say] of RULES) {
    const m = re.exec(detail);
    if (m) return say(m);
  }
  return undefined;
}
