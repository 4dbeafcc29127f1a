// The dashboard's entry point: a hash router (#/cluster, #/jobs,
// #/jobs/NS/NAME, #/nodes, #/apply), so the node serves plain static files and
// any URL can be bookmarked. Each page gets an AbortSignal that ends its
// watches and streams when the user navigates away.
import { getJson } from './api.js';
import { fill, h } from './dom.js';
import { type Page } from './page.js';
import { applyPage } from './pages/apply.js';
import { clusterPage } from './pages/cluster.js';
import { jobPage } from './pages/job.js';
import { jobsPage } from './pages/jobs.js';
import { nodesPage } from './pages/nodes.js';

const routes: readonly [RegExp, Page, string][] = [
  [/^\/cluster$/, clusterPage, 'cluster'],
  [/^\/jobs$/, jobsPage, 'jobs'],
  [/^\/jobs\/([^/]+)\/([^/]+)$/, jobPage, 'jobs'],
  [/^\/nodes$/, nodesPage, 'nodes'],
  [/^\/apply$/, applyPage, 'apply'],
];

let current: AbortController | undefined;

function route(): void {
  const main = document.getElementById('main');
  if (!main) return;
  const path = (location.hash.replace(/^#/, '') || '/cluster').split('?')[0] ?? '';
  current?.abort();
  current = new AbortController();
  for (const [re, page, nav] of routes) {
    const m = re.exec(path);
    if (!m) continue;
    for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    page(main, m.slice(1).map(decodeURIComponent), current.signal);
    main.focus({ preventScroll: true });
    return;
  }
  fill(
    main,
    h('h1', {}, 'Not found'),
    h(
      'p',
      {},
      'No page at ',
      h('code', {}, path),
      '. ',
      h('a', { href: '#/cluster' }, 'Go to the cluster'),
    ),
  );
}

/** "node-2 (id 2)" in the header: which node answers this page's requests. */
async function showServingNode(): Promise<void> {
  const el = document.getElementById('served-by');
  if (!el) return;
  try {
    const info = await getJson<{ id: number; name: string }>('/api/node');
    el.textContent = `via ${info.name}`;
    el.title = `this page and its data are served by ${info.name} (Raft id ${info.id})`;
  } catch {
    el.textContent = '';
  }
}

window.addEventListener('hashchange', route);
route();
void showServingNode();
