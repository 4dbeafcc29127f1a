#!/usr/bin/env node
// jobctl, the whole CLI (dist/cmd/jobctl.js, an ES module bundle with lazily
// loaded chunks; hack/build-cli.mjs). The `jobctl` command users run is
// cmd/jobctl-bin.ts, which answers a plain `jobctl get ...` itself and loads
// this file for everything else; `node dist/cmd/jobctl.js ARGS` behaves the
// same, only with a slower start for `get`.
//
// A plain `get` is read by pkg/cli/fast-get.ts without loading yargs, and its
// reads go over plain HTTP/2 without loading grpc-js (ReadFirstClient);
// everything else (or a `get` the fast path is unsure of) goes through yargs
// (pkg/cli/register.ts). Every verb, its flags and its run live in
// pkg/cli/verbs/<verb>.ts; the process side is cmd/jobctl-process.ts.
import { parseFastGet, runFastGet } from '../pkg/cli/fast-get.js';
import { connect, connectForGet, processDeps } from './jobctl-process.js';

const argv = process.argv.slice(2);
const fast = parseFastGet(argv);
if (fast) {
  await runFastGet(processDeps(connectForGet), fast);
} else {
  const deps = processDeps(connect);
  await (await import('../pkg/cli/register.js')).runCli(argv, deps);
}
