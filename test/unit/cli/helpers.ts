// CLI test kit: string streams that can be awaited, deps around an in-process
// client (newTestClient), temp files, and job builders. Verbs run exactly as
// from the command line, minus argv and a cluster.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ResourceClient } from '../../../pkg/client/types.js';
import { newTestClient, type TestClient } from '../../../pkg/client/testing.js';
import type { VerbDeps } from '../../../pkg/cli/verbs/deps.js';
import { runVerb } from '../../../pkg/cli/verbs/deps.js';
import { API_VERSION, type Resource, type ResourceInput } from '../../../pkg/store/index.js';
import { FakeClock, type Clock } from '../../../pkg/util/clock.js';

/** A FakeClock that can tell a test when a verb has armed a timer (a --timeout). */
export class TestClock extends FakeClock {
  private armed: (() => void)[] = [];

  override setTimer(ms: number, fn: () => void): { cancel(): void } {
    const t = super.setTimer(ms, fn);
    for (const resolve of this.armed.splice(0)) resolve();
    return t;
  }

  /** Resolves when the next timer is set (call before starting the verb). */
  nextTimer(): Promise<void> {
    return new Promise((resolve) => this.armed.push(resolve));
  }
}

/** Collects writes; waitFor resolves once the text so far satisfies a predicate. */
export class StringOut {
  text = '';
  private waiters: { test: (t: string) => boolean; resolve: () => void }[] = [];

  write(chunk: string): boolean {
    this.text += chunk;
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(this.text)) return true;
      w.resolve();
      return false;
    });
    return true;
  }

  /** Resolves when the output contains `needle` (a string) or matches the predicate. */
  waitFor(needle: string | ((t: string) => boolean)): Promise<void> {
    const test = typeof needle === 'string' ? (t: string) => t.includes(needle) : needle;
    if (test(this.text)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }
}

export interface Env {
  readonly tc: TestClient;
  readonly client: ResourceClient;
  readonly out: StringOut;
  readonly err: StringOut;
  readonly clock: TestClock;
  readonly deps: VerbDeps;
  /** Runs a verb through runVerb (errors → one stderr line + code), as register.ts does. */
  run(fn: (deps: VerbDeps) => Promise<number>): Promise<number>;
  /** Clears captured output. */
  reset(): void;
}

/**
 * Resolves once the store has at least `n` watchers (a verb has reached its
 * watch). Yields to the event loop between checks; no timers involved.
 */
export async function untilWatching(tc: TestClient, n = 1): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (tc.store.stats().watchers >= n) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`no watch started (want ${n})`);
}

/** The start of test time: 2025-01-01T00:00:00Z. */
export const T0 = Date.UTC(2025, 0, 1);

export function env(
  opts: {
    clock?: Clock;
    stdin?: string;
    signal?: AbortSignal;
    isTTY?: boolean;
    vars?: Record<string, string>;
  } = {},
): Env {
  const clock = (opts.clock as TestClock | undefined) ?? new TestClock(T0);
  const tc = newTestClient({ clock });
  const out = new StringOut();
  const err = new StringOut();
  const deps = {
    client: tc.client,
    stdout: out,
    stderr: err,
    isTTY: opts.isTTY ?? false,
    clock,
    env: opts.vars ?? {},
    readStdin: async () => opts.stdin ?? '',
    signal: opts.signal,
  };
  return {
    tc,
    client: tc.client,
    out,
    err,
    clock,
    deps,
    run: (fn) => runVerb(deps, () => fn(deps)),
    reset() {
      out.text = '';
      err.text = '';
    },
  };
}

export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobctl-cli-'));
  for (const [name, text] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

/** A Job manifest as YAML. */
export function jobYaml(
  name: string,
  spec: Record<string, unknown> = {},
  labels: Record<string, string> = {},
): string {
  const lines = [
    `apiVersion: ${API_VERSION}`,
    'kind: Job',
    'metadata:',
    `  name: ${name}`,
    ...(Object.keys(labels).length
      ? ['  labels:', ...Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`)]
      : []),
    'spec:',
    ...Object.entries({ image: 'busybox:latest', command: ['echo', 'hi'], ...spec }).map(
      ([k, v]) => `  ${k}: ${JSON.stringify(v)}`,
    ),
  ];
  return lines.join('\n') + '\n';
}

/** A stored-shape Job input for writing straight through the client. */
export function jobInput(
  name: string,
  spec: Record<string, unknown> = {},
  meta: Partial<ResourceInput['metadata']> = {},
): ResourceInput {
  return {
    apiVersion: API_VERSION,
    kind: 'Job',
    metadata: { name, ...meta },
    spec: {
      image: 'busybox:latest',
      imagePullPolicy: 'IfNotPresent',
      command: ['echo', 'hi'],
      resources: { cpu: '500m', memory: '256Mi' },
      sandbox: { network: 'none', readOnlyRootFilesystem: true, user: '65534:65534' },
      completions: 1,
      parallelism: 1,
      backoffLimit: 3,
      priority: 0,
      suspend: false,
      ...spec,
    },
  };
}

/** Writes a Job's status as its controller would. */
export async function setJobStatus(
  client: ResourceClient,
  name: string,
  status: Record<string, unknown>,
  namespace = 'default',
): Promise<Resource> {
  const job = await client.get('job', namespace, name);
  return client.updateStatus({ ...job, status } as unknown as ResourceInput);
}

export const succeeded = (at = '2025-01-01T00:00:30.000Z') => ({
  phase: 'Succeeded',
  succeeded: 1,
  active: 0,
  failed: 0,
  startTime: '2025-01-01T00:00:00.000Z',
  completionTime: at,
  conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at }],
});

export const failed = (at = '2025-01-01T00:00:30.000Z') => ({
  phase: 'Failed',
  succeeded: 0,
  active: 0,
  failed: 4,
  startTime: '2025-01-01T00:00:00.000Z',
  conditions: [
    {
      type: 'Failed',
      status: 'True',
      reason: 'BackoffLimitExceeded',
      message: 'Job has reached the specified backoff limit',
      lastTransitionTime: at,
    },
  ],
});
