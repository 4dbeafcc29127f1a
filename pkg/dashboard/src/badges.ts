// Phases and conditions as badges: an icon and a word as well as a colour, so
// that colour is never the only signal (colour-blind users, greyscale prints).
import { h } from './dom.js';

/** Icon and tone of each Job/Run phase (unknown phases get a neutral '?'). */
const PHASES: Record<string, { icon: string; tone: string }> = {
  Pending: { icon: '◷', tone: 'wait' },
  Scheduled: { icon: '◷', tone: 'wait' },
  Running: { icon: '▶', tone: 'run' },
  Succeeded: { icon: '✓', tone: 'ok' },
  Failed: { icon: '✗', tone: 'bad' },
  Lost: { icon: '⚠', tone: 'bad' },
  Cancelled: { icon: '⊘', tone: 'muted' },
  Suspended: { icon: '⏸', tone: 'muted' },
};

export function phaseBadge(phase: string | undefined): HTMLElement {
  const p = phase || 'Pending';
  const look = PHASES[p] ?? { icon: '?', tone: 'muted' };
  return h(
    'span',
    { class: `badge tone-${look.tone}`, 'data-phase': p },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, look.icon),
    p,
  );
}

/** A condition's state: True → ✓ label, False → ✗ notLabel, otherwise ? Unknown. */
export function conditionBadge(
  status: string | undefined,
  label: string,
  notLabel: string,
): HTMLElement {
  const [icon, tone, text] =
    status === 'True'
      ? ['✓', 'ok', label]
      : status === 'False'
        ? ['✗', 'bad', notLabel]
        : ['?', 'wait', `${label}: Unknown`];
  return h(
    'span',
    { class: `badge tone-${tone}`, 'data-status': status ?? 'Unknown' },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, icon),
    text,
  );
}

/** A yes/no badge (liveness, ...). */
export function boolBadge(ok: boolean, yes: string, no: string): HTMLElement {
  return h(
    'span',
    { class: `badge tone-${ok ? 'ok' : 'bad'}` },
    h('span', { class: 'icon', 'aria-hidden': 'true' }, ok ? '✓' : '✗'),
    ok ? yes : no,
  );
}
