#!/usr/bin/env node
// Precompiles proto/*.proto into protobufjs JSON descriptors under
// dist/proto/ (run by `npm run build`). pkg/transport/proto.ts loads these
// with protobufjs/light instead of parsing the .proto text at every start, so
// a `jobctl get jobs` process does not pay for the .proto parser,
// @grpc/proto-loader and protobufjs' descriptor extension.
//
// Field names are converted to camelCase here (keepCase: false), exactly as
// proto-loader does at load time. Each JSON records the sha256 of its source;
// a descriptor whose .proto changed since is ignored at run time (the loader
// falls back to parsing), so a stale build can never drop a new field or RPC.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'proto');
const out = join(root, 'dist', 'proto');
mkdirSync(out, { recursive: true });

for (const file of readdirSync(src).filter((f) => f.endsWith('.proto'))) {
  const path = join(src, file);
  const text = readFileSync(path, 'utf8');
  const parsed = new protobuf.Root().loadSync(path, { keepCase: false });
  parsed.resolveAll();
  const json = {
    source: file,
    sourceSha256: createHash('sha256').update(text).digest('hex'),
    root: parsed.toJSON(),
  };
  writeFileSync(join(out, file.replace(/\.proto$/, '.json')), JSON.stringify(json) + '\n');
}
