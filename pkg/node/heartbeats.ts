// Every jobd, leader or follower, watches the Node objects of its own store
// and records when each heartbeat changes (HeartbeatTracker, pkg/controllers
// nodelifecycle). The node lifecycle controller of a new leader then starts
// from what this node saw as a follower, so a node that died just before a
// failover is declared NotReady on time instead of one grace period late.
import { HeartbeatTracker } from '../controllers/index.js';
import type { ResourceStore } from '../store/index.js';
import type { Clock } from '../util/clock.js';
import type { Component } from './lifecycle.js';
import { followStore } from './store-follower.js';

export function heartbeatFeed(
  store: ResourceStore,
  graceMs: number,
  clock: Clock,
): Component & { readonly tracker: HeartbeatTracker } {
  const tracker = new HeartbeatTracker(graceMs);
  // After a restore every Node is seen again: a changed heartbeat counts as one.
  const follower = followStore(store, 'Node', 'heartbeat tracker', {
    event(ev) {
      const name = ev.object.metadata.name;
      if (ev.type === 'DELETED') tracker.forget(name);
      else {
        const status = ev.object.status as { heartbeatTime?: string } | undefined;
        tracker.observe(name, status?.heartbeatTime, clock.monotonic());
      }
    },
  });
  return { ...follower, tracker };
}
