#!/usr/bin/env node
// `npm run gen:proto`: regenerates pkg/transport/gen/ from proto/*.proto
// (proto/buf.gen.yaml: buf's compiler + ts-proto, both npm packages pinned in
// package.json; no protoc). `--check` generates into a temporary directory
// and exits 1, naming the files, when the committed code differs: the .proto
// files were edited without regenerating.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const genDir = 'pkg/transport/gen';
const check = process.argv.includes('--check');

/** Runs buf generate with its output under `base` (the repository itself, or a scratch directory). */
function generate(base) {
  const buf = join(root, 'node_modules', '.bin', 'buf');
  execFileSync(buf, ['generate', 'proto', '--template', 'proto/buf.gen.yaml', '-o', base], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

const tsFiles = (dir) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .sort()
    : [];

if (!check) {
  rmSync(join(root, genDir), { recursive: true, force: true });
  generate(root);
} else {
  const scratch = mkdtempSync(join(tmpdir(), 'jobctl-gen-proto-'));
  try {
    generate(scratch);
    const fresh = join(scratch, genDir);
    const committed = join(root, genDir);
    const names = new Set([...tsFiles(fresh), ...tsFiles(committed)]);
    const stale = [...names].filter((name) => {
      const a = join(fresh, name);
      const b = join(committed, name);
      return !existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b));
    });
    if (stale.length > 0) {
      process.stderr.write(
        `${genDir} does not match proto/ (${stale.join(', ')}): run npm run gen:proto\n`,
      );
      process.exit(1);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
