// Follows one kind of this node's own store for as long as the node runs: a
// watch from the current state (every object delivered as ADDED first), then
// every applied change. A snapshot restore stops a watch; the follower is
// told to forget what it learnt (`reset`) and watches again from the
// restored state. Used by the parts that keep something derived from every
// object of a kind on every node (heartbeats.ts, run-phases.ts).
import type { ResourceStore, WatchEvent, WatchHandle } from '../store/index.js';
import type { Component } from './lifecycle.js';

export interface StoreFollower {
  /** Each event in the store's order; ADDED for every object when (re)starting. */
  event(ev: WatchEvent): void;
  /** Before watching again after a restore: drop what was derived so far. */
  reset?(): void;
}

export function followStore(
  store: ResourceStore,
  kind: string,
  name: string,
  follower: StoreFollower,
): Component {
  let handle: WatchHandle | undefined;
  let stopped = false;
  const watch = (): void => {
    handle = store.watch(
      kind,
      {
        onError: () => {
          if (stopped) return;
          queueMicrotask(() => {
            if (stopped) return;
            follower.reset?.();
            watch();
          });
        },
      },
      (ev) => follower.event(ev),
    );
  };
  return {
    name,
    start: watch,
    stop() {
      stopped = true;
      handle?.cancel();
    },
  };
}
