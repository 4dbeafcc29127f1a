// A ResourceClient whose list and watch of Runs see only the Runs bound to one
// node (field selector spec.nodeName=<node>), so the agent's informer — the
// shared pkg/reconcile Informer, which lists and watches a whole kind — caches
// this node's Runs only. Everything else passes through unchanged.
import type {
  ApplyOptions,
  ApplyResult,
  ClusterStatus,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  ResourceClient,
  WatchOptions,
} from '../client/types.js';
import type { Resource, ResourceInput, WatchEvent } from '../store/index.js';

export function nodeRunsSelector(nodeName: string): string {
  return `spec.nodeName=${nodeName}`;
}

export class NodeScopedClient implements ResourceClient {
  private readonly selector: string;

  constructor(
    private readonly inner: ResourceClient,
    nodeName: string,
  ) {
    this.selector = nodeRunsSelector(nodeName);
  }

  list<T extends Resource = Resource>(
    kind: string,
    opts: ListOptions = {},
  ): Promise<ListResult<T>> {
    return this.inner.list<T>(kind, this.scope(kind, opts));
  }

  watch(kind: string, opts: WatchOptions = {}): AsyncIterable<WatchEvent> {
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

  apply<T extends Resource = Resource>(
    object: ResourceInput,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<T>> {
    return this.inner.apply<T>(object, opts);
  }
  create<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.create<T>(object);
  }
  update<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.update<T>(object);
  }
  updateStatus<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.inner.updateStatus<T>(object);
  }
  get<T extends Resource = Resource>(
    kind: string,
    namespace: string,
    name: string,
    opts?: GetOptions,
  ): Promise<T> {
    return this.inner.get<T>(kind, namespace, name, opts);
  }
  delete<T extends Resource = Resource>(
    kind: string,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<T> {
    return this.inner.delete<T>(kind, namespace, name, opts);
  }
  clusterStatus(): Promise<ClusterStatus> {
    return this.inner.clusterStatus();
  }
  transferLeader(to?: number): Promise<{ from: number; to: number; term: number }> {
    return this.inner.transferLeader(to);
  }
  close(): void {
    // The inner client belongs to the node; closing it is the node's business.
  }
}
