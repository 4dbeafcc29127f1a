// One Job: its summary and conditions, its Runs (node, exit code, reason), the
// Events about it and its Runs, its spec as YAML, and a live tail of the
// latest Run's output (GET .../runs/{name}/log?follow=true, streamed). All of
// it follows watches; the tail switches to a new Run when the Job retries.
import { API, apiFetch, readText, sendJson } from '../api.js';
import { phaseBadge } from '../badges.js';
import { fill, h } from '../dom.js';
import { age, exact, span } from '../format.js';
import { Informer } from '../informer.js';
import { errorBox, setLink, table, type Page } from '../page.js';
import type { EventObj, Job, Run } from '../types.js';
import { FINAL_RUN_PHASES } from '../types.js';
import { toYaml } from '../yaml.js';

/** Output kept in the page; older text is dropped from the top. */
const MAX_LOG_CHARS = 200_000;

export const jobPage: Page = (root, params, signal) => {
  const namespace = params[0] ?? 'default';
  const name = params[1] ?? '';
  const ns = `${API}/namespaces/${encodeURIComponent(namespace)}`;

  const phase = h('span', { id: 'job-phase' });
  const problem = h('div', {});
  const summary = h('dl', { class: 'facts', id: 'job-summary' });
  const conditions = h('tbody', { id: 'job-conditions' });
  const runsBody = h('tbody', { id: 'job-runs' });
  const eventsBody = h('tbody', { id: 'job-events' });
  const yaml = h('pre', { class: 'code', id: 'job-yaml' });
  const logTitle = h('span', { id: 'log-run' }, '');
  const logState = h('span', { class: 'muted', id: 'log-state' }, 'no run yet');
  const log = h('pre', { class: 'code log', id: 'job-log', tabindex: 0, 'aria-live': 'polite' });
  const del = deleteButton(namespace, name, problem);

  fill(
    root,
    h('p', { class: 'crumbs' }, h('a', { href: '#/jobs' }, 'Jobs'), ` / ${namespace} /`),
    h('div', { class: 'title-row' }, h('h1', {}, name, ' ', phase), del),
    problem,
    summary,
    h(
      'section',
      {},
      h('h2', {}, 'Conditions'),
      table(['Type', 'Status', 'Reason', ['Message', 'opt'], 'Since'], conditions),
    ),
    h(
      'section',
      {},
      h('h2', {}, 'Runs'),
      table(
        ['Run', 'Node', 'Phase', 'Exit code', 'Reason', ['Started', 'opt'], 'Duration'],
        runsBody,
      ),
    ),
    h('section', {}, h('h2', {}, 'Output ', logTitle, ' ', logState), log),
    h(
      'section',
      {},
      h('h2', {}, 'Events'),
      table(['Type', 'Reason', 'Object', 'Message', ['Count', 'opt'], 'Last seen'], eventsBody),
    ),
    h('section', {}, h('h2', {}, 'Manifest'), yaml),
  );

  new Informer<Job>({
    path: `${ns}/jobs`,
    fieldSelector: `metadata.name=${name}`,
    signal,
    onState: setLink,
    onChange: (_c, items) => {
      const job = items.get(`${namespace}/${name}`);
      if (!job) {
        fill(phase);
        fill(problem, errorBox(`Job ${namespace}/${name} does not exist (or was deleted).`));
        return;
      }
      fill(problem);
      renderJob(job);
    },
  }).start();

  const runs = new Informer<Run>({
    path: `${ns}/runs`,
    fieldSelector: `spec.jobName=${name}`,
    signal,
    onChange: (_c, items) => {
      const sorted = [...items.values()].sort((a, b) => b.spec.attempt - a.spec.attempt);
      fill(runsBody, sorted.map(runRow));
      if (sorted.length === 0)
        fill(runsBody, h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No runs yet.')));
      const latest = sorted[0];
      if (latest) tail.follow(latest);
      renderEvents();
    },
  }).start();

  const events = new Informer<EventObj>({
    path: `${ns}/events`,
    signal,
    onChange: () => renderEvents(),
  }).start();

  function renderEvents(): void {
    const runNames = new Set([...runs.items.values()].map((r) => r.metadata.name));
    const mine = [...events.items.values()]
      .filter((e) => {
        const o = e.spec.involvedObject;
        return (o.kind === 'Job' && o.name === name) || (o.kind === 'Run' && runNames.has(o.name));
      })
      .sort((a, b) => b.spec.lastTimestamp.localeCompare(a.spec.lastTimestamp));
    fill(
      eventsBody,
      mine.length === 0
        ? h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No events.'))
        : mine.map((e) =>
            h(
              'tr',
              {},
              h(
                'td',
                {},
                e.spec.type === 'Warning'
                  ? h('span', { class: 'badge tone-bad' }, '⚠ Warning')
                  : 'Normal',
              ),
              h('td', {}, e.spec.reason),
              h(
                'td',
                { class: 'mono' },
                `${e.spec.involvedObject.kind.toLowerCase()}/${e.spec.involvedObject.name}`,
              ),
              h('td', {}, e.spec.message),
              h('td', { class: 'num opt' }, e.spec.count),
              h('td', { title: exact(e.spec.lastTimestamp) }, `${age(e.spec.lastTimestamp)} ago`),
            ),
          ),
    );
  }

  function renderJob(job: Job): void {
    const st = job.status ?? {};
    fill(phase, phaseBadge(st.phase));
    const fact = (k: string, v: string | number | undefined): HTMLElement[] => [
      h('dt', {}, k),
      h('dd', {}, v === undefined || v === '' ? '—' : String(v)),
    ];
    fill(
      summary,
      fact('Completions', `${st.succeeded ?? 0} / ${job.spec.completions}`),
      fact('Parallelism', job.spec.parallelism),
      fact('Active', st.active ?? 0),
      fact('Failed', `${st.failed ?? 0} (backoff limit ${job.spec.backoffLimit})`),
      fact('Started', exact(st.startTime)),
      fact('Duration', span(st.startTime, st.completionTime)),
      fact(
        'Labels',
        Object.entries(job.metadata.labels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(', '),
      ),
    );
    const conds = st.conditions ?? [];
    fill(
      conditions,
      conds.length === 0
        ? h('tr', {}, h('td', { colspan: 5, class: 'muted' }, 'None yet.'))
        : conds.map((c) =>
            h(
              'tr',
              {},
              h('td', {}, c.type),
              h('td', {}, c.status),
              h('td', {}, c.reason ?? ''),
              h('td', { class: 'opt' }, c.message ?? ''),
              h(
                'td',
                { title: exact(c.lastTransitionTime) },
                c.lastTransitionTime ? `${age(c.lastTransitionTime)} ago` : '',
              ),
            ),
          ),
    );
    const { name: n, namespace: nsName, labels } = job.metadata;
    const manifest = {
      apiVersion: job.apiVersion,
      kind: job.kind,
      metadata: {
        name: n,
        namespace: nsName,
        ...(labels && Object.keys(labels).length ? { labels } : {}),
      },
      spec: job.spec,
    };
    const text = toYaml(manifest);
    if (yaml.textContent !== text) yaml.textContent = text;
  }

  const tail = logTail(ns, log, logTitle, logState, signal);
};

function runRow(r: Run): HTMLElement {
  const st = r.status ?? {};
  return h(
    'tr',
    { 'data-run': r.metadata.name, 'data-phase': st.phase ?? 'Pending' },
    h('th', { scope: 'row', class: 'mono' }, r.metadata.name),
    h('td', {}, r.spec.nodeName || h('span', { class: 'muted' }, 'not placed')),
    h('td', {}, phaseBadge(st.phase)),
    h('td', { class: 'num' }, st.exitCode ?? ''),
    h('td', { title: st.message ?? '' }, st.reason ?? ''),
    h(
      'td',
      { class: 'opt', title: exact(st.startedAt) },
      st.startedAt ? `${age(st.startedAt)} ago` : '',
    ),
    h('td', { class: 'num' }, span(st.startedAt, st.finishedAt)),
  );
}

/** Follows one Run's output at a time: the latest Run the page has seen. */
function logTail(
  ns: string,
  log: HTMLElement,
  title: HTMLElement,
  state: HTMLElement,
  pageSignal: AbortSignal,
): { follow(run: Run): void } {
  let current: string | undefined;
  let done = false;
  let stopPrevious: AbortController | undefined;
  return {
    follow(run: Run): void {
      const id = run.metadata.uid;
      if (id === current) {
        if (done) state.textContent = `(${run.status?.phase ?? 'ended'})`;
        return;
      }
      current = id;
      done = false;
      // A newer Run replaces the tail of the previous one.
      stopPrevious?.abort();
      const abort = (stopPrevious = new AbortController());
      pageSignal.addEventListener('abort', () => abort.abort(), { once: true });
      title.textContent = `of ${run.metadata.name}`;
      state.textContent = FINAL_RUN_PHASES.has(run.status?.phase ?? '') ? '' : '(following…)';
      log.textContent = '';
      const path = `${ns}/runs/${encodeURIComponent(run.metadata.name)}/log?follow=true&tailLines=1000`;
      void (async () => {
        try {
          const res = await apiFetch(path, { signal: abort.signal });
          await readText(
            res,
            (text) => {
              if (current !== id) return;
              const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
              let all = (log.textContent ?? '') + text;
              if (all.length > MAX_LOG_CHARS) all = all.slice(all.length - MAX_LOG_CHARS);
              log.textContent = all;
              if (atBottom) log.scrollTop = log.scrollHeight;
            },
            abort.signal,
          );
          if (current !== id) return;
          done = true;
          state.textContent = '(end of output)';
          if (!log.textContent) log.textContent = '(no output)';
        } catch (err) {
          if (abort.signal.aborted || current !== id) return;
          state.textContent = '';
          log.replaceChildren(errorBox(`Cannot read the output: ${(err as Error).message}`));
        }
      })();
    },
  };
}

function deleteButton(namespace: string, name: string, problem: HTMLElement): HTMLElement {
  const button = h('button', { type: 'button', class: 'danger', id: 'delete-job' }, 'Delete job');
  let armed = false;
  button.addEventListener('click', () => {
    if (!armed) {
      armed = true;
      button.textContent = `Confirm: delete ${name}?`;
      return;
    }
    button.disabled = true;
    sendJson(
      'DELETE',
      `${API}/namespaces/${encodeURIComponent(namespace)}/jobs/${encodeURIComponent(name)}`,
    ).then(
      () => {
        location.hash = '#/jobs';
      },
      (err: unknown) => {
        button.disabled = false;
        armed = false;
        button.textContent = 'Delete job';
        fill(problem, errorBox(`Delete failed: ${(err as Error).message}`));
      },
    );
  });
  button.addEventListener('blur', () => {
    armed = false;
    button.textContent = 'Delete job';
  });
  return button;
}
