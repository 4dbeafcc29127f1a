#!/usr/bin/env node
// Bundles the jobctl CLI (run by `npm run build`, after tsc), twice:
//
// 1. The `jobctl` command (package.json `bin`): cmd/jobctl-bin.ts and all a
//    plain `get` runs when its reads get clean answers, as one CommonJS file,
//    dist/cmd/jobctl.cjs, without grpc-js (the build checks). Node's
//    CommonJS loader reads and compiles one file and never starts its ES
//    module loader, which was most of what a `get` spent above bare node in
//    module loading; every byte left out is a byte V8 need not pre-parse.
//    Code a `get` may not run (yaml output, TLS reads) is in the file but
//    not evaluated until used (esbuild wraps each module in a lazy
//    initialiser). Every other command, and a `get` whose reads were not all
//    clean, is handed to the whole CLI (2) with import() of
//    dist/cmd/jobctl-main.js. docs/benchmarks.md has the figures.
//
// 2. The whole CLI: esbuild compiles cmd/jobctl.ts and cmd/jobctl-main.ts
//    (what it runs) and everything they import into dist/cmd/jobctl.js and
//    dist/cmd/jobctl-main.js (in place of tsc's one-module output), with each lazily
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
// Where earlier builds put grpc-js for the bin: nothing loads it now.
for (const old of ['jobctl-grpc.cjs', 'jobctl-grpc.cjs.map'])
  rmSync(join(dist, 'cmd', old), { force: true });

/** The bin hands commands to the whole CLI, beside it in dist/cmd. */
const wholeCliBesideBin = {
  name: 'jobctl-whole-cli-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/jobctl-main\.js$/ }, () => ({
      path: './jobctl-main.js',
      external: true,
    }));
  },
};

/** Packages the bin must not contain: the gRPC stack is the whole CLI's. */
const notInBin = ['@grpc/grpc-js', 'protobufjs', '@protobufjs/'];

const bin = await build({
  entryPoints: [join(root, 'cmd', 'jobctl-bin.ts')],
  outfile: join(dist, 'cmd', 'jobctl.cjs'),
  tsconfig: join(root, 'tsconfig.json'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  plugins: [wholeCliBesideBin, placement],
  logLevel: 'warning',
  // import.meta is empty in CommonJS: a module that needs it must not be reachable from the bin.
  logOverride: { 'empty-import-meta': 'error' },
  metafile: true,
});
const [, binOut] = Object.entries(bin.metafile.outputs).find(([f]) => f.endsWith('.cjs')) ?? [];
for (const mod of chunkOnly) {
  if (Object.keys(binOut?.inputs ?? {}).some((i) => i.endsWith(mod))) {
    throw new Error(`build-cli: ${mod} is in dist/cmd/jobctl.cjs; only the whole CLI may load it`);
  }
}
for (const pkg of notInBin) {
  const found = Object.keys(binOut?.inputs ?? {}).find((i) => i.includes(`node_modules/${pkg}`));
  if (found)
    throw new Error(`build-cli: ${found} is in dist/cmd/jobctl.cjs; grpc-js is the whole CLI's`);
}

const result = await build({
  entryPoints: { jobctl: entry, 'jobctl-main': join(root, 'cmd', 'jobctl-main.ts') },
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
for (const name of ['jobctl.js', 'jobctl-main.js']) {
  const [, entryOut] = outputs.find(([f]) => f.endsWith(`cmd/${name}`)) ?? [];
  if (!entryOut) throw new Error(`build-cli: no dist/cmd/${name} in the output`);
  for (const mod of chunkOnly) {
    if (Object.keys(entryOut.inputs).some((i) => i.endsWith(mod))) {
      throw new Error(`build-cli: ${mod} is in dist/cmd/${name}; it must stay in a chunk`);
    }
  }
}
process.stdout.write(
  `build-cli: dist/cmd/jobctl.cjs (${Math.round((binOut?.bytes ?? 0) / 1024)} KB) and ${outputs.length} files of the whole CLI (jobctl.js, jobctl-main.js + chunks)\n`,
);
