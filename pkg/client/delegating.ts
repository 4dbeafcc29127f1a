// A ResourceClient that passes every call to another one. Wrappers that change
// a few calls (admission in pkg/api, the agent's node-scoped view) extend it and
// override only those, so a method added to ResourceClient is forwarded everywhere.
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
} from './types.js';
import type { Resource, ResourceInput, WatchEvent } from '../store/index.js';

export class DelegatingClient implements ResourceClient {
  constructor(protected readonly inner: ResourceClient) {}

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

  list<T extends Resource = Resource>(kind: string, opts?: ListOptions): Promise<ListResult<T>> {
    return this.inner.list<T>(kind, opts);
  }

  watch(kind: string, opts?: WatchOptions): AsyncIterable<WatchEvent> {
    return this.inner.watch(kind, opts);
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
    this.inner.close();
  }
}
