// A ResourceClient that reports every call to an ApiObserver: verb, resource
// (the kind, lower-cased), outcome ("OK" or the error's Reason) and latency,
// and open watches. The node puts one in front of the ApiService for each
// adapter, so gRPC and REST requests are counted the same way. What an
// adapter refuses before calling the client (undecodable bodies, unknown
// paths) is not counted here.
import { DelegatingClient } from '../client/delegating.js';
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

  override apply<T extends Resource = Resource>(
    object: ResourceInput,
    opts?: ApplyOptions,
  ): Promise<ApplyResult<T>> {
    return this.observe('apply', object?.kind, () => this.inner.apply<T>(object, opts));
  }

  override create<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.observe('create', object?.kind, () => this.inner.create<T>(object));
  }

  override update<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.observe('update', object?.kind, () => this.inner.update<T>(object));
  }

  override updateStatus<T extends Resource = Resource>(object: ResourceInput): Promise<T> {
    return this.observe('updateStatus', object?.kind, () => this.inner.updateStatus<T>(object));
  }

  override get<T extends Resource = Resource>(
    kind: string,
    namespace: string,
    name: string,
    opts?: GetOptions,
  ): Promise<T> {
    return this.observe('get', kind, () => this.inner.get<T>(kind, namespace, name, opts));
  }

  override list<T extends Resource = Resource>(
    kind: string,
    opts?: ListOptions,
  ): Promise<ListResult<T>> {
    return this.observe('list', kind, () => this.inner.list<T>(kind, opts));
  }

  override delete<T extends Resource = Resource>(
    kind: string,
    namespace: string,
    name: string,
    opts?: DeleteOptions,
  ): Promise<T> {
    return this.observe('delete', kind, () => this.inner.delete<T>(kind, namespace, name, opts));
  }

  override clusterStatus(): Promise<ClusterStatus> {
    return this.observe('clusterStatus', 'cluster', () => this.inner.clusterStatus());
  }

  override transferLeader(to?: number): Promise<{ from: number; to: number; term: number }> {
    return this.observe('transferLeader', 'cluster', () => this.inner.transferLeader(to));
  }

  /** Counts the watch as a request (its code is how it ended) and as open while it streams. */
  override watch(kind: string, opts?: WatchOptions): AsyncIterable<WatchEvent> {
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
