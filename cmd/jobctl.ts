#!/usr/bin/env node
// jobctl, the whole CLI (dist/cmd/jobctl.js, an ES module bundle with lazily
// loaded chunks; hack/build-cli.mjs). The `jobctl` command users run is
// cmd/jobctl-bin.ts, which answers a plain `jobctl get ...` itself and hands
// everything else to cmd/jobctl-main.ts; `node dist/cmd/jobctl.js ARGS`
// behaves the same, only with a slower start for `get`.
import { runJobctl } from './jobctl-main.js';

await runJobctl(process.argv.slice(2));
