// The event recorder of one jobd: one StoreEventRecorder (pkg/events) writing
// Event objects through the node's in-process client, aggregated and
// deduplicated, never blocking a reconcile. The controllers and the agent get
// per-component views of it (source.component controller-manager / agent,
// source.node this node). Stopped after the controllers and the agent, so
// their last events are flushed.
import type { ResourceClient } from '../client/index.js';
import { StoreEventRecorder } from '../events/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import { realClock, type Clock } from '../util/clock.js';
import type { NodeLogger } from './logger.js';

export interface NodeRecorderOptions {
  /** The node's in-process client: where Event objects are written. */
  readonly client: ResourceClient;
  readonly nodeName: string;
  readonly logger: NodeLogger;
  readonly clock?: Clock;
}

export interface NodeRecorder {
  /** For the leader-only controllers. */
  readonly controllers: EventRecorder;
  /** For this node's agent. */
  readonly agent: EventRecorder;
  /** Writes what is pending; later events are dropped. */
  stop(): Promise<void>;
}

export function nodeRecorder(o: NodeRecorderOptions): NodeRecorder {
  const store = new StoreEventRecorder({
    client: o.client,
    clock: o.clock ?? realClock,
    component: 'jobd',
    nodeName: o.nodeName,
    logger: o.logger,
  });
  return {
    controllers: store.forComponent('controller-manager'),
    agent: store.forComponent('agent'),
    stop: () => store.stop(),
  };
}
