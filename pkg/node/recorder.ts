// The event recorder of one jobd: one StoreEventRecorder (pkg/events) writing
// Event objects through the node's in-process client, aggregated and
// deduplicated, never blocking a reconcile. Each flush is one store batch
// command through the node's Raft proposer (one entry for every event of the
// period). The controllers and the agent get
// per-component views of it (source.component controller-manager / agent,
// source.node this node). Stopped after the controllers and the agent, so
// their last events are flushed.
import type { ResourceClient } from '../client/index.js';
import { StoreEventRecorder } from '../events/index.js';
import type { EventRecorder } from '../reconcile/index.js';
import type { Proposer } from '../store/index.js';
import { realClock, type Clock } from '../util/clock.js';
import type { NodeLogger } from './logger.js';

export interface NodeRecorderOptions {
  /** The node's in-process client: where Event objects are written. */
  readonly client: ResourceClient;
  /** The node's Raft proposer: a flush's events go as one batch command. */
  readonly proposer?: Proposer;
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
    ...(o.proposer ? { proposer: o.proposer } : {}),
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
