// A ResourceClient whose list and watch of Runs see only the Runs bound to one
// node (field selector spec.nodeName=<node>), so the agent's informer — the
// shared pkg/reconcile Informer, which lists and watches a whole kind — caches
// this node's Runs only. Everything else passes through unchanged.
import { DelegatingClient } from '../client/index.js';
import type { ListOptions, ListResult, ResourceClient, WatchOptions } from '../client/index.js';
import type { ResourceOf, WatchEvent } from '../store/index.js';

export function nodeRunsSelector(nodeName: string): string {
  return `spec.nodeName=${nodeName}`;
}

export class NodeScopedClient extends DelegatingClient {
  private readonly selector: string;

  constructor(inner: ResourceClient, nodeName: string) {
    super(inner);
    this.selector = nodeRunsSelector(nodeName);
  }

  override list<K extends string>(
    kind: K,
    opts: ListOptions = {},
  ): Promise<ListResult<ResourceOf<K>>> {
    return this.inner.list(kind, this.scope(kind, opts));
  }

  override watch<K extends string>(
    kind: K,
    opts: WatchOptions = {},
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    return this.inner.watch(kind, this.scope(kind, opts));
  }

  /** Adds the node's field selector to Run queries (combined with the caller's, if any). */
  private scope<O extends { fieldSelector?: string }>(kind: string, opts: O): O {
    if (!/^runs?$/i.test(kind)) return opts;
    const fieldSelector = opts.fieldSelector
      ? `${opts.fieldSelector},${this.selector}`
      : this.selector;
    return { ...opts, fieldSelector };
  }

  override close(): void {
    // The inner client belongs to the node; closing it is the node's business.
  }
}
