// The layering of DESIGN.md §1, checked by dependency-cruiser on every
// `npm run lint` (`depcruise pkg cmd`). eslint.config.mjs checks what one file
// may call; this file checks who may import whom. The rules read top down:
//
// 1. No import cycles in pkg/ or cmd/, neither between files nor between
//    packages (folders). Type-only and lazy `await import()` edges count too:
//    a cycle of types is still two modules that cannot be understood apart.
// 2. The layers of DESIGN §1 (raft <- store <- api/controllers/agent <- node
//    <- cmd), as the few edges that must never exist.
// 3. A package with an index.ts is imported through it (or through a
//    sub-package's index.ts, e.g. pkg/api/validation), never past it. The
//    only other doors are the entry modules in `lightEntries`, each with why,
//    and only for the code the CLI loads.
//    Packages without an index.ts (util, transport, tls, node, cli) are
//    folders of independent modules and are imported file by file.
//    test/ and hack/ may import deep: a unit test of an internal module
//    imports that module, and a benchmark drives internals on purpose. Both
//    still see rules 1 and 2 only through the pkg/ code they load.
//
// test/unit/lint/layering.test.ts feeds each rule a forbidden import and
// checks that it fires, so a typo in a regular expression cannot silently
// switch a rule off.

/** Packages whose index.ts is their public face (`pkg/NAME/index.ts`). */
export const facedPackages = [
  'agent',
  'api',
  'auth',
  'client',
  'controllers',
  'events',
  'raft',
  'reconcile',
  'runtime',
  'store',
];

/**
 * Modules the CLI (pkg/cli, the validation it runs, cmd/) may import besides an
 * index.ts: parts of a package it must load without loading the whole package,
 * because every CLI start pays for what it loads. Node-side code uses the index.
 */
export const lightEntries = [
  // The resource model (kinds table, types, constants, canonical JSON): the CLI
  // loads it on every start, without the state machine that pkg/store/index.ts
  // brings.
  'pkg/store/canonical.ts',
  'pkg/store/kinds.ts',
  'pkg/store/types.ts',
  // The bearer-token format (mint, hash): `jobctl token create` and `dev up`
  // mint tokens without loading the authorizer (pkg/auth's index: ~5x slower).
  'pkg/auth/tokens.ts',
  // Field docs from the CRD schemas: `jobctl explain` reads them without
  // compiling every validator (pkg/api/validation's index: ~5x slower).
  'pkg/api/validation/explain.ts',
  // The backup file format: `jobctl cluster snapshot save|status` check and
  // read it without loading the in-process client.
  'pkg/client/snapshot-file.ts',
];

