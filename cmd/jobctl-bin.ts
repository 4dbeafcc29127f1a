#!/usr/bin/env node
// The `jobctl` command (package.json `bin`: dist/cmd/jobctl.cjs). A plain
// `jobctl get ...`, the command people run all day, is answered here, from
// one CommonJS file that hack/build-cli.mjs bundles with everything a `get`
// can reach (grpc-js, for the fallback and -w, is required from a file
// beside it on first use): node's CommonJS loader reads and compiles one
// file, where the ES module bundle (cmd/jobctl.ts) costs the ESM loader and
// a dozen chunks (docs/benchmarks.md has the figures). Every other command
// loads that whole CLI (dist/cmd/jobctl.js), which reads process.argv itself.
import { parseFastGet, runFastGet } from '../pkg/cli/fast-get.js';
import { connectForGet, processDeps } from './jobctl-process.js';

async function main(argv: readonly string[]): Promise<void> {
  const fast = parseFastGet(argv);
  if (fast) await runFastGet(processDeps(connectForGet), fast);
  else await import('./jobctl.js');
}

void main(process.argv.slice(2));
