#!/usr/bin/env node
// Bundles the jobctl CLI (run by `npm run build`, after tsc): esbuild compiles
// cmd/jobctl.ts and everything it imports into dist/cmd/jobctl.js (in place of
// tsc's one-module output, which `bin` names), with each lazily
// imported part (the gRPC client, the yargs root and its verbs, ...) in its
// own chunk under dist/cmd/chunks/, loaded only when a verb needs it. A
// `jobctl get` then reads a few files instead of hundreds of small modules
// (most of them @grpc/grpc-js and protobufjs), which is most of its start.
//
// npm packages other than the gRPC stack (yargs, yaml, ajv, chalk, ...) stay
// outside, loaded from node_modules as before: they are off the hot path, and
// some read files next to their own modules.
//
// Some of our modules find files relative to themselves (dist/cmd/jobd.js in
// pkg/node/local-cluster.ts, the CRD schemas of pkg/api/validation): they are
// reached only through lazy imports, so they land in chunks, and the chunks
// sit two levels below dist/ as dist/pkg/<package>/ does, so relative paths
// such as "../../cmd" still resolve. The build checks that none of them ends
// up in the entry file.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** npm packages bundled in: the gRPC client stack, loaded by every cluster verb. */
const bundled = [
  '@grpc/grpc-js',
  '@js-sdsl/ordered-map',
  '@bufbuild/protobuf',
  'protobufjs',
  '@protobufjs/',
  'long',
];
const isBundled = (name) =>
  bundled.some((p) => name === p || name.startsWith(p.endsWith('/') ? p : `${p}/`));

/** Modules that locate files relative to their own path: never in the entry (dist/cmd/). */
const chunkOnly = ['pkg/node/local-cluster.ts', 'pkg/api/validation/schemas.ts'];

const placement = {
  name: 'jobctl-external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.kind === 'entry-point' || args.path.startsWith('node:')) return undefined;
      return isBundled(args.path) ? undefined : { path: args.path, external: true };
    });
  },
};

const entry = join(root, 'cmd', 'jobctl.ts');
rmSync(join(dist, 'cmd', 'chunks'), { recursive: true, force: true });

const result = await build({
  entryPoints: { jobctl: entry },
  outdir: join(dist, 'cmd'),
  allowOverwrite: true,
  tsconfig: join(root, 'tsconfig.json'),
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  // CommonJS packages (grpc-js) call require() for Node's built-ins.
  banner: {
    js: "import { createRequire as __jobctlCreateRequire } from 'node:module'; const require = __jobctlCreateRequire(import.meta.url);",
  },
  plugins: [placement],
  logLevel: 'warning',
  metafile: true,
});

const outputs = Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js'));
const [, entryOut] = outputs.find(([f]) => f.endsWith('cmd/jobctl.js')) ?? [];
if (!entryOut) throw new Error('build-cli: no dist/cmd/jobctl.js in the output');
for (const mod of chunkOnly) {
  if (Object.keys(entryOut.inputs).some((i) => i.endsWith(mod))) {
    throw new Error(`build-cli: ${mod} is in dist/cmd/jobctl.js; it must stay in a chunk`);
  }
}
process.stdout.write(`build-cli: ${outputs.length} files in dist/cmd (jobctl.js + chunks)\n`);
