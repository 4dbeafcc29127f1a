// `jobctl dev up --nodes N`: a local cluster in the foreground, as child jobd
// processes with data under ./.jobctl-dev/ (logs in .jobctl-dev/node-N.log).
// Ctrl-C (or SIGTERM) stops them cleanly.
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIo } from './cluster.js';

export async function runDevUp(
  opts: { nodes: number; basePort: number; dir: string; extraArgs?: string[] },
  io: CliIo,
): Promise<void> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > 9) {
    throw new UsageError('--nodes must be between 1 and 9');
  }
  const { LocalCluster } = await import('../../node/local-cluster.js');
  const baseDir = resolve(opts.dir);
  const cluster = await LocalCluster.start({
    nodes: opts.nodes,
    baseDir,
    basePort: opts.basePort,
    extraArgs: opts.extraArgs,
  });
  for (const m of cluster.members) {
    io.out.write(`node ${m.id} listening on ${m.address} (data ${m.dataDir}, log ${m.logFile})\n`);
  }
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    io.out.write('stopping cluster...\n');
    await cluster.stop();
    io.out.write('stopped\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());

  // A node that dies on its own (e.g. port in use) is reported; the rest keep running.
  for (const m of cluster.members) {
    void m.exited.then((code) => {
      if (!stopping) io.err.write(`node ${m.id} exited with code ${code}; see ${m.logFile}\n`);
    });
  }
  try {
    const leader = await cluster.waitForLeader({ timeoutMs: 30_000, quorumOnly: true });
    io.out.write(`leader elected: node ${leader.id} (term ${leader.term})\n`);
    io.out.write(`try: jobctl --server ${cluster.servers()} cluster status\n`);
  } catch {
    io.err.write('no leader elected within 30s; check the node logs\n');
  }
  await new Promise<never>(() => {
    /* run until a signal stops us */
  });
}
