// `npm run bench -- [NAME...]` (default: all). Prints one JSON object per line.
//   raft  3 real jobd processes: commit throughput/latency and failover time
//   wal   the write-ahead log alone (hack/bench/wal.ts, when present)
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Bench = () => Promise<object[]>;

const here = dirname(fileURLToPath(import.meta.url));
// wal.ts belongs to the storage slice; loaded by path so this file compiles without it.
const walModule: string = './wal.js';

const benches: Record<string, () => Promise<Bench | undefined>> = {
  raft: async () => (await import('./raft.js')).benchRaft,
  wal: async () => {
    if (!existsSync(join(here, 'wal.js'))) return undefined;
    const mod = (await import(walModule)) as { benchWal?: Bench };
    return mod.benchWal;
  },
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
