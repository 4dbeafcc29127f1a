// Client-side connection security for gRPC: TLS files (a CA to verify the
// server with, and optionally a client certificate and key: mutual TLS) and a
// bearer token. One description (ClientSecurity, what the CLI's --ca --cert
// --key --token and a context's fields hold) turns into grpc-js channel
// credentials plus a client interceptor that adds `authorization: Bearer
// <token>` to every call, unary and streaming alike. A token works without
// TLS too (plaintext dev clusters), though it then crosses the wire in clear.
import * as grpc from '@grpc/grpc-js';
import { readPem, SecurityConfigError } from '../tls/pem.js';
import { silenceIpServerNameWarning } from '../tls/sni-warning.js';

export { SecurityConfigError };

/** How a client connects: PEM file paths and a token value (all optional). */
export interface ClientSecurity {
  /** CA certificate (PEM) the server's certificate must chain to. Setting it turns TLS on. */
  readonly ca?: string;
  /** Client certificate (PEM) for mutual TLS; needs `key`. */
  readonly cert?: string;
  /** Private key (PEM) of `cert`. */
  readonly key?: string;
  /** Bearer token sent as `authorization: Bearer <token>` on every call. */
  readonly token?: string;
}

/** Metadata key of the bearer token (lower case: HTTP/2 header names are). */
export const authorizationMetadataKey = 'authorization';

/** Whether `sec` asks for TLS (any file given). */
export function usesTls(sec: ClientSecurity | undefined): boolean {
  return Boolean(sec?.ca || sec?.cert || sec?.key);
}

/**
 * The channel credentials of `sec`: insecure without TLS files, else TLS
 * verifying the server against `ca` (the system roots when only a client
 * certificate is given), presenting cert/key when both are given.
 */
export function channelCredentials(sec: ClientSecurity | undefined): grpc.ChannelCredentials {
  if (!usesTls(sec)) return grpc.credentials.createInsecure();
  const s = sec as ClientSecurity;
  if (Boolean(s.cert) !== Boolean(s.key)) {
    throw new SecurityConfigError(
      s.cert
        ? '--cert needs --key (the client key file)'
        : '--key needs --cert (the client certificate file)',
    );
  }
  silenceIpServerNameWarning();
  const ca = s.ca ? readPem(s.ca, '--ca') : null;
  const cert = s.cert ? readPem(s.cert, '--cert') : null;
  const key = s.key ? readPem(s.key, '--key') : null;
  try {
    return grpc.credentials.createSsl(ca, key, cert);
  } catch (err) {
    throw new SecurityConfigError(`TLS files: ${(err as Error).message}`);
  }
}

/** A client interceptor that adds the bearer token to each call's metadata. */
export function tokenInterceptor(token: string): grpc.Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(authorizationMetadataKey, value);
        next(metadata, listener);
      },
    });
}

/**
 * Credentials and channel options for a client of `sec`: pass both to a
 * generated client constructor (`new Ctor(address, credentials, options)`).
 * `credentials`, when given, replaces the ones `sec`'s files would make (a
 * node's reloading peer credentials); the token still applies.
 */
export function clientChannel(
  sec: ClientSecurity | undefined,
  base: grpc.ChannelOptions,
  credentials: grpc.ChannelCredentials = channelCredentials(sec),
): { credentials: grpc.ChannelCredentials; options: grpc.ClientOptions } {
  const options: grpc.ClientOptions = sec?.token
    ? { ...base, interceptors: [tokenInterceptor(sec.token)] }
    : { ...base };
  return { credentials, options };
}
