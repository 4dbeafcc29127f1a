// `jobctl cluster status` and `jobctl cluster transfer-leader [--to ID]`: the
// Raft view of the cluster, through the same client, connection and error
// mapping as every other verb. Membership (add-member, promote,
// remove-member) is in ./cluster-members.ts, backups (snapshot save|status)
// in ./cluster-snapshot.ts.
import type { ClusterStatus } from '../../client/index.js';
import { defineVerb, type VerbGroup } from '../command.js';
import { parseOutputFormat } from '../printers/printer.js';
import { formatTable } from '../printers/table.js';
import { clientOf, type VerbDeps } from './deps.js';
import { needClusterAdmin } from './services.js';
import { memberVerbs } from './cluster-members.js';
import { snapshotCommand } from './cluster-snapshot.js';

export function formatClusterStatus(st: ClusterStatus): string {
  const rows = st.nodes.map((n) => {
    const unreachable = n.health !== 'healthy';
    return [
      n.id === st.leader ? `${n.id}*` : String(n.id),
      n.address,
      n.membership || 'voter',
      unreachable ? '-' : n.role,
      unreachable ? '-' : String(n.term),
      unreachable ? '-' : String(n.commit),
      unreachable ? '-' : String(n.applied),
      unreachable || n.lag === undefined ? '-' : String(n.lag),
      n.health,
    ];
  });
  const table = formatTable(
    ['ID', 'ADDRESS', 'MEMBER', 'ROLE', 'TERM', 'COMMIT', 'APPLIED', 'LAG', 'HEALTH'],
    rows,
  );
  const footer = st.leader ? `leader: ${st.leader} (*)\n` : 'leader: none\n';
  return table + footer;
}

export interface ClusterStatusOptions {
  /** The servers to ask (checked to be HOST:PORT before any is dialled). */
  readonly servers: readonly string[];
  readonly output?: string;
}

export async function runClusterStatus(o: ClusterStatusOptions, deps: VerbDeps): Promise<number> {
  const format = parseOutputFormat(o.output, ['json', 'table']);
  const st = await needClusterAdmin(await clientOf(deps), 'cluster status').clusterStatus();
  if (format === 'json') deps.stdout.write(`${JSON.stringify(st, null, 2)}\n`);
  else deps.stdout.write(formatClusterStatus(st));
  return 0;
}

export interface TransferLeaderOptions {
  readonly servers: readonly string[];
  /** The node to hand leadership to; 0 or absent: the most caught-up follower. */
  readonly to?: number;
}

export async function runTransferLeader(o: TransferLeaderOptions, deps: VerbDeps): Promise<number> {
  const admin = needClusterAdmin(await clientOf(deps), 'leadership transfer');
  const res = await admin.transferLeader(o.to ?? 0);
  deps.stdout.write(`leadership transferred from ${res.from} to ${res.to} (term ${res.term})\n`);
  return 0;
}

export const clusterCommand: VerbGroup = {
  name: 'cluster',
  describe: 'Raft view of the cluster, membership and backups',
  subcommands: [
    defineVerb({
      name: 'status',
      describe:
        'every member: id, address, voter or learner, role, term, commit, applied, lag, health',
      toOptions: (a, conn): ClusterStatusOptions => ({ servers: conn.servers, output: a.output }),
      run: runClusterStatus,
    }),
    defineVerb({
      name: 'transfer-leader',
      describe: 'hand leadership to a node (default: the most caught-up follower)',
      flags: { to: { type: 'number', describe: 'target node id' } },
      toOptions: (a, conn): TransferLeaderOptions => ({ servers: conn.servers, to: a.to }),
      run: runTransferLeader,
    }),
    ...memberVerbs,
    snapshotCommand,
  ],
};
