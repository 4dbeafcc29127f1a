#!/usr/bin/env node
// Runs the compiled test files under dist/test with node's built-in runner.
// Usage: node hack/run-tests.mjs [SUBDIR...]   e.g. `unit`, `unit/raft`, `integration`
// Suites run as separate processes (node --test), so a crashing suite cannot
// hide the others. Concurrency is 2: this machine (and CI's) has 2 cores.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { URL, fileURLToPath } from 'node:url';

const root = 'dist/test';
const failuresReporter = fileURLToPath(new URL('./test-failures-reporter.mjs', import.meta.url));
const subdirs = process.argv.slice(2);
const roots = subdirs.length > 0 ? subdirs.map((s) => join(root, s)) : [root];

function sourceOf(compiled) {
  return compiled.replace(/^dist[\\/]/, '').replace(/\.js$/, '.ts');
}

function collect(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    // tsc never deletes output: a compiled test whose source is gone must not run.
    else if (name.endsWith('.test.js') && existsSync(sourceOf(path))) out.push(path);
  }
  return out;
}

const files = roots.flatMap((r) => collect(r, []));
if (files.length === 0) {
  console.error(`no test files found under ${roots.join(', ')}`);
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  [
    '--test',
    `--test-concurrency=${concurrency}`,
    '--enable-source-maps',
    // TAP for the full log, then a list of the failed tests at the very end (CI shows the tail).
    '--test-reporter=tap',
    '--test-reporter-destination=stdout',
    `--test-reporter=${failuresReporter}`,
    '--test-reporter-destination=stderr',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
