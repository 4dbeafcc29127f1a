// The cluster page: one row per member with its Raft view (role, term, commit
// index, liveness, from /api/cluster/status as the serving node sees it) and
// its Node object (Ready, RuntimeReady, Runs allocated vs capacity). The
// leader's row is marked with a star and the word "leader". Node objects and
// Runs are watched; the Raft figures are re-read when a Node changes (every
// node heartbeats, so that is about once a second), never on a timer.
import { API, getJson } from '../api.js';
import { boolBadge, conditionBadge } from '../badges.js';
import { fill, h } from '../dom.js';
import { age, exact } from '../format.js';
import { Informer } from '../informer.js';
import { errorBox, everySecond, setLink, table, throttle, type Page } from '../page.js';
import {
  FINAL_RUN_PHASES,
  condition,
  type ClusterStatus,
  type NodeObj,
  type RaftNode,
  type Run,
} from '../types.js';

export const clusterPage: Page = (root, _params, signal) => {
  const summary = h('p', { class: 'summary', id: 'cluster-summary' }, 'Loading…');
  const problem = h('div', {});
  const body = h('tbody', { id: 'cluster-nodes' });
  fill(
    root,
    h('h1', {}, 'Cluster'),
    summary,
    problem,
    table(
      [
        'Node',
        ['Address', 'opt'],
        'Role',
        'Term',
        ['Commit', 'opt'],
        'Liveness',
        'Ready',
        ['Runtime', 'opt'],
        'Runs',
        ['Heartbeat', 'opt'],
      ],
      body,
    ),
  );

  let status: ClusterStatus | undefined;
  const nodes = new Informer<NodeObj>({
    path: `${API}/nodes`,
    signal,
    onChange: () => {
      render();
      refreshStatus();
    },
    onState: setLink,
  });
  const runs = new Informer<Run>({ path: `${API}/runs`, signal, onChange: () => render() });

  const refreshStatus = throttle(
    () => {
      getJson<ClusterStatus>('/api/cluster/status', signal).then(
        (s) => {
          status = s;
          fill(problem);
          render();
        },
        (err: unknown) => {
          if (!signal.aborted)
            fill(problem, errorBox(`Cannot read the cluster status: ${(err as Error).message}`));
        },
      );
    },
    1000,
    signal,
  );

  const render = (): void => {
    const byRaftId = new Map<number, NodeObj>();
    for (const n of nodes.items.values()) {
      const id = n.status?.raft?.id;
      if (id !== undefined) byRaftId.set(id, n);
    }
    const raft = status?.nodes ?? [];
    const ids = [...new Set([...raft.map((r) => r.id), ...byRaftId.keys()])].sort((a, b) => a - b);
    const allocated = new Map<string, number>();
    for (const r of runs.items.values()) {
      if (!r.spec.nodeName || FINAL_RUN_PHASES.has(r.status?.phase ?? '')) continue;
      allocated.set(r.spec.nodeName, (allocated.get(r.spec.nodeName) ?? 0) + 1);
    }
    fill(
      body,
      ids.map((id) =>
        row(
          id,
          raft.find((r) => r.id === id),
          byRaftId.get(id),
          status,
          allocated,
        ),
      ),
    );
    const leader = status?.leader
      ? (byRaftId.get(status.leader)?.metadata.name ?? `id ${status.leader}`)
      : undefined;
    const me = status
      ? (byRaftId.get(status.responder)?.metadata.name ?? `id ${status.responder}`)
      : undefined;
    fill(
      summary,
      status
        ? [
            leader ? h('strong', {}, `★ Leader: ${leader}`) : h('strong', {}, '⚠ No leader'),
            ` · term ${raft.find((r) => r.id === status?.leader)?.term ?? '?'}`,
            ` · ${ids.length} nodes`,
            ` · this page is served by ${me}`,
          ]
        : 'Loading…',
    );
  };
  everySecond(() => {
    for (const cell of body.querySelectorAll<HTMLElement>('[data-since]')) {
      cell.textContent = `${age(cell.dataset.since)} ago`;
    }
  }, signal);

  nodes.start();
  runs.start();
  refreshStatus();
};

function row(
  id: number,
  raft: RaftNode | undefined,
  node: NodeObj | undefined,
  status: ClusterStatus | undefined,
  allocated: ReadonlyMap<string, number>,
): HTMLElement {
  const isLeader = status?.leader === id;
  const name = node?.metadata.name ?? `id ${id}`;
  const reachable = raft ? raft.health === 'healthy' : false;
  const ready = condition(node?.status?.conditions, 'Ready');
  const runtime = condition(node?.status?.conditions, 'RuntimeReady');
  const capacity = node?.status?.allocatable?.runs ?? node?.status?.capacity?.runs;
  const used = allocated.get(node?.metadata.name ?? '') ?? 0;
  const heartbeat = node?.status?.heartbeatTime;
  return h(
    'tr',
    {
      class: isLeader ? 'leader' : undefined,
      'data-node-id': id,
      'data-name': name,
      'data-role': raft?.role ?? 'unknown',
    },
    h(
      'th',
      { scope: 'row' },
      h('a', { href: '#/nodes' }, name),
      h('span', { class: 'muted' }, ` #${id}`),
    ),
    h('td', { class: 'opt mono' }, raft?.address ?? node?.status?.raft?.address ?? ''),
    h(
      'td',
      {},
      isLeader
        ? h(
            'span',
            { class: 'badge tone-leader' },
            h('span', { class: 'icon', 'aria-hidden': 'true' }, '★'),
            'leader',
          )
        : (raft?.role ?? '?'),
    ),
    h('td', { class: 'num' }, raft && reachable ? raft.term : ''),
    h('td', { class: 'num opt' }, raft && reachable ? raft.commit : ''),
    h(
      'td',
      { title: raft?.error ?? '' },
      raft ? boolBadge(reachable, 'reachable', 'unreachable') : boolBadge(false, '', 'unknown'),
    ),
    h('td', { title: ready?.message ?? '' }, conditionBadge(ready?.status, 'Ready', 'NotReady')),
    h(
      'td',
      { class: 'opt', title: runtime?.message ?? '' },
      conditionBadge(runtime?.status, 'RuntimeReady', 'RuntimeNotReady'),
    ),
    h('td', {}, capacity !== undefined ? meter(used, capacity) : String(used)),
    h(
      'td',
      { class: 'opt', 'data-since': heartbeat, title: exact(heartbeat) },
      heartbeat ? `${age(heartbeat)} ago` : '',
    ),
  );
}

/** "2 / 4" with a bar (the numbers carry the meaning; the bar is decoration). */
export function meter(used: number, capacity: number): HTMLElement {
  const pct = capacity > 0 ? Math.min(100, Math.round((used / capacity) * 100)) : 0;
  return h(
    'span',
    { class: 'meter-wrap' },
    h('span', { class: 'meter', 'aria-hidden': 'true' }, h('span', { style: `width:${pct}%` })),
    `${used} / ${capacity}`,
  );
}
