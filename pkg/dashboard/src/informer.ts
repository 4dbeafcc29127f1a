// A live copy of a list: list once, then follow the watch from the list's
// resourceVersion (`?watch=true`, NDJSON read with fetch + ReadableStream).
// No polling: the page changes when the server says something changed. When
// the stream ends or fails (the node restarted, a Gone for a too-old version)
// it lists again after a short, growing pause.
import { ApiError, apiFetch, getJson, query, readLines, type Obj, type Status } from './api.js';

export type Change<T> =
  | { readonly type: 'SYNC' }
  | { readonly type: 'ADDED' | 'MODIFIED' | 'DELETED'; readonly object: T };

export type LinkState = 'connecting' | 'live' | 'retrying';

export interface InformerOptions<T> {
  /** A collection path, e.g. /apis/jobctl.dev/v1/jobs. */
  readonly path: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly signal: AbortSignal;
  readonly onChange: (change: Change<T>, items: ReadonlyMap<string, T>) => void;
  readonly onState?: (state: LinkState, error?: string) => void;
}

const keyOf = (o: Obj): string => `${o.metadata.namespace}/${o.metadata.name}`;

export class Informer<T extends Obj> {
  readonly items = new Map<string, T>();

  constructor(private readonly o: InformerOptions<T>) {}

  start(): this {
    void this.run();
    return this;
  }

  private async run(): Promise<void> {
    const { signal } = this.o;
    const selectors = { labelSelector: this.o.labelSelector, fieldSelector: this.o.fieldSelector };
    let pauseMs = 250;
    while (!signal.aborted) {
      try {
        this.o.onState?.('connecting');
        const list = await getJson<{ metadata: { resourceVersion: string }; items: T[] }>(
          `${this.o.path}${query(selectors)}`,
          signal,
        );
        this.items.clear();
        for (const item of list.items) this.items.set(keyOf(item), item);
        this.o.onChange({ type: 'SYNC' }, this.items);
        const res = await apiFetch(
          `${this.o.path}${query({ ...selectors, watch: 'true', resourceVersion: list.metadata.resourceVersion })}`,
          { signal },
        );
        this.o.onState?.('live');
        pauseMs = 250;
        await readLines(res, (line) => this.onLine(line), signal);
        if (signal.aborted) return;
        this.o.onState?.('retrying', 'the watch ended');
      } catch (err) {
        if (signal.aborted) return;
        this.o.onState?.('retrying', err instanceof Error ? err.message : String(err));
      }
      await pause(pauseMs, signal);
      pauseMs = Math.min(pauseMs * 2, 5000);
    }
  }

  private onLine(line: string): void {
    const event = JSON.parse(line) as { type: string; object: unknown };
    if (event.type === 'ERROR') throw new ApiError(event.object as Status);
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') return;
    const object = event.object as T;
    if (event.type === 'DELETED') this.items.delete(keyOf(object));
    else this.items.set(keyOf(object), object);
    this.o.onChange({ type: event.type, object }, this.items);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}
