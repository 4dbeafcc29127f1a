// The observe layer of the service stack (./stack.ts): a ResourceClient and a
// ClusterAdminClient that report every call to an ApiObserver: verb, resource
// (the kind, lower-cased; "cluster" for administration), outcome ("OK" or the
// error's Reason) and latency, and open watches. The stack puts them above
// authorization, so refusals (Unauthorized, Forbidden) are counted like any
// other answer, the same way for gRPC and REST. What an adapter refuses before
// calling a service (undecodable bodies, unknown paths) is not counted here;
// neither are NodeStatus (a peer's probe) and log streams, as before.
import { DelegatingClient } from '../client/index.js';
import type {
  ApplyOptions,
  ApplyResult,
  ClusterAdminClient,
  ClusterStatus,
  AddMemberOptions,
  MembershipResult,
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  NodeRaftStatus,
  ResourceClient,
  TransferResult,
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

/** One call, reported as it ends. */
async function observeCall<T>(
  observer: ApiObserver,
  transport: ApiTransport,
  verb: string,
  kind: unknown,
  call: () => Promise<T>,
): Promise<T> {
  const end = observer.begin(transport, verb, resourceOf(kind));
  try {
    const out = await call();
    end('OK');
    return out;
  } catch (err) {
    end(codeOf(err));
    throw err;
  }
}

export class ObservedClient extends DelegatingClient {
  constructor(
    inner: ResourceClient,
    private readonly observer: ApiObserver,
    private readonly transport: ApiTransport,
  ) {
    super(inner);
  }

  private observe<T>(verb: string, kind: unknown, call: () => Promise<T>): Promise<T> {
    return observeCall(this.observer, this.transport, verb, kind, call);
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

  /**
   * Counts the watch as a request (its code is how it ended) and as open while
   * it streams. The inner watch is asked for at once, so a refusal the layers
   * below make when called (authorization) still throws here, before any
   * event, and is counted as a request of its own.
   */
  override watch<K extends string>(
    kind: K,
    opts?: WatchOptions,
  ): AsyncIterable<WatchEvent<ResourceOf<K>>> {
    const observer = this.observer;
    const transport = this.transport;
    const resource = resourceOf(kind);
    let events: AsyncIterable<WatchEvent<ResourceOf<K>>>;
    try {
      events = this.inner.watch(kind, opts);
    } catch (err) {
      observer.begin(transport, 'watch', resource)(codeOf(err));
      throw err;
    }
    return {
      async *[Symbol.asyncIterator]() {
        const end = observer.begin(transport, 'watch', resource);
        const closed = observer.watchOpened(transport, resource);
        let code = 'OK';
        try {
          yield* events;
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

/** Cluster administration, counted as verbs on the resource "cluster" (NodeStatus is not counted). */
export class ObservedClusterAdmin implements ClusterAdminClient {
  constructor(
    private readonly inner: ClusterAdminClient,
    private readonly observer: ApiObserver,
    private readonly transport: ApiTransport,
  ) {}

  nodeStatus(): Promise<NodeRaftStatus> {
    return this.inner.nodeStatus();
  }

  clusterStatus(): Promise<ClusterStatus> {
    return observeCall(this.observer, this.transport, 'clusterStatus', 'cluster', () =>
      this.inner.clusterStatus(),
    );
  }

  transferLeader(to?: number): Promise<TransferResult> {
    return observeCall(this.observer, this.transport, 'transferLeader', 'cluster', () =>
      this.inner.transferLeader(to),
    );
  }

  /** Counted once the stream has been opened (its first chunk), not per chunk. */
  async *snapshot(): AsyncIterable<Uint8Array> {
    const chunks = this.inner.snapshot()[Symbol.asyncIterator]();
    const first = await observeCall(this.observer, this.transport, 'snapshot', 'cluster', () =>
      chunks.next(),
    );
    if (first.done) return;
    yield first.value;
    for (let c = await chunks.next(); !c.done; c = await chunks.next()) yield c.value;
  }

  addMember(id: number, address: string, opts?: AddMemberOptions): Promise<MembershipResult> {
    return observeCall(this.observer, this.transport, 'addMember', 'cluster', () =>
      this.inner.addMember(id, address, opts),
    );
  }

  promoteMember(id: number): Promise<MembershipResult> {
    return observeCall(this.observer, this.transport, 'promoteMember', 'cluster', () =>
      this.inner.promoteMember(id),
    );
  }

  removeMember(id: number): Promise<MembershipResult> {
    return observeCall(this.observer, this.transport, 'removeMember', 'cluster', () =>
      this.inner.removeMember(id),
    );
  }
}
