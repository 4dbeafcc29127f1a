// Interim `jobctl kv put KEY VALUE` / `kv get KEY [--stale]` / `kv delete KEY`,
// to exercise replicated writes until the resource store lands.
import { withServer } from '../connect.js';
import { parseOutput, printJson } from '../printers/output.js';
import type { CliIo } from './cluster.js';

export async function runKvPut(
  opts: { servers: string[]; key: string; value: string },
  io: CliIo,
): Promise<void> {
  const res = await withServer(opts.servers, (c) => c.put({ key: opts.key, value: opts.value }));
  io.out.write(`${opts.key} ${res.created ? 'created' : 'updated'} (revision ${res.revision})\n`);
}

export async function runKvGet(
  opts: { servers: string[]; key: string; stale: boolean; output?: string },
  io: CliIo,
): Promise<void> {
  const format = parseOutput(opts.output, ['table', 'json']);
  const res = await withServer(opts.servers, (c) => c.get({ key: opts.key, stale: opts.stale }));
  if (format === 'json') printJson(io.out, res);
  else io.out.write(res.value + '\n');
}

export async function runKvDelete(
  opts: { servers: string[]; key: string },
  io: CliIo,
): Promise<void> {
  const res = await withServer(opts.servers, (c) => c.delete({ key: opts.key }));
  io.out.write(`${opts.key} deleted (revision ${res.revision})\n`);
}
