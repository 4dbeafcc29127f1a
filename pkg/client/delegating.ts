// A ResourceClient that passes every call to another one. Wrappers that change
// a few calls (admission in pkg/api, the agent's node-scoped view) extend it and
// override only those, so a method added to ResourceClient is forwarded everywhere.
import type {
  ApplyOptions,
  ApplyResult,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  ResourceClient,
  WatchOptions,
} from './types.js';
import type { ResourceInput, ResourceOf, WatchEvent } from '../store/index.js';

export class DelegatingClient implements ResourceClient {
  constructor(protected readonly inner: ResourceClient) {}

  apply<O extends ResourceInput>(
    object: O,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<ResourceOf<O['kind']>>> {
    return this.inner.apply(object, opts);
  }

  create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.inner.create(object);
  }

  update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.inner.update(object);
  }

  updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.inner.updateStatus(object);
  }

  get<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: GetOptions,
  ): Promise<ResourceOf<K>> {
    return this.inner.get(kind, namespace, name, opts);
  }

  list<K extends string>(kind: K, opts?: ListOptions): Promise<ListResult<ResourceOf<K>>> {
    return this.inner.list(kind, opts);
  }

  watch<K extends string>(kind: K, opts?: WatchOptions): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    return this.inner.watch(kind, opts);
  }

  delete<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<ResourceOf<K>> {
    return this.inner.delete(kind, namespace, name, opts);
  }

  close(): void {
    this.inner.close();
  }
}
