// The jobs page: every Job in every namespace, newest first, updated in place
// from the watch (only the changed row is touched, so a change shows within a
// frame of its event arriving). A label selector (app=web,tier!=db) narrows
// the list on the server: the watch restarts with it, and the URL keeps it
// (#/jobs?labels=...) so a filtered view can be shared.
import { API } from '../api.js';
import { phaseBadge } from '../badges.js';
import { fill, h } from '../dom.js';
import { age, exact, span } from '../format.js';
import { Informer } from '../informer.js';
import { everySecond, setLink, table, type Page } from '../page.js';
import type { Job } from '../types.js';

export const jobsPage: Page = (root, _params, signal) => {
  const selector = new URLSearchParams(location.hash.split('?')[1] ?? '').get('labels') ?? '';
  const filter = h('input', {
    id: 'label-filter',
    name: 'labels',
    type: 'search',
    placeholder: 'app=web,tier!=db',
    value: selector,
    'aria-describedby': 'filter-hint',
  });
  const form = h(
    'form',
    { class: 'filter', role: 'search' },
    h('label', { for: 'label-filter' }, 'Label selector'),
    filter,
    h('button', { type: 'submit' }, 'Filter'),
    h(
      'span',
      { id: 'filter-hint', class: 'hint' },
      'Kubernetes syntax: key=value, key!=value, key',
    ),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = filter.value.trim();
    location.hash = v ? `#/jobs?labels=${encodeURIComponent(v)}` : '#/jobs';
  });
  const count = h('p', { class: 'summary', id: 'jobs-count' }, 'Loading…');
  const body = h('tbody', { id: 'jobs-rows' });
  const empty = h(
    'p',
    { class: 'muted', hidden: true },
    'No jobs yet. ',
    h('a', { href: '#/apply' }, 'Apply one'),
    '.',
  );
  fill(
    root,
    h(
      'div',
      { class: 'title-row' },
      h('h1', {}, 'Jobs'),
      h('a', { class: 'button primary', href: '#/apply' }, '+ Apply a manifest'),
    ),
    form,
    count,
    table(['Name', ['Namespace', 'opt'], 'Phase', 'Completions', ['Duration', 'opt'], 'Age'], body),
    empty,
  );

  const rows = new Map<string, HTMLTableRowElement>();
  const informer = new Informer<Job>({
    path: `${API}/jobs`,
    labelSelector: selector || undefined,
    signal,
    onState: setLink,
    onChange: (change, items) => {
      if (change.type === 'SYNC') {
        rows.clear();
        const sorted = [...items.values()].sort(newestFirst);
        fill(
          body,
          sorted.map((j) => remember(rowFor(j))),
        );
      } else {
        const key = `${change.object.metadata.namespace}/${change.object.metadata.name}`;
        const old = rows.get(key);
        if (change.type === 'DELETED') {
          old?.remove();
          rows.delete(key);
        } else if (old) {
          updateRow(old, change.object);
        } else {
          insertSorted(remember(rowFor(change.object)), change.object);
        }
      }
      count.textContent = `${items.size} job${items.size === 1 ? '' : 's'}${selector ? ` matching ${selector}` : ''}`;
      empty.hidden = items.size > 0;
    },
  });

  function remember(tr: HTMLTableRowElement): HTMLTableRowElement {
    rows.set(`${tr.dataset.namespace}/${tr.dataset.name}`, tr);
    return tr;
  }

  function insertSorted(tr: HTMLTableRowElement, job: Job): void {
    for (const other of body.children) {
      const o = other as HTMLTableRowElement;
      if ((o.dataset.created ?? '') < job.metadata.creationTimestamp) {
        body.insertBefore(tr, o);
        return;
      }
    }
    body.append(tr);
  }

  everySecond(() => {
    for (const tr of rows.values()) refreshTimes(tr);
  }, signal);
  informer.start();
};

function newestFirst(a: Job, b: Job): number {
  const t = b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp);
  return t !== 0 ? t : a.metadata.name.localeCompare(b.metadata.name);
}

function rowFor(job: Job): HTMLTableRowElement {
  const { name, namespace } = job.metadata;
  const tr = h('tr', {
    'data-name': name,
    'data-namespace': namespace,
    'data-created': job.metadata.creationTimestamp,
  });
  updateRow(tr, job);
  return tr;
}

/** Rewrites a row's cells from `job`; data-rv and data-phase say what it shows. */
function updateRow(tr: HTMLTableRowElement, job: Job): void {
  const { name, namespace } = job.metadata;
  const st = job.status ?? {};
  const href = `#/jobs/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
  fill(
    tr,
    h('th', { scope: 'row' }, h('a', { href }, name)),
    h('td', { class: 'opt' }, namespace),
    h('td', {}, phaseBadge(st.phase)),
    h('td', { class: 'num' }, `${st.succeeded ?? 0} / ${job.spec.completions}`),
    h(
      'td',
      { class: 'opt num', 'data-start': st.startTime, 'data-end': st.completionTime },
      span(st.startTime, st.completionTime),
    ),
    h(
      'td',
      {
        class: 'num',
        'data-since': job.metadata.creationTimestamp,
        title: exact(job.metadata.creationTimestamp),
      },
      age(job.metadata.creationTimestamp),
    ),
  );
  tr.dataset.phase = st.phase ?? 'Pending';
  tr.dataset.rv = job.metadata.resourceVersion;
}

function refreshTimes(tr: HTMLTableRowElement): void {
  for (const cell of tr.querySelectorAll<HTMLElement>('[data-since]')) {
    cell.textContent = age(cell.dataset.since);
  }
  for (const cell of tr.querySelectorAll<HTMLElement>('[data-start]')) {
    if (!cell.dataset.end) cell.textContent = span(cell.dataset.start, undefined);
  }
}
