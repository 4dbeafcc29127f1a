// A ResourceClient that reports every call to an ApiObserver: verb, resource
// (the kind, lower-cased), outcome ("OK" or the error's Reason) and latency,
// and open watches. The node puts one in front of the ApiService for each
// adapter, so gRPC and REST requests are counted the same way. What an
// adapter refuses before calling the client (undecodable bodies, unknown
// paths) is not counted here.
import { DelegatingClient } from '../client/index.js';
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
} from '../client/index.js';
import type { ResourceInput, ResourceOf, WatchEvent } from '../store/index.js';
import { JobctlError, Reason } from '../util/errors.js';
import type { ApiObserver, ApiTransport } from './observer.js';

function resourceOf(kind: unknown): string {
  return typeof kind === 'string' && kind !== '' ? kind.toLowerCase() : 'unknown';
}

function codeOf(err: unknown): string {
  return err instanceof JobctlError ? err.reason : Reason.Internal;
}

export class ObservedClient extends DelegatingClient {
  constructor(
    inner: ResourceClient,
    private readonly observer: ApiObserver,
    private readonly transport: ApiTransport,
  ) {
    super(inner);
  }

  private async observe<T>(verb: string, kind: unknown, call: () => Promise<T>): Promise<T> {
    const end = this.observer.begin(this.transport, verb, resourceOf(kind));
    try {
      const out = await call();
      end('OK');
      return out;
    } catch (err) {
      end(codeOf(err));
      throw err;
    }
  }

  override apply<O extends ResourceInput>(
    object: O,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<ResourceOf<O['kind']>>> {
    return this.observe('apply', object?.kind, () => this.inner.apply(object, opts));
  }

  override create<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.observe('create', object?.kind, () => this.inner.create(object));
  }

  override update<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.observe('update', object?.kind, () => this.inner.update(object));
  }

  override updateStatus<O extends ResourceInput>(object: O): Promise<ResourceOf<O['kind']>> {
    return this.observe('updateStatus', object?.kind, () => this.inner.updateStatus(object));
  }

  override get<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: GetOptions,
  ): Promise<ResourceOf<K>> {
    return this.observe('get', kind, () => this.inner.get(kind, namespace, name, opts));
  }

  override list<K extends string>(kind: K, opts?: ListOptions): Promise<ListResult<ResourceOf<K>>> {
    return this.observe('list', kind, () => this.inner.list(kind, opts));
  }

  override delete<K extends string>(
    kind: K,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<ResourceOf<K>> {
    return this.observe('delete', kind, () => this.inner.delete(kind, namespace, name, opts));
  }

  override clusterStatus(): Promise<ClusterStatus> {
    return this.observe('clusterStatus', 'cluster', () => this.inner.clusterStatus());
  }

  override transferLeader(to?: number): Promise<{ from: number; to: number; term: number }> {
    return this.observe('transferLeader', 'cluster', () => this.inner.transferLeader(to));
  }

  /** Counts the watch as a request (its code is how it ended) and as open while it streams. */
  override watch<K extends string>(
    kind: K,
    opts?: WatchOptions,
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    const inner = this.inner;
    const observer = this.observer;
    const transport = this.transport;
    const resource = resourceOf(kind);
    return {
      async *[Symbol.asyncIterator]() {
        const end = observer.begin(transport, 'watch', resource);
        const closed = observer.watchOpened(transport, resource);
        let code = 'OK';
        try {
          yield* inner.watch(kind, opts);
        } catch (err) {
          code = codeOf(err);
          throw err;
        } finally {
          closed();
          end(code);
        }
      },
    };
  }
}
