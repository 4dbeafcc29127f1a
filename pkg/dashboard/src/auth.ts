// The login box. When the node answers 401 (authentication is on), every
// request waits on one prompt for a bearer token; the token is kept in
// sessionStorage (gone when the tab closes) and sent as
// `Authorization: Bearer <token>` on every request, watches and log streams
// included. While authentication is off nothing here is ever shown.
import { h } from './dom.js';

const TOKEN_KEY = 'jobctl.token';

export function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  } catch {
    return undefined; // storage disabled: requests go without a token
  }
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

let pending: Promise<void> | undefined;

/**
 * Shows the login box (once, however many requests were refused) and
 * resolves when a token has been entered. `message` is the server's reason.
 */
export function askForToken(message: string): Promise<void> {
  pending ??= new Promise<void>((resolve) => {
    const input = h('input', {
      type: 'password',
      id: 'login-token',
      name: 'token',
      autocomplete: 'current-password',
      required: true,
      'aria-describedby': 'login-reason',
    });
    const dialog = h(
      'div',
      {
        class: 'login-backdrop',
        role: 'dialog',
        'aria-modal': 'true',
        'aria-labelledby': 'login-title',
      },
      h(
        'form',
        { class: 'login card', id: 'login-form' },
        h('h2', { id: 'login-title' }, 'Sign in to jobctl'),
        h('p', { id: 'login-reason', class: 'muted' }, message || 'This cluster requires a token.'),
        h('label', { for: 'login-token' }, 'Bearer token'),
        input,
        h('p', { class: 'hint' }, 'Kept for this browser tab only (sessionStorage).'),
        h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
      ),
    );
    dialog.querySelector('form')?.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const token = input.value.trim();
      if (!token) return;
      sessionStorage.setItem(TOKEN_KEY, token);
      dialog.remove();
      pending = undefined;
      resolve();
    });
    document.body.append(dialog);
    input.focus();
  });
  return pending;
}
