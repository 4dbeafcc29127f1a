// proto.ts: the service definitions built from the precompiled JSON
// descriptors (dist/proto, protobufjs/light) must be those @grpc/proto-loader
// builds from the .proto text: same methods, paths, streaming flags, names,
// and byte-identical encodings / equal decodings of sample messages.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import type * as protoLoader from '@grpc/proto-loader';
import {
  loadProto,
  lookupService,
  protoDir,
  protoLoaderOptions,
} from '../../../pkg/transport/proto.js';

const require = createRequire(import.meta.url);
const loader = require('@grpc/proto-loader') as typeof protoLoader;

type Method = grpc.MethodDefinition<object, object>;

/** The decoded empty message with every scalar field set to a sample value. */
function sample(empty: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(empty)) {
    if (typeof v === 'string') out[k] = `v-${k}`;
    else if (typeof v === 'number') out[k] = 7;
    else if (typeof v === 'boolean') out[k] = true;
    else if (Buffer.isBuffer(v)) out[k] = Buffer.from('{"a":1}');
  }
  return out;
}

describe('loadProto', () => {
  for (const [file, service] of [
    ['api.proto', 'jobctl.api.v1.Jobctl'],
    ['raft.proto', 'jobctl.raft.v1.Raft'],
  ] as const) {
    it(`${file}: same service definition as proto-loader`, () => {
      const mine = lookupService(loadProto(file), service).service as unknown as Record<
        string,
        Method
      >;
      const ref = lookupService(
        grpc.loadPackageDefinition(loader.loadSync(join(protoDir(), file), protoLoaderOptions)),
        service,
      ).service as unknown as Record<string, Method>;
      assert.deepEqual(Object.keys(mine), Object.keys(ref));
      for (const [name, b] of Object.entries(ref)) {
        const a = mine[name] as Method;
        assert.deepEqual(
          [a.path, a.requestStream, a.responseStream, a.originalName],
          [b.path, b.requestStream, b.responseStream, b.originalName],
          name,
        );
        for (const side of ['request', 'response'] as const) {
          const ser = `${side}Serialize` as const;
          const de = `${side}Deserialize` as const;
          const empty = b[de](Buffer.alloc(0)) as Record<string, unknown>;
          assert.deepEqual(a[de](Buffer.alloc(0)), empty, `${name} ${side} defaults`);
          const msg = sample(empty);
          const bytes = Buffer.from(b[ser](msg));
          assert.deepEqual(Buffer.from(a[ser](msg)), bytes, `${name} ${side} encoding`);
          assert.deepEqual(a[de](bytes), b[de](bytes), `${name} ${side} decoding`);
        }
      }
    });
  }
});
