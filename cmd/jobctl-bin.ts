#!/usr/bin/env node
// The `jobctl` command (package.json `bin`: dist/cmd/jobctl.cjs). A plain
// `jobctl get ...`, the command people run all day, is answered here, from
// one CommonJS file that hack/build-cli.mjs bundles with what such a `get`
// runs when every read gets a clean answer: node's CommonJS loader reads and
// compiles one file, where the ES module bundle (cmd/jobctl.ts) costs the
// ESM loader and a dozen chunks (docs/benchmarks.md has the figures).
//
// Everything else goes to the whole CLI (dist/cmd/jobctl-main.js): every
// other command, `get -w`, and a `get` one of whose reads had no clean
// answer (an error such as NotFound, an unreachable first server, a
// timeout). Then the whole CLI runs the command from the start with
// GrpcClient, whose answers, errors and exit code are the ones printed; so
// that it starts from nothing, the output of the quick `get` is held until
// it ends. This file never loads grpc-js.
import { parseFastGet, runFastGet } from '../pkg/cli/fast-get.js';
import type { CliDeps, Out } from '../pkg/cli/verbs/deps.js';
import { processDeps, readFirstConnector } from './jobctl-process.js';

const argv = process.argv.slice(2);

/** Runs the command in the whole CLI; `readsTried`: see RunOptions there. */
async function wholeCli(readsTried: boolean): Promise<void> {
  const { runJobctl } = await import('./jobctl-main.js');
  await runJobctl(argv, { readsTried });
}

async function main(): Promise<void> {
  const fast = parseFastGet(argv);
  // A watch streams through grpc-js: the whole CLI from the start.
  if (!fast || fast.watch === true || fast.watchOnly === true) return wholeCli(false);

  let handedOver = false;
  /** Every write of the quick get, in order, until it ends. */
  const held: [Out, string | Uint8Array][] = [];
  const handOver = (): Promise<never> => {
    handedOver = true;
    void wholeCli(true);
    // The quick get waits for ever; the whole CLI ends the process.
    return new Promise<never>(() => undefined);
  };
  const base = processDeps(readFirstConnector(handOver));
  const hold = (out: Out): Out => ({
    write: (chunk) => {
      if (!handedOver) held.push([out, chunk]);
      return true;
    },
  });
  const deps: CliDeps = {
    ...base,
    stdout: hold(base.stdout),
    stderr: hold(base.stderr),
    exit: (code) => {
      if (handedOver) return;
      for (const [out, chunk] of held) out.write(chunk);
      base.exit(code);
    },
  };
  await runFastGet(deps, fast);
}

void main();
