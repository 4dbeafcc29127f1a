#!/usr/bin/env node
// Bundles the jobctl CLI (run by `npm run build`, after tsc), twice:
//
// 1. The `jobctl` command (package.json `bin`): cmd/jobctl-bin.ts and all a
//    plain `get` can reach as one CommonJS file, dist/cmd/jobctl.cjs, except
//    grpc-js and protobufjs (for the fallback and -w), which sit beside it in
//    dist/cmd/jobctl-grpc.cjs, required on first use. Node's CommonJS loader
//    reads and compiles one file and never starts its ES module loader,
//    which was most of what a `get` spent above bare node in module loading.
//    Code a `get` may not run (GrpcClient, yaml output) is in the file but
//    not evaluated until used (esbuild wraps each module in a lazy
//    initialiser). Every other command is handed to the whole CLI (2),
//    loaded with import(). docs/benchmarks.md has the figures.
//
// 2. The whole CLI: esbuild compiles cmd/jobctl.ts and everything it imports
//    into dist/cmd/jobctl.js (in place of tsc's one-module output), with each lazily
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

/** The bin hands every command but `get` to the whole CLI, beside it in dist/cmd. */
const wholeCliBesideBin = {
  name: 'jobctl-whole-cli-external',
  setup(b) {
    b.onResolve({ filter: /^\.\/jobctl\.js$/ }, () => ({ path: './jobctl.js', external: true }));
  },
};

/**
 * The gRPC stack proper (grpc-js and what it bundles), which a `get` loads
 * only for its fallback and -w: the bin takes it from its own file, so that
 * a plain `get` does not read and pre-parse ~700 KB it never runs. Each of
 * our imports of it becomes a lazy require of dist/cmd/jobctl-grpc.cjs.
 * (@bufbuild/protobuf stays in the bin: the read messages use it.)
 */
const binVendored = ['@grpc/grpc-js', '@js-sdsl/ordered-map', 'protobufjs', '@protobufjs/', 'long'];
const isVendored = (name) =>
  binVendored.some((p) => name === p || name.startsWith(p.endsWith('/') ? p : `${p}/`));
const vendorFile = 'jobctl-grpc.cjs';
/** The specifiers of binVendored that our code imports, filled while the bin builds. */
const vendorSpecs = new Set();
const grpcBesideBin = {
  name: 'jobctl-bin-grpc-beside',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (!isVendored(args.path) || args.importer.includes('node_modules')) return undefined;
      vendorSpecs.add(args.path);
      return { path: args.path, namespace: 'jobctl-grpc' };
    });
    b.onResolve({ filter: /^\.\/jobctl-grpc\.cjs$/ }, (args) => ({
      path: args.path,
      external: true,
    }));
    b.onLoad({ filter: /.*/, namespace: 'jobctl-grpc' }, (args) => ({
      contents: `module.exports = require('./${vendorFile}')[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
  },
};

const bin = await build({
  entryPoints: [join(root, 'cmd', 'jobctl-bin.ts')],
  outfile: join(dist, 'cmd', 'jobctl.cjs'),
  tsconfig: join(root, 'tsconfig.json'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  plugins: [wholeCliBesideBin, grpcBesideBin, placement],
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
// Each package is evaluated on first use (a getter), as it would be in the bin itself.
const vendorEntry = [...vendorSpecs]
  .sort()
  .map((spec) => {
    const s = JSON.stringify(spec);
    return `Object.defineProperty(exports, ${s}, { enumerable: true, get: () => require(${s}) });`;
  })
  .join('\n');
await build({
  stdin: {
    contents: vendorEntry,
    resolveDir: root,
    sourcefile: 'jobctl-grpc-entry.js',
    loader: 'js',
  },
  outfile: join(dist, 'cmd', vendorFile),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
});

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
process.stdout.write(
  `build-cli: dist/cmd/jobctl.cjs (${Math.round((binOut?.bytes ?? 0) / 1024)} KB) + jobctl-grpc.cjs and ${outputs.length} files of the whole CLI (jobctl.js + chunks)\n`,
);
