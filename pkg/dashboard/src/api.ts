// The REST API of the node that served the page (DESIGN.md §6), and nothing
// else: every path is relative to this origin, so a follower's dashboard reads
// through that follower. Errors are the server's Status objects, thrown as
// ApiError; a 401 asks for a token (auth.ts) and retries.
import { askForToken, forgetToken, storedToken } from './auth.js';

export const API = '/apis/jobctl.dev/v1';

export interface StatusCause {
  readonly field: string;
  readonly message: string;
}

export interface Status {
  readonly kind: 'Status';
  readonly message: string;
  readonly reason: string;
  readonly code: number;
  readonly details?: { readonly causes?: readonly StatusCause[]; readonly name?: string };
}

export class ApiError extends Error {
  constructor(readonly status: Status) {
    super(status.message);
    this.name = 'ApiError';
  }
}

export interface Meta {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly creationTimestamp: string;
  readonly labels?: Record<string, string>;
}

export interface Obj {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: Meta;
  readonly spec?: unknown;
  readonly status?: unknown;
}

async function statusOf(res: Response): Promise<Status> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Status>;
    if (body.kind === 'Status' && typeof body.message === 'string') return body as Status;
  } catch {
    /* not a Status: a proxy's page, ... */
  }
  return {
    kind: 'Status',
    message: text.trim().slice(0, 200) || `${res.status} ${res.statusText}`,
    reason: res.statusText,
    code: res.status,
  };
}

/** fetch() with the bearer token; a non-2xx answer throws ApiError. */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const headers = new Headers(init.headers);
    const token = storedToken();
    if (token) headers.set('Authorization', `Bearer ${token}`);
    const res = await fetch(path, { ...init, headers });
    if (res.ok) return res;
    const status = await statusOf(res);
    if (res.status !== 401) throw new ApiError(status);
    if (token) forgetToken();
    await askForToken(token ? `The token was refused: ${status.message}` : status.message);
    init.signal?.throwIfAborted();
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await apiFetch(path, signal ? { signal } : {});
  return (await res.json()) as T;
}

/** Sends `body` (text or JSON) and returns the parsed answer. */
export async function sendJson<T>(
  method: string,
  path: string,
  body?: string | object,
  contentType = 'application/json',
): Promise<T> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'Content-Type': contentType };
  }
  const res = await apiFetch(path, init);
  return (await res.json()) as T;
}

/** Calls `onText` with each decoded chunk of a streamed body until it ends. */
export async function readText(
  res: Response,
  onText: (text: string) => void,
  signal: AbortSignal,
): Promise<void> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const cancel = (): void => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', cancel, { once: true });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || signal.aborted) return;
      onText(value);
    }
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}

/** Newline-delimited JSON: `onLine` per non-blank line (blank ones are heartbeats). */
export async function readLines(
  res: Response,
  onLine: (line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let buf = '';
  await readText(
    res,
    (text) => {
      buf += text;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) onLine(line);
      }
    },
    signal,
  );
}

export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
