// What every page shares: its signature, the live-link indicator, error
// banners and a throttle for refreshes triggered by watch events.
import { h } from './dom.js';
import type { LinkState } from './informer.js';

/** A page renders into `root` and stops everything it started when `signal` aborts. */
export type Page = (root: HTMLElement, params: readonly string[], signal: AbortSignal) => void;

/** The "live" dot in the header (with text: live / connecting / reconnecting). */
export function setLink(state: LinkState, error?: string): void {
  const el = document.getElementById('link');
  if (!el) return;
  const text = { connecting: 'connecting…', live: 'live', retrying: 'reconnecting…' }[state];
  el.dataset.state = state;
  el.textContent = text;
  el.title = error ?? (state === 'live' ? 'updates arrive as they happen (watch API)' : '');
}

/** An error line that says what failed (role=alert so screen readers hear it). */
export function errorBox(message: string): HTMLElement {
  return h('p', { class: 'error', role: 'alert' }, message);
}

/** Calls `fn` at most once per `ms`, always once after the last request. */
export function throttle(fn: () => void, ms: number, signal: AbortSignal): () => void {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  signal.addEventListener('abort', () => clearTimeout(timer));
  return () => {
    if (timer !== undefined || signal.aborted) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      last = Date.now();
      if (!signal.aborted) fn();
    }, wait);
  };
}

/** Re-renders relative times (ages, running durations) every second while the page lives. */
export function everySecond(fn: () => void, signal: AbortSignal): void {
  const t = setInterval(fn, 1000);
  signal.addEventListener('abort', () => clearInterval(t));
}

export function table(
  headers: readonly (string | [string, string])[],
  body: HTMLElement,
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((c) =>
            typeof c === 'string'
              ? h('th', { scope: 'col' }, c)
              : h('th', { scope: 'col', class: c[1] }, c[0]),
          ),
        ),
      ),
      body,
    ),
  );
}
