// Test helpers: a store with a synchronous proposer and a LocalClient on top,
// so that tests of controllers and CLI verbs run against the real state
// machine without Raft, timers or sockets.
import {
  encodeCommand,
  ResourceStore,
  type Command,
  type CommandResult,
  type Proposer,
  type ResourceStoreOptions,
} from '../store/index.js';
import { FakeClock, type Clock } from '../util/clock.js';
import { JobctlError, Reason } from '../util/errors.js';
import { LocalClient, type LocalClientOptions } from './local.js';
import type { ClusterAdminClient } from './types.js';

/**
 * Applies each proposed command to the store at once, at the next index, as
 * Raft's shell would after commit (encoded, so decoding is exercised too).
 * The store has changed, and watchers have been told, before the returned
 * promise settles.
 */
export class DirectProposer implements Proposer {
  constructor(private readonly store: ResourceStore) {}

  /** Applies synchronously; the same as propose() without the promise. */
  apply(command: Command): CommandResult {
    const index = this.store.appliedIndex + 1;
    const result = this.store.apply(index, encodeCommand(command));
    if (!result || (result.ok && result.outcome === 'group')) {
      throw new JobctlError(Reason.Internal, 'store returned no result for a command');
    }
    return result;
  }

  propose(command: Command): Promise<CommandResult> {
    try {
      return Promise.resolve(this.apply(command));
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

export interface TestClientOptions extends Partial<Omit<LocalClientOptions, 'store' | 'proposer'>> {
  readonly storeOptions?: ResourceStoreOptions;
}

export interface TestClient {
  readonly client: LocalClient;
  readonly store: ResourceStore;
  readonly proposer: DirectProposer;
  /** The clock the client stamps writes with (a FakeClock unless one was given). */
  readonly clock: Clock;
}

/**
 * A LocalClient over a fresh store. Deterministic by default: a FakeClock
 * (2023-11-14T22:13:20Z), uids uid-1, uid-2, ... and name suffixes
 * 00001, 00002, ...
 */
export function newTestClient(opts: TestClientOptions = {}): TestClient {
  const store = new ResourceStore(opts.storeOptions);
  const proposer = new DirectProposer(store);
  const clock = opts.clock ?? new FakeClock();
  let uid = 0;
  let suffix = 0;
  const client = new LocalClient({
    newUid: () => `uid-${++uid}`,
    nameSuffix: () => String(++suffix).padStart(5, '0'),
    ...opts,
    clock,
    store,
    proposer,
  });
  return { client, store, proposer, clock };
}

/**
 * A ClusterAdminClient for tests that serve only some of it: each method in
 * `served` answers, every other one throws Unavailable naming it.
 */
export function partialClusterAdmin(served: Partial<ClusterAdminClient> = {}): ClusterAdminClient {
  const unserved = (what: string) => (): never => {
    throw new JobctlError(Reason.Unavailable, `${what} is not served in this test`);
  };
  return {
    nodeStatus: unserved('node status'),
    clusterStatus: unserved('cluster status'),
    transferLeader: unserved('leader transfer'),
    snapshot: unserved('snapshot'),
    addMember: unserved('add member'),
    promoteMember: unserved('promote member'),
    removeMember: unserved('remove member'),
    ...served,
  };
}
