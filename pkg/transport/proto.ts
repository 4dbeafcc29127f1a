// Loads proto/*.proto at runtime with @grpc/proto-loader. The proto directory is
// found by walking up from this module, so it works from the sources, from
// dist/ (dist/pkg/transport -> ../../../proto) and from an installed package.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** Options shared by every proto load: numbers for uint64, enum names as strings. */
export const protoLoaderOptions: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

let protoDirCache: string | undefined;

/** The directory holding raft.proto and api.proto. */
export function protoDir(): string {
  if (protoDirCache) return protoDirCache;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'raft.proto'))) {
      protoDirCache = candidate;
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('cannot find proto/raft.proto above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

const loaded = new Map<string, grpc.GrpcObject>();

/** Loads (once) a proto file from proto/ and returns its gRPC package object. */
export function loadProto(file: 'raft.proto' | 'api.proto'): grpc.GrpcObject {
  let pkg = loaded.get(file);
  if (!pkg) {
    const def = protoLoader.loadSync(join(protoDir(), file), protoLoaderOptions);
    pkg = grpc.loadPackageDefinition(def);
    loaded.set(file, pkg);
  }
  return pkg;
}

/** Walks a dotted path ("jobctl.raft.v1.Raft") in a loaded package. */
export function lookupService(pkg: grpc.GrpcObject, path: string): grpc.ServiceClientConstructor {
  let cur: unknown = pkg;
  for (const part of path.split('.')) {
    cur = (cur as Record<string, unknown>)[part];
    if (cur === undefined) throw new Error(`proto: ${path} not found`);
  }
  return cur as grpc.ServiceClientConstructor;
}

/** Channel options for node<->node and client channels: fast reconnects on loopback/LAN. */
export const channelOptions: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 1000,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
  'grpc.max_send_message_length': 64 * 1024 * 1024,
};
