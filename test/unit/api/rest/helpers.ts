// Shared fixtures for the REST adapter tests: an app on 127.0.0.1:0 over a
// test client (or a stub), NDJSON stream reading, and condition waits.
import assert from 'node:assert/strict';
import {
  newTestClient,
  type TestClient,
  type TestClientOptions,
} from '../../../../pkg/client/testing.js';
import type { ResourceClient } from '../../../../pkg/client/types.js';
import {
  createRestApp,
  listenRest,
  type RestAppOptions,
  type RestServer,
} from '../../../../pkg/api/rest/index.js';
import { JobctlError, Reason } from '../../../../pkg/util/errors.js';

export { job, jobSpec } from '../../client/contract.js';

export const API = '/apis/jobctl.dev/v1';

/** A parsed JSON response body: the tests navigate it freely and assert on what they find. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Harness {
  /** http://127.0.0.1:PORT */
  readonly base: string;
  readonly rest: RestServer;
  readonly client: ResourceClient;
  /** Set when the app runs over newTestClient(). */
  readonly test?: TestClient;
  /** Everything the app logged. */
  readonly logs: { level: string; msg: string; fields?: Record<string, unknown> }[];
  close(): Promise<void>;
}

export interface HarnessOptions extends Partial<RestAppOptions> {
  readonly testClient?: TestClientOptions;
}

/** Starts the app on 127.0.0.1:0 over `opts.client` or a fresh newTestClient(). */
export async function startRest(opts: HarnessOptions = {}): Promise<Harness> {
  const test = opts.client ? undefined : newTestClient(opts.testClient);
  const client = opts.client ?? test!.client;
  const logs: Harness['logs'] = [];
  const app = createRestApp({
    isReady: () => true,
    ...opts,
    client,
    logger: {
      info: (msg, fields) => logs.push({ level: 'info', msg, fields }),
      warn: (msg, fields) => logs.push({ level: 'warn', msg, fields }),
      error: (msg, fields) => logs.push({ level: 'error', msg, fields }),
    },
  });
  const rest = await listenRest(app, '127.0.0.1:0');
  return {
    base: `http://127.0.0.1:${rest.port}`,
    rest,
    client,
    ...(test ? { test } : {}),
    logs,
    close: async () => {
      await rest.close();
      client.close();
    },
  };
}

/** Runs `fn` with a harness, closing it afterwards. */
export function withRest(
  fn: (h: Harness) => Promise<void>,
  opts: HarnessOptions = {},
): () => Promise<void> {
  return async () => {
    const h = await startRest(opts);
    try {
      await fn(h);
    } finally {
      await h.close();
    }
  };
}

/** A ResourceClient whose every method fails with Internal unless overridden. */
export function stubClient(overrides: Partial<ResourceClient> = {}): ResourceClient {
  const fail = (): never => {
    throw new JobctlError(Reason.Internal, 'not stubbed');
  };
  return {
    apply: async () => fail(),
    create: async () => fail(),
    update: async () => fail(),
    updateStatus: async () => fail(),
    get: async () => fail(),
    list: async () => fail(),
    watch: () => ({ [Symbol.asyncIterator]: () => ({ next: async () => fail() }) }),
    delete: async () => fail(),
    close: () => {},
    ...overrides,
  };
}

/** JSON request helper: returns status, headers and the parsed body. */
export async function call(
  url: string,
  init: {
    method?: string;
    body?: unknown;
    contentType?: string;
    raw?: string;
    accept?: string;
  } = {},
): Promise<{ status: number; headers: Headers; body: Json }> {
  const headers: Record<string, string> = init.accept ? { accept: init.accept } : {};
  let body: string | undefined;
  if (init.raw !== undefined) {
    body = init.raw;
    headers['content-type'] = init.contentType ?? 'application/json';
  } else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] = init.contentType ?? 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) parsed = JSON.parse(text);
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Asserts a Kubernetes Status body of `code` and `reason`, its message matching `message`. */
export function assertStatus(
  r: { status: number; body: Json },
  code: number,
  reason: string,
  message?: RegExp,
): void {
  assert.equal(r.status, code, JSON.stringify(r.body));
  assert.equal(r.body.kind, 'Status');
  assert.equal(r.body.apiVersion, 'v1');
  assert.equal(r.body.status, 'Failure');
  assert.equal(r.body.code, code);
  assert.equal(r.body.reason, reason);
  assert.equal(typeof r.body.message, 'string');
  if (message) assert.match(r.body.message, message);
}

/** Reads NDJSON lines from a streaming response; blank lines (heartbeats) are counted, not returned. */
export class NdjsonReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = '';
  heartbeats = 0;

  constructor(res: Response) {
    assert.ok(res.body, 'response has a body');
    this.reader = res.body.getReader();
  }

  /** The next JSON line, or undefined when the stream ended. */
  async next(): Promise<Json> {
    for (;;) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.trim() === '') {
          this.heartbeats++;
          continue;
        }
        return JSON.parse(line);
      }
      const { done, value } = await this.reader.read();
      if (done) {
        assert.equal(this.buffer.trim(), '', 'stream ended mid-line');
        return undefined;
      }
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** The next `n` events as "TYPE name" strings. */
  async take(n: number): Promise<string[]> {
    const out: string[] = [];
    while (out.length < n) {
      const e = await this.next();
      assert.ok(e, `stream ended after ${out.length} of ${n} events`);
      out.push(`${e.type} ${e.object?.metadata?.name ?? e.object?.reason}`);
    }
    return out;
  }

  /** Waits until a heartbeat (blank line) has arrived. */
  async heartbeat(): Promise<void> {
    const before = this.heartbeats;
    while (this.heartbeats === before) {
      const nl = this.buffer.indexOf('\n');
      if (nl >= 0) {
        const line = this.buffer.slice(0, nl);
        this.buffer = this.buffer.slice(nl + 1);
        if (line.trim() === '') this.heartbeats++;
        else throw new Error(`expected a heartbeat, got ${line}`);
        continue;
      }
      const { done, value } = await this.reader.read();
      if (done) throw new Error('stream ended before a heartbeat');
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  async cancel(): Promise<void> {
    await this.reader.cancel();
  }
}

/** Polls `cond` (each turn of the event loop, then every 5 ms) until true, or fails after `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
