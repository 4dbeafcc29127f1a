// Wires node lifecycle into a Manager session: Node events enqueue the node;
// a Run event enqueues the node it is bound to (so a Run that lands on a dead
// node is marked Lost too).
import {
  Controller,
  enqueueMapped,
  enqueueObject,
  type ControllerFactory,
} from '../../reconcile/index.js';
import { RUNS_BY_NODE, runNodeIndex } from '../common/runs.js';
import type { HeartbeatTracker } from './heartbeats.js';
import { NodeLifecycleReconciler } from './reconciler.js';

export const NODE_LIFECYCLE_CONTROLLER = 'nodelifecycle';

export interface NodeLifecycleOptions {
  /** Heartbeat silence after which a node is NotReady (default 5 s). */
  readonly gracePeriodMs?: number;
  /** The node's own tracker, fed on every jobd (heartbeats.ts); default one per session. */
  readonly heartbeats?: HeartbeatTracker;
}

export function nodeLifecycleController(opts: NodeLifecycleOptions = {}): ControllerFactory {
  return (ctx) => {
    const nodes = ctx.informer('Node');
    const runs = ctx.informer('Run');
    runs.cache.addIndex(RUNS_BY_NODE, runNodeIndex);
    const reconciler = new NodeLifecycleReconciler({
      client: ctx.client,
      nodes: nodes.cache,
      runs: runs.cache,
      clock: ctx.clock,
      recorder: ctx.recorder,
      logger: ctx.logger,
      gracePeriodMs: opts.gracePeriodMs,
      ...(opts.heartbeats ? { heartbeats: opts.heartbeats } : {}),
    });
    const controller = new Controller({
      name: NODE_LIFECYCLE_CONTROLLER,
      reconciler,
      clock: ctx.clock,
      logger: ctx.logger,
      workers: 1,
    });
    nodes.addHandler(enqueueObject(controller));
    runs.addHandler(enqueueMapped(controller, runNodeIndex));
    return controller;
  };
}
