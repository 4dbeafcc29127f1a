// Prometheus text exposition for /metrics: the store's object counts and
// revision, and this node's Raft view. Small on purpose; a registry comes
// when there is more to measure.
import type { RaftNode } from '../raft/node.js';
import type { ResourceStore } from '../store/index.js';

export function metricsText(store: ResourceStore, raft: RaftNode): string {
  const s = raft.status();
  const stats = store.stats();
  const lines = [
    '# HELP jobctl_store_objects Objects stored, per kind.',
    '# TYPE jobctl_store_objects gauge',
    ...Object.entries(stats.objects).map(([k, n]) => `jobctl_store_objects{kind="${k}"} ${n}`),
    '# HELP jobctl_store_revision Revision (Raft index) of the last applied entry.',
    '# TYPE jobctl_store_revision gauge',
    `jobctl_store_revision ${stats.revision}`,
    '# HELP jobctl_store_watchers Open watches on this node.',
    '# TYPE jobctl_store_watchers gauge',
    `jobctl_store_watchers ${stats.watchers}`,
    '# HELP jobctl_raft_term Current Raft term.',
    '# TYPE jobctl_raft_term gauge',
    `jobctl_raft_term ${s.term}`,
    '# HELP jobctl_raft_commit_index Highest committed log index known.',
    '# TYPE jobctl_raft_commit_index gauge',
    `jobctl_raft_commit_index ${s.commit}`,
    '# HELP jobctl_raft_applied_index Highest applied log index.',
    '# TYPE jobctl_raft_applied_index gauge',
    `jobctl_raft_applied_index ${s.applied}`,
    '# HELP jobctl_raft_is_leader 1 if this node is the leader.',
    '# TYPE jobctl_raft_is_leader gauge',
    `jobctl_raft_is_leader ${s.role === 'leader' ? 1 : 0}`,
    '# HELP process_resident_memory_bytes Resident set size.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
  ];
  return lines.join('\n') + '\n';
}
