// One lint command for the whole tree (`npm run lint`). Beyond the usual
// TypeScript rules it enforces the architecture of DESIGN.md §1: the Raft core
// and the store are deterministic, so time, randomness and I/O may only reach
// them through injected interfaces (Clock, Rng, Storage, Transport).
//
// Who may import whom (DESIGN.md §1) is the other half of `npm run lint`:
// dependency-cruiser with the rules in .dependency-cruiser.mjs (`npm run
// lint:layers`), because it sees the whole import graph where an ESLint rule
// sees one file. In short:
// - no import cycles in pkg/ or cmd/, between files or between packages;
// - raft imports only util; store only util and raft's types; runtime only
//   util (never the store: it has its own ContainerSpec); controllers never
//   runtime, agent or node; the agent never controllers or node; the CLI never
//   the node's internals, except `dev up` starting pkg/node/local-cluster.ts;
// - a package with an index.ts is imported through it; only the code the CLI
//   loads may also use the few light entries listed there (the resource model,
//   the token format, explain), so that a CLI start stays cheap;
// - test/ and hack/ may import deep: a unit test imports the internal module
//   it tests, and a benchmark drives internals on purpose.
// test/unit/lint/layering.test.ts proves each of those rules fires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const deterministicCore = ['pkg/raft/**/*.ts', 'pkg/store/**/*.ts'];
// The I/O shells that live next to the pure cores.
const ioShells = ['pkg/raft/storage/**/*.ts', 'pkg/raft/node.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.jobctl-dev/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['**/*.mjs', 'hack/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    files: deterministicCore,
    ignores: ioShells,
    rules: {
      'no-restricted-globals': [
        'error',
        { name: 'Date', message: 'Use the injected Clock (pkg/util/clock).' },
        { name: 'setTimeout', message: 'The core is driven by tick(); no timers.' },
        { name: 'setInterval', message: 'The core is driven by tick(); no timers.' },
        { name: 'setImmediate', message: 'The core is driven by tick(); no timers.' },
        { name: 'performance', message: 'Use the injected Clock.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'Use the injected seeded Rng.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'node:fs',
                'node:fs/*',
                'fs',
                'node:net',
                'net',
                'node:child_process',
                '@grpc/*',
                'dockerode',
                'express',
              ],
              message: 'The deterministic core does no I/O; take it through an interface.',
            },
          ],
        },
      ],
    },
  },
);
