// Loads proto/*.proto for grpc-js. Fast path: the JSON descriptors that
// `npm run build` precompiles into dist/proto/ (hack/gen-proto-json.mjs),
// read with protobufjs/light, so a CLI process parses no .proto text and
// loads neither @grpc/proto-loader nor protobufjs' parser. Fallback (no or
// stale JSON, e.g. a .proto edited since the last build): @grpc/proto-loader
// parses the .proto file. Both paths give the same service definitions
// (camelCase fields, uint64 as number, enum names, defaults, oneofs).
//
// The proto directory is found by walking up from this module, so it works
// from the sources, from dist/ (dist/pkg/transport -> ../../../proto) and from
// an installed package.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import type * as protobufLight from 'protobufjs/light.js';

/** Synchronous loads of the CommonJS proto libraries, only on the path that needs them. */
const require = createRequire(import.meta.url);

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

/** What hack/gen-proto-json.mjs writes. */
interface PrecompiledProto {
  readonly source: string;
  readonly sourceSha256: string;
  readonly root: protobufLight.INamespace;
}

/**
 * The precompiled descriptor of `file` (dist/proto/NAME.json, next to
 * dist/pkg), or undefined when there is none or it was built from another
 * version of the .proto.
 */
function precompiled(file: string, protoText: string): PrecompiledProto | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const path = join(here, '..', '..', 'proto', file.replace(/\.proto$/, '.json'));
  let json: PrecompiledProto;
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as PrecompiledProto;
  } catch {
    return undefined;
  }
  const sha = createHash('sha256').update(protoText).digest('hex');
  return json.sourceSha256 === sha ? json : undefined;
}

/** "TransferLeader" -> "transferLeader" (what proto-loader's lodash.camelcase gives for RPC names). */
const lowerFirst = (s: string): string =>
  s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/^./, (c) => c.toLowerCase());

/**
 * The services of a JSON descriptor as a grpc-js package definition: the same
 * method definitions (path, streaming, serializers) as proto-loader builds,
 * without its reflection extras (file descriptors, message type entries).
 */
function packageDefinitionFromJson(json: protobufLight.INamespace): grpc.GrpcObject {
  const protobuf = require('protobufjs/light.js') as typeof protobufLight;
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  const options = protoLoaderOptions as protobufLight.IConversionOptions;
  const serializer = (type: protobufLight.Type) => (arg: object) => {
    if (Array.isArray(arg))
      throw new Error(`Failed to serialize message: expected object with ${type.name} structure`);
    return type.encode(type.fromObject(arg)).finish();
  };
  const deserializer = (type: protobufLight.Type) => (buf: Buffer) =>
    type.toObject(type.decode(buf), options);
  const def: Record<string, Record<string, grpc.MethodDefinition<object, object>>> = {};
  const visit = (ns: protobufLight.NamespaceBase): void => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Service) {
        const service: Record<string, grpc.MethodDefinition<object, object>> = {};
        const name = obj.fullName.replace(/^\./, '');
        for (const m of obj.methodsArray) {
          const req = m.resolvedRequestType as protobufLight.Type;
          const res = m.resolvedResponseType as protobufLight.Type;
          service[m.name] = {
            path: `/${name}/${m.name}`,
            requestStream: !!m.requestStream,
            responseStream: !!m.responseStream,
            requestSerialize: serializer(req),
            requestDeserialize: deserializer(req),
            responseSerialize: serializer(res),
            responseDeserialize: deserializer(res),
            originalName: lowerFirst(m.name),
          } as unknown as grpc.MethodDefinition<object, object>;
        }
        def[name] = service;
      } else if (obj instanceof protobuf.Namespace) {
        visit(obj);
      }
    }
  };
  visit(root);
  return grpc.loadPackageDefinition(
    def as unknown as Parameters<typeof grpc.loadPackageDefinition>[0],
  );
}

const loaded = new Map<string, grpc.GrpcObject>();

/** Loads (once) a proto file from proto/ and returns its gRPC package object. */
export function loadProto(file: 'raft.proto' | 'api.proto'): grpc.GrpcObject {
  let pkg = loaded.get(file);
  if (!pkg) {
    const path = join(protoDir(), file);
    const json = precompiled(file, readFileSync(path, 'utf8'));
    if (json) {
      pkg = packageDefinitionFromJson(json.root);
    } else {
      const loader = require('@grpc/proto-loader') as typeof protoLoader;
      pkg = grpc.loadPackageDefinition(loader.loadSync(path, protoLoaderOptions));
    }
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
