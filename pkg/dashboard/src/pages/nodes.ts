// The nodes page: each Node object in full (conditions with their reasons,
// capacity and allocatable, labels, versions, cordon state), one card per node.
import { API } from '../api.js';
import { conditionBadge } from '../badges.js';
import { fill, h } from '../dom.js';
import { age, exact } from '../format.js';
import { Informer } from '../informer.js';
import { everySecond, setLink, type Page } from '../page.js';
import type { NodeObj } from '../types.js';

export const nodesPage: Page = (root, _params, signal) => {
  const list = h('div', { class: 'cards', id: 'node-cards' });
  fill(root, h('h1', {}, 'Nodes'), list);
  new Informer<NodeObj>({
    path: `${API}/nodes`,
    signal,
    onState: setLink,
    onChange: (_c, items) => {
      const sorted = [...items.values()].sort((a, b) =>
        a.metadata.name.localeCompare(b.metadata.name),
      );
      fill(
        list,
        sorted.length ? sorted.map(card) : h('p', { class: 'muted' }, 'No nodes registered yet.'),
      );
    },
  }).start();
  everySecond(() => {
    for (const el of list.querySelectorAll<HTMLElement>('[data-since]'))
      el.textContent = `${age(el.dataset.since)} ago`;
  }, signal);
};

function card(n: NodeObj): HTMLElement {
  const st = n.status ?? {};
  const fact = (k: string, v: Node | string | undefined): HTMLElement[] => [
    h('dt', {}, k),
    h('dd', {}, v ?? '—'),
  ];
  const res = (r: { cpu: string; memory: string; runs: number } | undefined): string =>
    r ? `${r.cpu} CPU · ${r.memory} · ${r.runs} runs` : '—';
  return h(
    'article',
    { class: 'card', 'data-name': n.metadata.name },
    h(
      'h2',
      {},
      n.metadata.name,
      ' ',
      st.raft?.role === 'leader' ? h('span', { class: 'badge tone-leader' }, '★ leader') : '',
      n.spec?.unschedulable ? h('span', { class: 'badge tone-muted' }, '⊘ cordoned') : '',
    ),
    h(
      'ul',
      { class: 'conds' },
      (st.conditions ?? []).map((c) =>
        h(
          'li',
          {},
          conditionBadge(c.status, c.type, c.type === 'Ready' ? 'NotReady' : `${c.type}: False`),
          c.reason ? ` ${c.reason}` : '',
          c.message ? h('span', { class: 'muted' }, ` — ${c.message}`) : '',
        ),
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      fact(
        'Raft',
        st.raft ? `id ${st.raft.id} · ${st.raft.role} · term ${st.raft.term}` : undefined,
      ),
      fact('Address', st.raft?.address),
      fact('Capacity', res(st.capacity)),
      fact('Allocatable', res(st.allocatable)),
      fact(
        'Heartbeat',
        st.heartbeatTime
          ? h(
              'span',
              { 'data-since': st.heartbeatTime, title: exact(st.heartbeatTime) },
              `${age(st.heartbeatTime)} ago`,
            )
          : undefined,
      ),
      fact(
        'Labels',
        Object.entries(n.metadata.labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || undefined,
      ),
      fact(
        'Versions',
        Object.entries(st.versions ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || undefined,
      ),
    ),
  );
}
