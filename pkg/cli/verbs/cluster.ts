// `jobctl cluster status` and `jobctl cluster transfer-leader [--to ID]`.
import type { ClusterStatusResponse } from '../../transport/api-types.js';
import type { ClientSecurity } from '../../transport/security.js';
import { withServer } from '../connect.js';
import { parseOutput, printJson } from '../printers/output.js';
import { formatTable } from '../printers/table.js';

export interface CliIo {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/** Which nodes to ask, and how to connect to them. */
export interface ClusterTarget {
  readonly servers: string[];
  readonly security?: ClientSecurity;
}

export function formatClusterStatus(st: ClusterStatusResponse): string {
  const rows = st.nodes.map((n) => {
    const unreachable = n.health !== 'healthy';
    return [
      n.id === st.leader ? `${n.id}*` : String(n.id),
      n.address,
      unreachable ? '-' : n.role,
      unreachable ? '-' : String(n.term),
      unreachable ? '-' : String(n.commit),
      unreachable ? '-' : String(n.applied),
      n.health,
    ];
  });
  const table = formatTable(['ID', 'ADDRESS', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'HEALTH'], rows);
  const footer = st.leader ? `leader: ${st.leader} (*)\n` : 'leader: none\n';
  return table + footer;
}

export async function runClusterStatus(
  opts: ClusterTarget & { output?: string },
  io: CliIo,
): Promise<void> {
  const format = parseOutput(opts.output, ['table', 'json']);
  const st = await withServer(opts.servers, (c) => c.clusterStatus(5000), opts.security);
  if (format === 'json') printJson(io.out, st);
  else io.out.write(formatClusterStatus(st));
}

export async function runTransferLeader(
  opts: ClusterTarget & { to?: number },
  io: CliIo,
): Promise<void> {
  const res = await withServer(
    opts.servers,
    (c) => c.transferLeader({ to: opts.to ?? 0 }, 10_000),
    opts.security,
  );
  io.out.write(`leadership transferred from ${res.from} to ${res.to} (term ${res.term})\n`);
}