const faced = `^pkg/(${facedPackages.join('|')})/`;
/** The `jobctl dev up` verb, the one CLI module that may start nodes. */
const devUp = '^pkg/cli/verbs/dev(-up)?\\.ts$';
const escape = (path) => path.replace(/[.]/g, '\\.');
const light = lightEntries.map((e) => `^${escape(e)}$`);
/** The code the CLI loads: its own modules, manifest validation and the table columns. */
const cliSide = '^pkg/(cli|api/(validation|columns))/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'Import cycles between files: move the shared piece to where both may import it.',
      severity: 'error',
      from: { path: '^(pkg|cmd)/' },
      to: { circular: true },
    },
    {
      name: 'no-package-cycle',
      comment: 'Import cycles between packages (folders): one of them is on the wrong layer.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(pkg|cmd)' },
      to: { circular: true },
    },
    {
      name: 'raft-imports-only-util',
      comment: 'pkg/raft is the consensus core: it knows nothing of jobs, docker or gRPC.',
      severity: 'error',
      from: { path: '^pkg/raft/' },
      to: { path: '^(pkg|cmd)/', pathNot: '^pkg/(raft|util)/' },
    },
    {
      name: 'store-imports-only-raft-types-and-util',
      comment: "pkg/store is the replicated state machine: util, and raft's state-machine types.",
      severity: 'error',
      from: { path: '^pkg/store/' },
      to: { path: '^(pkg|cmd)/', pathNot: '^pkg/(store|raft|util)/' },
    },
    {
      name: 'store-takes-only-types-from-raft',
      comment: 'pkg/store implements the StateMachine type of pkg/raft and runs no raft code.',
      severity: 'error',
      from: { path: '^pkg/store/' },
      to: { path: '^pkg/raft/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'runtime-imports-only-util',
      comment:
        'pkg/runtime runs containers and knows nothing of the store (no Jobs, no Runs): it ' +
        'takes its own ContainerSpec, and the agent converts.',
      severity: 'error',
      from: { path: '^pkg/runtime/' },
      to: { path: '^(pkg|cmd)/', pathNot: '^pkg/(runtime|util)/' },
    },
    {
      name: 'controllers-never-runtime-agent-node',
      comment: 'Controllers reconcile desired state through the API; containers are the agent’s.',
      severity: 'error',
      from: { path: '^pkg/controllers/' },
      to: { path: '^pkg/(runtime|agent|node)/' },
    },
    {
      name: 'agent-never-controllers-node',
      comment: 'The agent runs what it is bound; it shares nothing with the leader-only loops.',
      severity: 'error',
      from: { path: '^pkg/agent/' },
      to: { path: '^pkg/(controllers|node)/' },
    },
    {
      name: 'cli-never-node-internals',
      comment:
        'The CLI talks to a cluster through pkg/client; it may load the resource model, ' +
        'validation, the table columns (pkg/api/columns), TLS and gRPC plumbing, never the parts that run inside a node. ' +
        "Only `dev up` starts a local cluster (pkg/node's local-cluster).",
      severity: 'error',
      from: { path: '^(pkg/cli/|cmd/jobctl[^/]*\\.ts$)' },
      to: {
        path: '^pkg/(raft|controllers|agent|runtime|reconcile|events|dashboard|api/(?!validation/|columns/))',
      },
    },
    {
      name: 'only-dev-up-starts-a-cluster',
      comment:
        'pkg/node/local-cluster.ts is for `jobctl dev up` only (see cli-never-node-internals).',
      severity: 'error',
      from: { path: '^(pkg/cli/|cmd/jobctl[^/]*\\.ts$)', pathNot: devUp },
      to: { path: '^pkg/node/' },
    },
    {
      name: 'dev-up-uses-only-the-local-cluster',
      comment: '`jobctl dev up` starts nodes through pkg/node/local-cluster.ts, nothing deeper.',
      severity: 'error',
      from: { path: devUp },
      to: { path: '^pkg/node/', pathNot: '^pkg/node/local-cluster\\.ts$' },
    },
    {
      name: 'import-a-package-through-its-index',
      comment:
        'Other packages import a package through its index.ts (or a sub-package’s); never ' +
        'a module behind it.',
      severity: 'error',
      from: { path: '^pkg/([^/]+)/', pathNot: cliSide },
      to: { path: faced, pathNot: ['^pkg/$1/', '/index\\.ts$'] },
    },
    {
      name: 'cli-imports-a-package-through-its-index-or-a-light-entry',
      comment:
        'The code the CLI loads imports a package through its index.ts or one of the light ' +
        'entries listed in .dependency-cruiser.mjs; never another module behind it.',
      severity: 'error',
      from: { path: '^pkg/(cli|api)/', pathNot: '^pkg/api/(?!validation/|columns/)' },
      to: { path: faced, pathNot: ['^pkg/$1/', '/index\\.ts$', ...light] },
    },
    {
      name: 'cmd-imports-a-package-through-its-index',
      comment: 'cmd/ is another package: the same rule as for the CLI (light entries allowed).',
      severity: 'error',
      from: { path: '^cmd/' },
      to: { path: faced, pathNot: ['/index\\.ts$', ...light] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|pkg/dashboard)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are edges too (see rule 1 above).
    tsPreCompilationDeps: true,
    cache: false,
  },
};
