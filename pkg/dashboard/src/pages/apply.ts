// Apply a pasted manifest (POST /api/apply: YAML, one or more objects, as
// `jobctl apply -f -`) and delete a Job by name. Validation errors come back
// with their field paths (Status details.causes); each is listed with its
// path and the line of the text where that field is written, and choosing it
// selects that line in the editor.
import { API, ApiError, sendJson, type Obj } from '../api.js';
import { fill, h } from '../dom.js';
import { errorBox, setLink, type Page } from '../page.js';
import { lineOfPath } from '../yaml.js';

const EXAMPLE = `apiVersion: jobctl.dev/v1
kind: Job
metadata:
  name: hello
  labels:
    app: demo
spec:
  image: busybox:latest
  command: ["sh", "-c", "echo hello from jobctl; sleep 2; echo done"]
  completions: 1
`;

interface ApplyResultList {
  readonly items: readonly { readonly outcome: string; readonly object: Obj }[];
}

export const applyPage: Page = (root, _params, _signal) => {
  setLink('live');
  const editor = h('textarea', {
    id: 'manifest',
    name: 'manifest',
    rows: 18,
    spellcheck: false,
    'aria-describedby': 'apply-result',
  });
  editor.value = sessionStorage.getItem('jobctl.draft') ?? EXAMPLE;
  editor.addEventListener('input', () => sessionStorage.setItem('jobctl.draft', editor.value));
  const namespace = h('input', {
    id: 'apply-namespace',
    name: 'namespace',
    value: 'default',
    size: 12,
  });
  const result = h('div', { id: 'apply-result', 'aria-live': 'polite' });
  const applyButton = h(
    'button',
    { type: 'submit', class: 'primary', id: 'apply-submit' },
    'Apply',
  );
  const dryRunButton = h('button', { type: 'button', id: 'apply-dry-run' }, 'Validate (dry run)');

  const submit = async (dryRun: boolean): Promise<void> => {
    applyButton.disabled = dryRunButton.disabled = true;
    editor.removeAttribute('aria-invalid');
    fill(result, h('p', { class: 'muted' }, dryRun ? 'Validating…' : 'Applying…'));
    try {
      const q = new URLSearchParams({ namespace: namespace.value.trim() || 'default' });
      if (dryRun) q.set('dryRun', 'All');
      const out = await sendJson<ApplyResultList>(
        'POST',
        `/api/apply?${q}`,
        editor.value,
        'application/yaml',
      );
      fill(
        result,
        h(
          'ul',
          { class: 'ok-list', id: 'apply-ok' },
          out.items.map(({ outcome, object }) => {
            const { kind, metadata: m } = object;
            const link =
              kind === 'Job'
                ? h(
                    'a',
                    {
                      href: `#/jobs/${encodeURIComponent(m.namespace)}/${encodeURIComponent(m.name)}`,
                    },
                    `job/${m.name}`,
                  )
                : `${kind.toLowerCase()}/${m.name}`;
            return h(
              'li',
              {},
              h('span', { class: 'icon', 'aria-hidden': 'true' }, '✓ '),
              link,
              ` ${outcome}${dryRun ? ' (dry run)' : ''}`,
            );
          }),
        ),
      );
    } catch (err) {
      showError(err);
    } finally {
      applyButton.disabled = dryRunButton.disabled = false;
    }
  };

  const showError = (err: unknown): void => {
    if (!(err instanceof ApiError)) {
      fill(result, errorBox(`The request failed: ${(err as Error).message}`));
      return;
    }
    const causes = err.status.details?.causes ?? [];
    editor.setAttribute('aria-invalid', 'true');
    if (causes.length === 0) {
      fill(result, errorBox(`${err.status.reason}: ${err.status.message}`));
      return;
    }
    const doc = /^document (\d+):/.exec(err.status.message)?.[1];
    fill(
      result,
      h(
        'p',
        { class: 'error', role: 'alert' },
        `✗ ${err.status.details?.name ? `${err.status.details.name}: ` : ''}${causes.length} field error${causes.length === 1 ? '' : 's'}${doc ? ` in document ${doc}` : ''}`,
      ),
      h(
        'ul',
        { class: 'field-errors', id: 'field-errors' },
        causes.map((c) => {
          const line = doc ? undefined : lineOfPath(editor.value, c.field);
          return h(
            'li',
            { 'data-field': c.field },
            h(
              'button',
              {
                type: 'button',
                class: 'link',
                title: line ? `select line ${line}` : '',
                onclick: () => line && selectLine(editor, line),
              },
              h('code', {}, c.field || '(object)'),
              line ? h('span', { class: 'muted' }, ` line ${line}`) : '',
            ),
            `: ${c.message}`,
          );
        }),
      ),
    );
  };

  const form = h(
    'form',
    { class: 'apply', id: 'apply-form' },
    h('label', { for: 'manifest' }, 'Manifest (YAML or JSON; several objects separated by ---)'),
    editor,
    h(
      'div',
      { class: 'actions' },
      h('label', { for: 'apply-namespace' }, 'Default namespace'),
      namespace,
      applyButton,
      dryRunButton,
    ),
    result,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submit(false);
  });
  dryRunButton.addEventListener('click', () => void submit(true));

  fill(root, h('h1', {}, 'Apply a manifest'), form, deleteForm());
};

function selectLine(editor: HTMLTextAreaElement, line: number): void {
  const lines = editor.value.split('\n');
  const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  editor.focus();
  editor.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
}

function deleteForm(): HTMLElement {
  const ns = h('input', {
    id: 'delete-namespace',
    name: 'namespace',
    value: 'default',
    size: 12,
    required: true,
  });
  const name = h('input', {
    id: 'delete-name',
    name: 'name',
    required: true,
    placeholder: 'job name',
  });
  const out = h('div', { 'aria-live': 'polite', id: 'delete-result' });
  const form = h(
    'form',
    { class: 'inline-form', id: 'delete-form' },
    h('h2', {}, 'Delete a job'),
    h('label', { for: 'delete-namespace' }, 'Namespace'),
    ns,
    h('label', { for: 'delete-name' }, 'Name'),
    name,
    h('button', { type: 'submit', class: 'danger' }, 'Delete'),
    out,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const path = `${API}/namespaces/${encodeURIComponent(ns.value.trim())}/jobs/${encodeURIComponent(name.value.trim())}`;
    sendJson('DELETE', path).then(
      () => fill(out, h('p', { class: 'ok' }, `✓ job/${name.value.trim()} deleted`)),
      (err: unknown) => fill(out, errorBox(`✗ ${(err as Error).message}`)),
    );
  });
  return form;
}
