// `npm run bench -- [NAME...]` (default: all). Prints one JSON object per line.
//   raft   3 real jobd processes: commit throughput/latency and failover time (raft.ts)
//   raft-wire  raft.proto's MessageBatch codec in process: encode/decode per second (raft-wire.ts)
//   api    3 real jobd processes: apply/get/watch/list through GrpcClient, RSS, CLI (api.ts)
//   wal    the write-ahead log alone (wal.ts, storage slice)
//   store  the replicated store's state machine (store.ts, store slice)
//   runtime  container runtimes: bare dockerode vs DockerRuntime, process, fake (runtime.ts)
//   exec   3 real jobd processes: Jobs/s (fake runtime), failover to placement, docker overhead (exec.ts)
//   dashboard  3 real jobd processes + headless Chromium: apply -> jobs-page row update (dashboard.ts)
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Bench = () => Promise<object[]>;

const here = dirname(fileURLToPath(import.meta.url));

/** Modules owned by other slices are loaded by path, so this file compiles without them. */
function optional(file: string, exportName: string): () => Promise<Bench | undefined> {
  return async () => {
    if (!existsSync(join(here, file))) return undefined;
    const mod = (await import(`./${file}`)) as Record<string, Bench | undefined>;
    return mod[exportName];
  };
}

const benches: Record<string, () => Promise<Bench | undefined>> = {
  raft: async () => (await import('./raft.js')).benchRaft,
  'raft-wire': async () => (await import('./raft-wire.js')).benchRaftWire,
  api: async () => (await import('./api.js')).benchApi,
  wal: optional('wal.js', 'benchWal'),
  store: optional('store.js', 'benchStore'),
  runtime: optional('runtime.js', 'benchRuntime'),
  exec: optional('exec.js', 'benchExec'),
  dashboard: optional('dashboard.js', 'benchDashboard'),
};

async function main(): Promise<void> {
  const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const selected = names.length > 0 ? names : Object.keys(benches);
  for (const name of selected) {
    const load = benches[name];
    if (!load) {
      process.stderr.write(
        `unknown benchmark "${name}"; known: ${Object.keys(benches).join(', ')}\n`,
      );
      process.exit(2);
    }
    const fn = await load();
    if (!fn) {
      if (names.length > 0) process.stderr.write(`benchmark "${name}" is not available yet\n`);
      continue;
    }
    for (const result of await fn()) process.stdout.write(JSON.stringify(result) + '\n');
  }
}

await main();
